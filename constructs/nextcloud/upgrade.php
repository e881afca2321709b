<?php
// tierkit: Nextcloud's upgrade across the tier's servers (written at boot by the nextcloud-upgrade step).
// php nextcloud-upgrade.php INSTALL state                 prints: code-version config-version target done ("-" for none)
// php nextcloud-upgrade.php INSTALL hold SECONDS          takes the upgrade lock, prints "locked", holds it until stdin ends
// php nextcloud-upgrade.php INSTALL set NAME VALUE|-      records target or done ("-" removes it)
// php nextcloud-upgrade.php INSTALL migrations            prints how many migrations the database ran
// php nextcloud-upgrade.php INSTALL fence TARGET|-         writes or removes the fence for the version TARGET
// php nextcloud-upgrade.php INSTALL guard SECONDS         fences this server whenever the database is newer than its code
// It connects with the tier's own Nextcloud configuration (config.php and *.config.php, merged as Nextcloud merges them),
// and runs as the web user, as occ does.
declare(strict_types=1);

const TABLE = 'tierkit_upgrade';
const FENCE = 'tierkit-fence.config.php';

function fail(string $message, int $code = 1): void {
	fwrite(STDERR, "nextcloud-upgrade: $message\n");
	exit($code);
}

function config(string $install): array {
	$merged = [];
	foreach (array_merge(["$install/config/config.php"], glob("$install/config/*.config.php") ?: []) as $file) {
		$CONFIG = null;
		include $file;
		if (is_array($CONFIG)) {
			$merged = array_merge($merged, $CONFIG);
		}
	}
	return $merged;
}

function code_version(string $install): string {
	$OC_Version = null;
	include "$install/version.php";
	if (!is_array($OC_Version)) {
		fail("$install/version.php does not define \$OC_Version");
	}
	return implode('.', $OC_Version);
}

function connect(array $c): PDO {
	$type = $c['dbtype'] ?? '';
	$host = (string)($c['dbhost'] ?? '');
	$port = '';
	if (preg_match('/^(.+):(\d+)$/', $host, $m)) {
		[$host, $port] = [$m[1], $m[2]];
	}
	$dsn = "host=$host;dbname=" . ($c['dbname'] ?? '') . ($port !== '' ? ";port=$port" : '');
	$options = [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION, PDO::ATTR_TIMEOUT => 10];
	if ($type === 'mysql') {
		return new PDO("mysql:$dsn;charset=utf8mb4", $c['dbuser'] ?? '', $c['dbpassword'] ?? '', $options + ($c['dbdriveroptions'] ?? []));
	}
	if ($type === 'pgsql') {
		$ssl = $c['pgsql_ssl'] ?? [];
		foreach (['mode' => 'sslmode', 'rootcert' => 'sslrootcert'] as $key => $name) {
			if (isset($ssl[$key])) {
				$dsn .= ";$name=" . $ssl[$key];
			}
		}
		return new PDO("pgsql:$dsn", $c['dbuser'] ?? '', $c['dbpassword'] ?? '', $options);
	}
	fail("dbtype '$type' is neither mysql nor pgsql");
}

function table(PDO $db, array $c): string {
	$prefix = (string)($c['dbtableprefix'] ?? 'oc_');
	if (!preg_match('/^[A-Za-z0-9_]*$/', $prefix)) {
		fail('dbtableprefix holds characters other than letters, digits and _');
	}
	$table = $prefix . TABLE;
	$db->exec("CREATE TABLE IF NOT EXISTS $table (name VARCHAR(16) NOT NULL PRIMARY KEY, value VARCHAR(64) NOT NULL)");
	return $table;
}

function record(PDO $db, string $table, string $name): ?string {
	$q = $db->prepare("SELECT value FROM $table WHERE name = ?");
	$q->execute([$name]);
	$v = $q->fetchColumn();
	return is_string($v) ? $v : null;
}

// fence writes the fence when target is newer than code, and removes it otherwise.
function fence(string $install, string $code, ?string $target): void {
	$file = "$install/config/" . FENCE;
	if ($target !== null && version_compare($target, $code, '>')) {
		if (is_file($file)) {
			return;
		}
		// tempnam resolves links (with Releases the install path and its config/ are links) and falls back to the
		// system's temporary directory when config/ is not writable: compare with config/'s real path.
		$dir = realpath("$install/config");
		$tmp = $dir === false ? false : tempnam($dir, '.tierkit-fence.');
		if ($tmp === false || dirname($tmp) !== $dir) {
			if ($tmp !== false) {
				unlink($tmp);
			}
			fail("cannot write the fence into $install/config (Nextcloud's config directory must be the web user's)");
		}
		file_put_contents($tmp, "<?php\n"
			. "// Written by tierkit: the database is upgraded to Nextcloud $target, newer than this server's $code.\n"
			. "// Every web request, the health check's included, answers 503, and the load balancer takes the server out;\n"
			. "// occ and cron.php see maintenance mode. The guard removes this file when the database is no newer.\n"
			. "if (PHP_SAPI !== 'cli') {\n"
			. "\thttp_response_code(503);\n"
			. "\theader('Retry-After: 30');\n"
			. "\theader('Content-Type: text/plain');\n"
			. "\techo \"This server runs an older Nextcloud than the database.\\n\";\n"
			. "\texit;\n"
			. "}\n"
			. "\$CONFIG = ['maintenance' => true];\n");
		chmod($tmp, 0640);
		if (!rename($tmp, $file)) {
			fail("cannot write $file");
		}
		fwrite(STDERR, "nextcloud-upgrade: fenced: the database is upgraded to Nextcloud $target, this server runs $code\n");
	} elseif (is_file($file)) {
		unlink($file);
		fwrite(STDERR, "nextcloud-upgrade: fence lifted: the database is at Nextcloud " . ($target ?? 'none recorded') . ", this server runs $code\n");
	}
}

[$install, $command] = [$argv[1] ?? '', $argv[2] ?? ''];
$args = array_slice($argv, 3);
try {
	switch ($command) {
	case 'state':
		$c = config($install);
		$db = connect($c);
		$table = table($db, $c);
		printf("%s %s %s %s\n", code_version($install), $c['version'] ?? '-', record($db, $table, 'target') ?? '-', record($db, $table, 'done') ?? '-');
		break;
	case 'hold':
		$c = config($install);
		$db = connect($c);
		$wait = max(1, (int)($args[0] ?? 600));
		$got = false;
		if ($c['dbtype'] === 'mysql') {
			// GET_LOCK names are server-wide: the database's name keeps tiers apart.
			$q = $db->prepare('SELECT GET_LOCK(?, ?)');
			$q->execute([substr('tierkit-upgrade:' . ($c['dbname'] ?? ''), 0, 64), $wait]);
			$got = (string)$q->fetchColumn() === '1';
		} else {
			// Advisory locks are per database; pg_try_advisory_lock does not wait.
			$deadline = time() + $wait;
			do {
				$got = (string)$db->query("SELECT CASE WHEN pg_try_advisory_lock(hashtext('tierkit-upgrade')) THEN 1 ELSE 0 END")->fetchColumn() === '1';
			} while (!$got && time() < $deadline && sleep(2) === 0);
		}
		if (!$got) {
			echo "busy\n";
			exit(75);
		}
		echo "locked\n";
		fflush(STDOUT);
		// The lock is the connection's: it ends when this process does, with stdin.
		while (fgets(STDIN) !== false) {
		}
		break;
	case 'set':
		[$name, $value] = $args + ['', ''];
		if (!in_array($name, ['target', 'done'], true) || !preg_match('/^([0-9]+(\.[0-9]+)*|-)$/', $value)) {
			fail("set: want target or done and a version, or -");
		}
		$c = config($install);
		$db = connect($c);
		$table = table($db, $c);
		$db->prepare("DELETE FROM $table WHERE name = ?")->execute([$name]);
		if ($value !== '-') {
			$db->prepare("INSERT INTO $table (name, value) VALUES (?, ?)")->execute([$name, $value]);
		}
		break;
	case 'migrations':
		$c = config($install);
		$db = connect($c);
		echo $db->query('SELECT COUNT(*) FROM ' . ($c['dbtableprefix'] ?? 'oc_') . 'migrations')->fetchColumn(), "\n";
		break;
	case 'fence':
		fence($install, code_version($install), ($args[0] ?? '-') === '-' ? null : $args[0]);
		break;
	case 'guard':
		$interval = max(1, (int)($args[0] ?? 10));
		$code = code_version($install);
		$db = null;
		$problem = '';
		for (;;) {
			try {
				$c = config($install);
				$db ??= connect($c);
				fence($install, $code, record($db, table($db, $c), 'target'));
				$problem = '';
			} catch (Throwable $e) {
				$db = null;
				if ($problem !== $e->getMessage()) {
					$problem = $e->getMessage();
					fwrite(STDERR, "nextcloud-upgrade: cannot read the database's version (trying again every $interval s): $problem\n");
				}
			}
			sleep($interval);
		}
	default:
		fail("unknown command '$command'; want state, hold, set, migrations, fence or guard");
	}
} catch (Throwable $e) {
	fail($command . ': ' . $e->getMessage());
}
