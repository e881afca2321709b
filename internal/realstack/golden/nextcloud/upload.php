<?php
/*
 * upload.php: PUT or POST a body; it is stored as Nextcloud stores a file
 * in primary object storage: a filecache row gives the file id, the object
 * is urn:oid:<fileid> in the objectstore's bucket (S3 with the AWS SDK's
 * credentials and endpoint rules, SigV4-signed). 200 {key, status, server},
 * 502 with S3's (or the metadata service's) answer when refused.
 *
 * Without objectstore, files stay in the data directory as Nextcloud's local
 * home storage keeps them: <datadirectory>/<uid>/files/<name>, written by
 * the web server's user; the data directory must hold .ocdata (Nextcloud's
 * check). GET ?name=F reads such a file back: 200 {name, content, server,
 * owner, datadirectory}, 404 when it is not there.
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
	if ($config->get('objectstore', null) === null) {
		nc_local_file($config, $method);
		return;
	}
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

/**
 * A file of user "admin" in the data directory (lib/private/Files/Storage/Local.php
 * under the home storage <datadirectory>/<uid>/files), as upload.php's
 * comment says.
 */
function nc_local_file(NcConfig $config, string $method): void {
	$data = rtrim($config->string('datadirectory', dirname(__DIR__) . '/data'), '/');
	// OC_Util::checkDataDirectoryValidity
	if (!is_file($data . '/.ocdata')) {
		throw new NcError(sprintf('Your data directory is invalid. Ensure there is a file called ".ocdata" in the root of the data directory (%s).', $data), 503);
	}
	$name = basename((string)($_GET['name'] ?? 'upload.bin'));
	$file = $data . '/admin/files/' . $name;
	if ($method === 'GET') {
		if (!is_file($file)) {
			throw new NcError(sprintf('%s: not found in %s', $name, $data), 404);
		}
		$owner = posix_getpwuid((int)fileowner($file));
		nc_json(200, ['name' => $name, 'content' => (string)file_get_contents($file), 'server' => gethostname(),
			'owner' => $owner['name'] ?? (string)fileowner($file), 'datadirectory' => $data]);
		return;
	}
	if ($method !== 'PUT' && $method !== 'POST') {
		throw new NcError('upload.php takes PUT or POST with the file as the body, or GET ?name=', 405);
	}
	$body = (string)file_get_contents('php://input');
	if (!is_dir(dirname($file)) && !@mkdir(dirname($file), 0750, true) && !is_dir(dirname($file))) {
		throw new NcError(sprintf('cannot create %s', dirname($file)), 500);
	}
	if (@file_put_contents($file, $body) !== strlen($body)) {
		throw new NcError(sprintf('cannot write %s', $file), 500);
	}
	nc_log($config, 1, 'files', sprintf('stored %s (%d bytes) in %s', $name, strlen($body), $data));
	nc_json(200, ['key' => 'admin/files/' . $name, 'server' => gethostname(), 'size' => strlen($body), 'datadirectory' => $data]);
}
