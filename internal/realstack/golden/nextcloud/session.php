<?php
/*
 * session.php: a PHP session as Nextcloud starts it (OC::initSession and
 * OC\Session\Internal): named after instanceid, Secure when the request is
 * https (overwriteprotocol), HttpOnly, SameSite=Lax, stored by whatever
 * php.ini says (the tier's ini drop-in: Redis over TLS with AUTH and
 * locking). Counts the requests in the session; ?hold=N keeps the session,
 * and so its lock, N seconds before closing it.
 */
declare(strict_types=1);
require_once __DIR__ . '/lib/base.php';

/** PHP's session warnings quote session.save_path, AUTH token included. */
function nc_redact(string $msg): string {
	return (string)preg_replace('/([?&]auth=)[^&\s"\')]*/', '$1<redacted>', $msg);
}

nc_run(function (): void {
	$config = nc_boot_web();
	if (!$config->get('installed', false)) {
		throw new NcError('Nextcloud is not installed', 503);
	}
	nc_caches($config);
	if (nc_protocol($config) === 'https') {
		ini_set('session.cookie_secure', 'true');
	}
	ini_set('session.cookie_httponly', 'true');
	ini_set('session.cookie_path', '/');
	$name = $config->string('instanceid');
	if ($name === '') {
		throw new NcError('no instanceid: Nextcloud would generate one and write it to config.php');
	}
	session_name($name);
	session_cache_limiter('');
	$warnings = [];
	set_error_handler(function (int $no, string $msg) use (&$warnings): bool {
		$warnings[] = nc_redact($msg);
		return true;
	});
	try {
		$started = session_start(['cookie_samesite' => 'Lax']);
	} finally {
		restore_error_handler();
	}
	if (!$started || !isset($_SESSION)) {
		throw new NcError('Failed to start session: ' . implode('; ', $warnings));
	}
	$count = (int)($_SESSION['count'] ?? 0) + 1;
	$_SESSION['count'] = $count;
	$hold = max(0, min(3600, (int)($_GET['hold'] ?? 0)));
	if ($hold > 0) {
		sleep($hold);
	}
	// A write refused (e.g. the lock expired under redis.session.lock_expire)
	// is only a PHP warning, as in Nextcloud: reported, not fatal.
	$warnings = [];
	set_error_handler(function (int $no, string $msg) use (&$warnings): bool {
		$warnings[] = nc_redact($msg);
		return true;
	});
	try {
		$closed = session_write_close();
	} finally {
		restore_error_handler();
	}
	nc_json(200, [
		'count' => $count,
		'server' => gethostname(),
		'session_name' => $name,
		'held' => $hold,
		'saved' => $closed && !$warnings,
		'warnings' => $warnings,
		// phpredis' lock lifetime: redis.session.lock_expire, else max_execution_time.
		'lock_expire_s' => ((int)ini_get('redis.session.lock_expire')) ?: (int)ini_get('max_execution_time'),
	]);
});
