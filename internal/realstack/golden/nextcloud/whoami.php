<?php
/*
 * whoami.php: what this server makes of the request and of its settings,
 * for the harness to compare across servers. Always 200 once the
 * configuration loads and the Host is trusted; a database failure is
 * reported in db_error, a cache failure in cache.
 */
declare(strict_types=1);
require_once __DIR__ . '/lib/base.php';

nc_run(function (): void {
	$config = nc_boot_web();
	$out = [
		'server' => gethostname(),
		'addr' => $_SERVER['SERVER_ADDR'] ?? null,
		'remote_addr' => nc_remote_addr(),
		'from_trusted_proxy' => nc_from_trusted_proxy($config),
		'client_ip' => nc_client_ip($config),
		'protocol' => nc_protocol($config),
		'host' => nc_server_host($config),
		'overwrite_cli_url' => $config->string('overwrite.cli.url'),
		'installed' => (bool)$config->get('installed', false),
		'dbtype' => $config->string('dbtype'),
		'dbhost' => $config->string('dbhost'),
		'dbname' => $config->string('dbname'),
		'db_tls' => null,
	];
	try {
		$out['db_tls'] = nc_db_tls(nc_db($config));
	} catch (Throwable $e) {
		$out['db_error'] = $e->getMessage();
	}
	$out['cache'] = nc_cache_ping($config);
	$out['instanceid'] = $config->get('instanceid');
	$out['passwordsalt'] = $config->get('passwordsalt');
	$out['secret'] = $config->get('secret');
	$out['config_files'] = $config->files;
	// Settings from the template and secrets read at boot; a secret only as its hash.
	$out['settings'] = [
		'default_phone_region' => $config->get('default_phone_region'),
		'mail_smtpport' => $config->get('mail_smtpport'),
		'mail_smtpname' => $config->get('mail_smtpname'),
		'mail_smtppassword_sha256' => hash('sha256', (string)$config->get('mail_smtppassword', '')),
	];
	nc_json(200, $out);
});
