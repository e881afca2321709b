<?php
/*
 * cron.php: what Nextcloud's cron.php does that this test can see. From the
 * command line: skip quietly when an upgrade is pending, in maintenance or
 * not installed; connect to the database; refuse any user but the owner of
 * config/config.php (Nextcloud's own check and words); then record the run
 * (host, time) in <dbtableprefix>cron_runs and log it to the configured log.
 * Over HTTP it answers as Nextcloud does once background jobs are in cron
 * mode.
 */
declare(strict_types=1);
require_once __DIR__ . '/lib/base.php';

if (!nc_is_cli()) {
	nc_run(function (): void {
		nc_boot_web();
		nc_json(200, ['data' => ['message' => 'Backgroundjobs are using system cron!'], 'status' => 'error']);
	});
	exit;
}

try {
	$config = nc_boot();
	nc_caches($config);
	if (nc_need_upgrade($config) || $config->get('maintenance', false) || !$config->get('installed', false)) {
		exit(0);
	}
	$pdo = nc_db($config);

	if (!function_exists('posix_getuid')) {
		echo 'The posix extensions are required - see https://www.php.net/manual/en/book.posix.php' . PHP_EOL;
		exit(1);
	}
	$user = posix_getuid();
	$configUser = fileowner($config->dir . 'config.php');
	if ($user !== $configUser) {
		echo 'Console has to be executed with the user that owns the file config/config.php' . PHP_EOL;
		echo 'Current user id: ' . $user . PHP_EOL;
		echo 'Owner id of config.php: ' . $configUser . PHP_EOL;
		exit(1);
	}

	$host = (string)gethostname();
	$pdo->prepare('INSERT INTO ' . nc_table($config, 'cron_runs') . ' (host, ran_at) VALUES (?, CURRENT_TIMESTAMP)')->execute([$host]);
	nc_log($config, 1, 'cron', 'cron.php ran on ' . $host);
	exit(0);
} catch (Throwable $e) {
	echo get_class($e) . ': ' . $e->getMessage() . PHP_EOL;
	exit(1);
}
