<?php
/*
 * upload.php: PUT or POST a body; it is stored as Nextcloud stores a file
 * in primary object storage: a filecache row gives the file id, the object
 * is urn:oid:<fileid> in the objectstore's bucket (S3 with the AWS SDK's
 * credentials and endpoint rules, SigV4-signed). 200 {key, status, server},
 * 502 with S3's (or the metadata service's) answer when refused, 500 when
 * objectstore is not configured.
 */
declare(strict_types=1);
require_once __DIR__ . '/lib/base.php';

nc_run(function (): void {
	$config = nc_boot_web();
	if (!$config->get('installed', false)) {
		throw new NcError('Nextcloud is not installed', 503);
	}
	if ($config->get('maintenance', false)) {
		throw new NcError('Nextcloud is in maintenance mode', 503);
	}
	$method = $_SERVER['REQUEST_METHOD'] ?? 'GET';
	if ($method !== 'PUT' && $method !== 'POST') {
		throw new NcError('upload.php takes PUT or POST with the file as the body', 405);
	}
	nc_caches($config);
	$p = nc_s3_params($config);
	$body = (string)file_get_contents('php://input');
	$name = basename((string)($_GET['name'] ?? 'upload.bin'));

	try {
		$pdo = nc_db($config);
		$table = nc_table($config, 'filecache');
		$sql = "INSERT INTO $table (path, size, mtime) VALUES (?, ?, ?)";
		if ($pdo->getAttribute(PDO::ATTR_DRIVER_NAME) === 'pgsql') {
			$st = $pdo->prepare($sql . ' RETURNING fileid');
			$st->execute(['files/' . $name, strlen($body), time()]);
			$fileid = (int)$st->fetchColumn();
		} else {
			$pdo->prepare($sql)->execute(['files/' . $name, strlen($body), time()]);
			$fileid = (int)$pdo->lastInsertId();
		}
	} catch (PDOException $e) {
		throw new NcError('database: ' . $e->getMessage(), 500);
	}

	$urn = 'urn:oid:' . $fileid;
	try {
		$creds = nc_s3_connect($p);
		$put = nc_s3_put($p, $creds, $urn, $body, 'application/octet-stream');
	} catch (Throwable $e) {
		// Nextcloud removes the cache entry of a write that failed.
		$pdo->prepare("DELETE FROM $table WHERE fileid = ?")->execute([$fileid]);
		throw $e;
	}
	nc_log($config, 1, 'objectstore', sprintf('stored %s (%d bytes) at %s', $urn, strlen($body), $put['url']));
	nc_json(200, [
		'key' => $urn,
		'status' => $put['status'],
		'server' => gethostname(),
		'url' => $put['url'],
		'size' => strlen($body),
		'credentials' => $creds['source'],
	]);
});
