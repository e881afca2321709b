<?php
/*
 * status.php: Nextcloud's health endpoint, the load balancer's check. 200
 * with Nextcloud's JSON when the configuration loads, Nextcloud is
 * installed, its caches are available, and the database and the
 * distributed cache (Redis) answer; 503 with the error otherwise (Nextcloud
 * itself answers 200 with "installed":false on a new install, and 500 on
 * most errors). An untrusted Host gets Nextcloud's 400 Trusted domain error.
 */
declare(strict_types=1);
require_once __DIR__ . '/lib/base.php';

nc_run(function (): void {
	$config = nc_boot_web();
	if (!$config->get('installed', false)) {
		throw new NcError("Nextcloud is not installed: 'installed' is not true in " . implode(', ', $config->files), 503);
	}
	$maintenance = (bool)$config->get('maintenance', false);
	$needsDbUpgrade = nc_need_upgrade($config);
	$caches = nc_caches($config);
	try {
		$pdo = nc_db($config);
		// Nextcloud reads its tables on every request: they must exist.
		$pdo->query('SELECT COUNT(*) FROM ' . nc_table($config, 'cron_runs'))->fetchColumn();
	} catch (PDOException $e) {
		throw new NcError('database: ' . $e->getMessage(), 503);
	}
	if ($caches['distributed'] === 'OC\Memcache\Redis') {
		$cache = nc_cache_ping($config);
		if ($cache !== 'ok') {
			throw new NcError('distributed cache: ' . $cache, 503);
		}
	}
	nc_json(200, [
		'installed' => true,
		'maintenance' => $maintenance,
		'needsDbUpgrade' => $needsDbUpgrade,
		'version' => NC_VERSION,
		'versionstring' => NC_VERSION_STRING,
		'edition' => '',
		'productname' => 'Nextcloud',
		'extendedSupport' => false,
	], ['Access-Control-Allow-Origin: *']);
}, 503);
