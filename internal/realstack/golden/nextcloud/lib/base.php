<?php
/*
 * Nextcloud stand-in for the tierkit end-to-end test: plain PHP doing what
 * Nextcloud 29 does with the settings the tier writes, read from the same
 * files, so that a wrong setting fails here as it would in Nextcloud. Each
 * function names the Nextcloud code it follows. Nothing here is Nextcloud's
 * code; only its observable behaviour is copied.
 */
declare(strict_types=1);

// OC_Util::getVersion: the code's version is version.php's, beside lib/.
(static function (): void {
	$OC_Version = $OC_VersionString = null;
	require dirname(__DIR__) . '/version.php';
	define('NC_VERSION', implode('.', $OC_Version));
	define('NC_VERSION_STRING', (string)$OC_VersionString);
})();
// Request::REGEX_LOCALHOST: localhost is always a trusted domain.
const NC_REGEX_LOCALHOST = '/^(127\.0\.0\.1|localhost|\[::1\])$/';

/** An error with the HTTP status Nextcloud would answer it with. */
final class NcError extends RuntimeException {
	public function __construct(string $message, public readonly int $status = 500, public readonly array $extra = []) {
		parent::__construct($message);
	}
}

/**
 * The system configuration as lib/private/Config.php reads it: config.php,
 * then every config/*.config.php in natural order, each merged over the
 * result with array_merge (a key replaces the whole value); NC_<key>
 * environment variables win over both.
 */
final class NcConfig {
	/** @var array<string,mixed> */
	private array $values = [];
	/** @var list<string> the files merged, in order */
	public array $files = [];
	/** @var array<string,string> */
	private array $env;

	public function __construct(public readonly string $dir) {
		$main = $dir . 'config.php';
		$files = [$main];
		$extra = glob($dir . '*.config.php');
		if (is_array($extra)) {
			natsort($extra);
			$files = array_merge($files, $extra);
		}
		foreach ($files as $file) {
			// Nextcloud invalidates opcache for each file: the boot renames
			// a new tierkit.config.php into place.
			if (function_exists('opcache_invalidate')) {
				@opcache_invalidate($file, false);
			}
			$fp = @fopen($file, 'r');
			if ($fp === false) {
				if ($file === $main) {
					continue; // Nextcloud skips an unreadable config.php (a new install)
				}
				throw new NcError(sprintf('FATAL: Could not open the config file %s', $file), 500);
			}
			if (!flock($fp, LOCK_SH)) {
				throw new NcError(sprintf('Could not acquire a shared lock on the config file %s', $file));
			}
			try {
				$CONFIG = self::includeFile($file);
			} finally {
				flock($fp, LOCK_UN);
				fclose($fp);
			}
			$this->files[] = $file;
			if (is_array($CONFIG)) {
				$this->values = array_merge($this->values, $CONFIG);
			}
		}
		$this->env = getenv();
	}

	/** Includes one file in its own scope and returns its $CONFIG, if any. */
	private static function includeFile(string $file): mixed {
		ob_start();
		try {
			include $file;
		} finally {
			$output = ob_get_clean();
		}
		if ($output !== '' && $output !== false) {
			throw new NcError(sprintf('Config file has leading content, please remove everything before "<?php" in %s', basename($file)));
		}
		return isset($CONFIG) ? $CONFIG : null;
	}

	public function get(string $key, mixed $default = null): mixed {
		if (isset($this->env['NC_' . $key])) {
			return $this->env['NC_' . $key];
		}
		return $this->values[$key] ?? $default;
	}

	public function string(string $key, string $default = ''): string {
		$value = $this->get($key, $default);
		return is_scalar($value) ? (string)$value : $default;
	}

	/** The merged values of the files, without the environment's (Config::$cache). */
	public function all(): array {
		return $this->values;
	}

	/**
	 * Config::setValue and writeData: the merged configuration with $key set
	 * (null deletes it) is var_export'ed into config.php under an exclusive
	 * lock, 0640: the keys of every *.config.php land in config.php too.
	 */
	public function set(string $key, mixed $value): void {
		if ($value === null) {
			unset($this->values[$key]);
		} else {
			$this->values[$key] = $value;
		}
		$file = $this->dir . 'config.php';
		touch($file);
		$fp = fopen($file, 'r+');
		if ($fp === false) {
			throw new NcError(sprintf("Can't write into config directory! This can usually be fixed by giving the web server write access to the config directory (%s)", $this->dir));
		}
		@chmod($file, 0640);
		if (!flock($fp, LOCK_EX)) {
			throw new NcError(sprintf('Could not acquire an exclusive lock on the config file %s', $file));
		}
		ftruncate($fp, 0);
		fwrite($fp, "<?php\n\$CONFIG = " . var_export($this->values, true) . ";\n");
		fflush($fp);
		flock($fp, LOCK_UN);
		fclose($fp);
		if (function_exists('opcache_invalidate')) {
			@opcache_invalidate($file, true);
		}
	}

	public function has(string $key): bool {
		return isset($this->env['NC_' . $key]) || array_key_exists($key, $this->values);
	}
}

function nc_is_cli(): bool {
	return PHP_SAPI === 'cli';
}

/**
 * What OC::init() does before anything else reads a setting: PHP limits
 * raised to one hour (setRequiredIniValues; this also sets the session
 * lock's lifetime when redis.session.lock_expire is 0), UTC, then the
 * configuration.
 */
function nc_boot(): NcConfig {
	@ini_set('display_errors', '0');
	@ini_set('log_errors', '1');
	if (intval(@ini_get('max_execution_time') ?: 0) < 3600) {
		@ini_set('max_execution_time', strval(3600));
	}
	if (intval(@ini_get('max_input_time') ?: 0) < 3600) {
		@ini_set('max_input_time', strval(3600));
	}
	if (strpos((string)@ini_get('disable_functions'), 'set_time_limit') === false) {
		@set_time_limit(max(intval(@ini_get('max_execution_time')), intval(@ini_get('max_input_time'))));
	}
	date_default_timezone_set('UTC');
	return new NcConfig(dirname(__DIR__) . '/config/');
}

/** The web part of OC::init(): the trusted-domain check, when installed. */
function nc_boot_web(): NcConfig {
	$config = nc_boot();
	if ($config->get('installed', false) && !nc_is_trusted_domain($config, nc_insecure_server_host($config))) {
		// base.php answers status.php with this JSON, other pages with an HTML page.
		throw new NcError('Trusted domain error.', 400, ['code' => 15]);
	}
	return $config;
}

// ---- Request (lib/private/AppFramework/Http/Request.php) ----

/** Symfony's IpUtils::checkIp, which Request::isTrustedProxy uses. */
function nc_ip_matches(string $ip, array $list): bool {
	foreach ($list as $entry) {
		if (is_string($entry) && (substr_count($ip, ':') > 1 ? nc_ip6_match($ip, $entry) : nc_ip4_match($ip, $entry))) {
			return true;
		}
	}
	return false;
}

function nc_ip4_match(string $ip, string $cidr): bool {
	if (filter_var($ip, FILTER_VALIDATE_IP, FILTER_FLAG_IPV4) === false) {
		return false;
	}
	$mask = 32;
	$address = $cidr;
	if (str_contains($cidr, '/')) {
		[$address, $bits] = explode('/', $cidr, 2);
		if ($bits === '0') {
			return filter_var($address, FILTER_VALIDATE_IP, FILTER_FLAG_IPV4) !== false;
		}
		if (!ctype_digit($bits) || (int)$bits > 32) {
			return false;
		}
		$mask = (int)$bits;
	}
	$net = ip2long($address);
	if ($net === false) {
		return false;
	}
	return substr_compare(sprintf('%032b', ip2long($ip)), sprintf('%032b', $net), 0, $mask) === 0;
}

function nc_ip6_match(string $ip, string $cidr): bool {
	$mask = 128;
	$address = $cidr;
	if (str_contains($cidr, '/')) {
		[$address, $bits] = explode('/', $cidr, 2);
		if (!ctype_digit($bits) || (int)$bits > 128) {
			return false;
		}
		$mask = (int)$bits;
	}
	$a = @inet_pton($ip);
	$b = @inet_pton($address);
	if ($a === false || $b === false || strlen($a) !== 16 || strlen($b) !== 16) {
		return false;
	}
	for ($i = 0; $i < $mask; $i += 8) {
		$bits = min(8, $mask - $i);
		$m = (0xff << (8 - $bits)) & 0xff;
		if ((ord($a[$i >> 3]) & $m) !== (ord($b[$i >> 3]) & $m)) {
			return false;
		}
	}
	return true;
}

function nc_remote_addr(): string {
	return isset($_SERVER['REMOTE_ADDR']) ? (string)$_SERVER['REMOTE_ADDR'] : '';
}

function nc_from_trusted_proxy(NcConfig $config): bool {
	$proxies = $config->get('trusted_proxies', []);
	return is_array($proxies) && nc_ip_matches(nc_remote_addr(), $proxies);
}

/**
 * Request::getRemoteAddress: behind a trusted proxy, the right-most address
 * of forwarded_for_headers (default X-Forwarded-For) that is not itself a
 * trusted proxy; otherwise REMOTE_ADDR.
 */
function nc_client_ip(NcConfig $config): string {
	$remote = nc_remote_addr();
	$proxies = $config->get('trusted_proxies', []);
	if (!is_array($proxies) || !nc_ip_matches($remote, $proxies)) {
		return $remote;
	}
	$headers = $config->get('forwarded_for_headers', ['HTTP_X_FORWARDED_FOR']);
	foreach (array_reverse(is_array($headers) ? $headers : []) as $header) {
		if (!is_string($header) || !isset($_SERVER[$header])) {
			continue;
		}
		foreach (array_reverse(explode(',', (string)$_SERVER[$header])) as $ip) {
			$ip = trim($ip);
			$colons = substr_count($ip, ':');
			if ($colons > 1) {
				if (preg_match('/^\[(.+?)\](?::\d+)?$/', $ip, $m)) {
					$ip = $m[1];
				}
			} elseif ($colons === 1) {
				$ip = substr($ip, 0, strpos($ip, ':'));
			}
			if (nc_ip_matches($ip, $proxies)) {
				continue;
			}
			if (filter_var($ip, FILTER_VALIDATE_IP) !== false) {
				return $ip;
			}
		}
	}
	return $remote;
}

/** Request::isOverwriteCondition: overwrite* apply when overwritecondaddr is unset or matches REMOTE_ADDR. */
function nc_overwrite_condition(NcConfig $config): bool {
	$regex = '/' . $config->string('overwritecondaddr') . '/';
	return $regex === '//' || preg_match($regex, nc_remote_addr()) === 1;
}

/** Request::getServerProtocol. */
function nc_protocol(NcConfig $config): string {
	$proto = 'http';
	if ($config->string('overwriteprotocol') !== '' && nc_overwrite_condition($config)) {
		$proto = strtolower($config->string('overwriteprotocol'));
	} elseif (nc_from_trusted_proxy($config) && isset($_SERVER['HTTP_X_FORWARDED_PROTO'])) {
		$parts = explode(',', (string)$_SERVER['HTTP_X_FORWARDED_PROTO']);
		$proto = strtolower(trim($parts[0]));
	} elseif (!empty($_SERVER['HTTPS']) && $_SERVER['HTTPS'] !== 'off') {
		$proto = 'https';
	}
	return $proto === 'https' ? 'https' : 'http';
}

function nc_overwrite_host(NcConfig $config): ?string {
	$host = $config->string('overwritehost');
	return ($host !== '' && nc_overwrite_condition($config)) ? $host : null;
}

/** Request::getInsecureServerHost: the host base.php checks against trusted_domains. */
function nc_insecure_server_host(NcConfig $config): string {
	$trusted = nc_from_trusted_proxy($config);
	if ($trusted && nc_overwrite_host($config) !== null) {
		return nc_overwrite_host($config);
	}
	if ($trusted && isset($_SERVER['HTTP_X_FORWARDED_HOST'])) {
		return trim(explode(',', (string)$_SERVER['HTTP_X_FORWARDED_HOST'])[0]);
	}
	if (isset($_SERVER['HTTP_HOST'])) {
		return (string)$_SERVER['HTTP_HOST'];
	}
	return isset($_SERVER['SERVER_NAME']) ? (string)$_SERVER['SERVER_NAME'] : 'localhost';
}

/** TrustedDomainHelper::isTrustedDomain. */
function nc_is_trusted_domain(NcConfig $config, string $hostWithPort): bool {
	if ($config->get('overwritehost', '') !== '') {
		return true; // overwritehost is always trusted
	}
	$host = $hostWithPort;
	$pos = strrpos($host, ':');
	if ($pos !== false && is_numeric(substr($host, $pos + 1))) {
		$host = substr($host, 0, $pos);
	}
	$list = $config->get('trusted_domains', []);
	if (!is_array($list)) {
		return false;
	}
	if (preg_match(NC_REGEX_LOCALHOST, $host) === 1) {
		return true;
	}
	if (str_starts_with($host, '-') || str_contains($host, '..')) {
		return false;
	}
	foreach ($list as $trusted) {
		if (!is_string($trusted)) {
			break;
		}
		$regex = '/^' . implode('[-\.a-zA-Z0-9]*', array_map(fn ($v) => preg_quote($v, '/'), explode('*', $trusted))) . '$/i';
		if (preg_match($regex, $host) || preg_match($regex, $hostWithPort)) {
			return true;
		}
	}
	return false;
}

/** Request::getServerHost: overwritehost, else the checked host, else the first trusted domain. */
function nc_server_host(NcConfig $config): string {
	$host = nc_overwrite_host($config);
	if ($host !== null) {
		return $host;
	}
	$host = nc_insecure_server_host($config);
	if (nc_is_trusted_domain($config, $host)) {
		return $host;
	}
	$list = (array)$config->get('trusted_domains', []);
	return count($list) > 0 ? (string)reset($list) : '';
}

// ---- Version and state (status.php, OC_Util::needUpgrade) ----

/** OC_Util::needUpgrade: the code is newer than the configuration's version. */
function nc_need_upgrade(NcConfig $config): bool {
	if (!$config->get('installed', false)) {
		return false;
	}
	$installed = $config->string('version', '0.0.0');
	$diff = version_compare(NC_VERSION, $installed);
	if ($diff < 0) {
		throw new NcError(sprintf('Downgrading is not supported and is likely to cause unpredictable issues (from %s to %s)', $installed, NC_VERSION));
	}
	return $diff > 0;
}

// ---- Database (lib/private/DB/ConnectionFactory.php, Doctrine's PDO drivers) ----

/** ConnectionFactory::splitHostFromPortAndSocket. */
function nc_split_host(string $host): array {
	$params = ['host' => $host];
	if (preg_match('/^(.*):([^\]:]+)$/', $host, $m)) {
		$params['host'] = $m[1];
		if (is_numeric($m[2])) {
			$params['port'] = (int)$m[2];
		} else {
			$params['unix_socket'] = $m[2];
		}
	}
	return $params;
}

function nc_table(NcConfig $config, string $name): string {
	$prefix = $config->string('dbtableprefix', 'oc_');
	if (!preg_match('/^[A-Za-z0-9_]*$/', $prefix)) {
		throw new NcError('dbtableprefix holds characters the stand-in does not quote');
	}
	return $prefix . $name;
}

/**
 * A PDO connection as Nextcloud's ConnectionFactory and Doctrine's PDO
 * drivers open it: mysql with charset UTF8 and dbdriveroptions as PDO
 * options (replacing Nextcloud's default ones); pgsql with pgsql_ssl's
 * mode/rootcert/cert/key/crl as sslmode/sslrootcert/... in the DSN.
 */
function nc_db(NcConfig $config): PDO {
	$type = $config->string('dbtype', 'sqlite');
	$params = nc_split_host($config->string('dbhost'));
	$name = $config->string('dbname', 'owncloud');
	$user = $config->string('dbuser');
	$password = $config->string('dbpassword');
	$options = [];
	if ($type === 'mysql') {
		$options = [PDO::MYSQL_ATTR_FOUND_ROWS => true];
		$driverOptions = $config->get('dbdriveroptions', null);
		if ($driverOptions) {
			$options = (array)$driverOptions;
		}
		$dsn = 'mysql:';
		if ($params['host'] !== '') {
			$dsn .= 'host=' . $params['host'] . ';';
		}
		if (isset($params['port'])) {
			$dsn .= 'port=' . $params['port'] . ';';
		}
		$dsn .= 'dbname=' . $name . ';';
		if (isset($params['unix_socket'])) {
			$dsn .= 'unix_socket=' . $params['unix_socket'] . ';';
		}
		$dsn .= 'charset=' . ($config->get('mysql.utf8mb4', false) ? 'utf8mb4' : 'UTF8') . ';';
	} elseif ($type === 'pgsql') {
		// ConnectionFactory::getConnection strips [] around an IPv6 host.
		if (preg_match('/^\[([^\]]+)\]$/', $params['host'], $m)) {
			$params['host'] = $m[1];
		}
		$dsn = 'pgsql:';
		if ($params['host'] !== '') {
			$dsn .= 'host=' . $params['host'] . ';';
		}
		if (isset($params['port'])) {
			$dsn .= 'port=' . $params['port'] . ';';
		}
		$dsn .= 'dbname=' . $name . ';';
		$ssl = $config->get('pgsql_ssl', false);
		if (is_array($ssl)) {
			foreach (['mode' => 'sslmode', 'rootcert' => 'sslrootcert', 'cert' => 'sslcert', 'key' => 'sslkey', 'crl' => 'sslcrl'] as $key => $param) {
				if (isset($ssl[$key]) && (string)$ssl[$key] !== '') {
					$dsn .= $param . '=' . $ssl[$key] . ';';
				}
			}
		}
		$driverOptions = $config->get('dbdriveroptions', null);
		if ($driverOptions) {
			$options = (array)$driverOptions;
		}
	} else {
		throw new NcError(sprintf('dbtype %s: the stand-in speaks mysql and pgsql only', $type));
	}
	if ($config->get('dbpersistent', false)) {
		$options[PDO::ATTR_PERSISTENT] = true;
	}
	$pdo = new PDO($dsn, $user, $password, $options);
	$pdo->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
	return $pdo;
}

/** The TLS cipher of the connection, '' when it is not encrypted. */
function nc_db_tls(PDO $pdo): string {
	if ($pdo->getAttribute(PDO::ATTR_DRIVER_NAME) === 'mysql') {
		$row = $pdo->query("SHOW SESSION STATUS LIKE 'Ssl_cipher'")->fetch(PDO::FETCH_NUM);
		return $row ? (string)$row[1] : '';
	}
	$row = $pdo->query('SELECT ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()')->fetch(PDO::FETCH_NUM);
	return ($row && $row[0]) ? trim($row[1] . ' ' . $row[2]) : '';
}

// ---- Caches (lib/private/Memcache/Factory.php, lib/private/RedisFactory.php) ----

/** The isAvailable() of Nextcloud's cache classes, by class name. */
function nc_cache_available(string $class): bool {
	switch ($class) {
		case 'OC\Memcache\APCu':
			return extension_loaded('apcu') && filter_var(ini_get('apc.enabled'), FILTER_VALIDATE_BOOLEAN)
				&& (!nc_is_cli() || filter_var(ini_get('apc.enable_cli'), FILTER_VALIDATE_BOOLEAN))
				&& version_compare(phpversion('apcu') ?: '0.0.0', '5.1.0') >= 0;
		case 'OC\Memcache\Redis':
			return extension_loaded('redis') && version_compare(phpversion('redis') ?: '0.0.0', '4.0.0') >= 0;
		case 'OC\Memcache\Memcached':
			return extension_loaded('memcached');
		case 'OC\Memcache\ArrayCache':
		case 'OC\Memcache\NullCache':
			return true;
	}
	return false; // not a class Nextcloud has
}

/**
 * Memcache\Factory's constructor: memcache.local (default none) and
 * memcache.distributed (default: the local one) must be available or every
 * request fails; an unavailable memcache.locking falls back to none.
 * Returns the classes in use.
 */
function nc_caches(NcConfig $config): array {
	$local = ltrim($config->string('memcache.local') ?: 'OC\Memcache\NullCache', '\\');
	$distributed = ltrim($config->string('memcache.distributed') ?: $local, '\\');
	foreach (['local' => $local, 'distributed' => $distributed] as $use => $class) {
		if (!nc_cache_available($class)) {
			throw new NcError(sprintf('Memcache %s not available for %s cache (Is the matching PHP module installed and enabled?)', $class, $use));
		}
	}
	$locking = ltrim($config->string('memcache.locking'), '\\');
	if ($locking === '' || !nc_cache_available($locking)) {
		$locking = 'OC\Memcache\NullCache';
	}
	return ['local' => $local, 'distributed' => $distributed, 'locking' => $locking];
}

/** Runs $fn with PHP warnings turned into the exception's message (stream and TLS errors). */
function nc_with_warnings(callable $fn): mixed {
	$warnings = [];
	set_error_handler(function (int $no, string $msg) use (&$warnings): bool {
		$warnings[] = $msg;
		return true;
	});
	try {
		return $fn();
	} catch (Throwable $e) {
		$msg = $e->getMessage();
		if ($warnings) {
			$msg .= ' [' . implode('; ', array_unique($warnings)) . ']';
		}
		throw new NcError($msg, 500);
	} finally {
		restore_error_handler();
	}
}

/**
 * RedisFactory::create for a single server: 'redis' => host (tls://name for
 * TLS), port, password (and user), timeout, read_timeout, ssl_context given
 * to phpredis as ['stream' => ssl_context], dbindex; pconnect unless
 * redis.persistent is false. redis.cluster is not part of the stand-in.
 */
function nc_redis(NcConfig $config): Redis {
	if (!nc_cache_available('OC\Memcache\Redis')) {
		throw new NcError('Redis support is not available');
	}
	if ($config->has('redis.cluster')) {
		throw new NcError('redis.cluster: the stand-in connects to a single Redis server only');
	}
	$conf = $config->get('redis', []);
	$conf = is_array($conf) ? $conf : [];
	$timeout = $conf['timeout'] ?? 0.0;
	$readTimeout = $conf['read_timeout'] ?? 0.0;
	$auth = null;
	if (isset($conf['password']) && (string)$conf['password'] !== '') {
		$auth = (isset($conf['user']) && (string)$conf['user'] !== '') ? [$conf['user'], $conf['password']] : $conf['password'];
	}
	$params = null;
	if (isset($conf['ssl_context'])) {
		if (version_compare(phpversion('redis') ?: '0.0.0', '5.3.0') < 0) {
			throw new NcError('php-redis extension must be version 5.3.0 or higher to support ssl context');
		}
		$params = ['stream' => $conf['ssl_context']];
	}
	$persistent = $config->get('redis.persistent', true);
	$host = $conf['host'] ?? '127.0.0.1';
	$port = $conf['port'] ?? ($host[0] !== '/' ? 6379 : null);
	return nc_with_warnings(function () use ($host, $port, $timeout, $readTimeout, $params, $persistent, $auth, $conf): Redis {
		$redis = new Redis();
		$ok = $params !== null
			? ($persistent ? $redis->pconnect($host, $port, $timeout, null, 0, $readTimeout, $params) : $redis->connect($host, $port, $timeout, null, 0, $readTimeout, $params))
			: ($persistent ? $redis->pconnect($host, $port, $timeout, null, 0, $readTimeout) : $redis->connect($host, $port, $timeout, null, 0, $readTimeout));
		if (!$ok) {
			throw new RuntimeException('could not connect to ' . $host . ':' . $port);
		}
		if ($auth !== null && !$redis->auth($auth)) {
			throw new RuntimeException('AUTH failed: ' . ($redis->getLastError() ?? 'no reason given'));
		}
		if (isset($conf['dbindex'])) {
			$redis->select($conf['dbindex']);
		}
		return $redis;
	});
}

/** PING through the distributed cache: 'ok', or why not. */
function nc_cache_ping(NcConfig $config): string {
	try {
		$caches = nc_caches($config);
		if ($caches['distributed'] !== 'OC\Memcache\Redis') {
			return 'ok: ' . $caches['distributed'] . ' (no Redis)';
		}
		$redis = nc_redis($config);
		$pong = nc_with_warnings(fn () => $redis->ping());
		return ($pong === true || $pong === '+PONG' || $pong === 'PONG') ? 'ok' : 'unexpected PING answer: ' . var_export($pong, true);
	} catch (Throwable $e) {
		return 'error: ' . $e->getMessage();
	}
}

// ---- Log (lib/private/Log/File.php, LogDetails) ----

/**
 * One entry in Nextcloud's JSON log format, where log_type sends it: 'file'
 * (logfile, default <datadirectory>/nextcloud.log, falling back to the
 * default file, then to PHP's error_log), 'syslog' or 'errorlog'. Returns
 * where it went.
 */
function nc_log(NcConfig $config, int $level, string $app, string $message): string {
	$entry = json_encode([
		'reqId' => bin2hex(random_bytes(10)),
		'level' => $level,
		'time' => (new DateTime('now', new DateTimeZone($config->string('logtimezone', 'UTC'))))->format($config->string('logdateformat', DateTimeInterface::ATOM)),
		'remoteAddr' => nc_is_cli() ? '' : nc_client_ip($config),
		'user' => '--',
		'app' => $app,
		'method' => $_SERVER['REQUEST_METHOD'] ?? '',
		'url' => $_SERVER['REQUEST_URI'] ?? '--',
		'message' => $message,
		'userAgent' => $_SERVER['HTTP_USER_AGENT'] ?? '--',
		'version' => NC_VERSION,
	], JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
	$type = $config->string('log_type', 'file');
	if ($type === 'syslog') {
		openlog($config->string('syslog_tag', 'Nextcloud'), LOG_PID | LOG_CONS, LOG_USER);
		syslog(LOG_INFO, $entry);
		return 'syslog';
	}
	if ($type === 'errorlog') {
		error_log($entry);
		return 'error_log';
	}
	$default = $config->string('datadirectory', dirname(__DIR__) . '/data') . '/nextcloud.log';
	$file = $config->string('logfile', $default);
	if (!file_exists($file) && (!is_writable(dirname($file)) || !@touch($file)) && $default !== $file) {
		$file = $default;
	}
	$handle = @fopen($file, 'a');
	if ($handle === false) {
		error_log($entry);
		return 'error_log';
	}
	$mode = $config->get('logfilemode', 0640);
	if (is_int($mode) && $mode > 0 && is_file($file) && (fileperms($file) & 0777) !== $mode) {
		@chmod($file, $mode);
	}
	fwrite($handle, $entry . "\n");
	fclose($handle);
	return $file;
}

// ---- Primary object storage (lib/private/Files/ObjectStore/S3*.php with the AWS SDK) ----

/**
 * The objectstore's S3 parameters as S3ConnectionTrait::parseParams sets
 * them. Only \OC\Files\ObjectStore\S3 is part of the stand-in.
 */
function nc_s3_params(NcConfig $config): array {
	$store = $config->get('objectstore', null);
	if (!is_array($store)) {
		throw new NcError('objectstore is not configured: files stay in the data directory', 500);
	}
	$class = ltrim((string)($store['class'] ?? ''), '\\');
	if ($class !== 'OC\Files\ObjectStore\S3') {
		throw new NcError(sprintf('objectstore class %s: the stand-in has \OC\Files\ObjectStore\S3 only', $class), 500);
	}
	$p = $store['arguments'] ?? [];
	if (!is_array($p) || empty($p['bucket'])) {
		throw new NcError('Bucket has to be configured.', 500);
	}
	$p['region'] = empty($p['region']) ? 'eu-west-1' : (string)$p['region'];
	$p['hostname'] = empty($p['hostname']) ? 's3.' . $p['region'] . '.amazonaws.com' : (string)$p['hostname'];
	$ssl = !(isset($p['use_ssl']) && $p['use_ssl'] === false);
	if (!isset($p['port']) || $p['port'] === '') {
		$p['port'] = $ssl ? 443 : 80;
	}
	$p['scheme'] = $ssl ? 'https' : 'http';
	// 'autocreate' is not read by Nextcloud's S3 store; this is.
	$p['verify_bucket_exists'] = $p['verify_bucket_exists'] ?? true;
	$p['storageClass'] = !empty($p['storageClass']) ? (string)$p['storageClass'] : 'STANDARD';
	return $p;
}

/**
 * The request URL the AWS SDK builds: virtual-hosted (BUCKET.hostname)
 * unless use_path_style, or the bucket name is not DNS-compatible (or has a
 * dot under https); the key URL-encoded, '/' kept.
 */
function nc_s3_url(array $p, string $key = ''): string {
	$bucket = (string)$p['bucket'];
	$dnsOk = strlen($bucket) >= 3 && strlen($bucket) <= 63 && !filter_var($bucket, FILTER_VALIDATE_IP)
		&& preg_match('/^[a-z0-9]([a-z0-9\-\.]*[a-z0-9])?$/', $bucket);
	$port = (int)$p['port'] === ($p['scheme'] === 'https' ? 443 : 80) ? '' : ':' . (int)$p['port'];
	$path = str_replace('%2F', '/', rawurlencode($key));
	if (empty($p['use_path_style']) && $dnsOk && !($p['scheme'] === 'https' && str_contains($bucket, '.'))) {
		return $p['scheme'] . '://' . $bucket . '.' . $p['hostname'] . $port . '/' . $path;
	}
	return $p['scheme'] . '://' . $p['hostname'] . $port . '/' . rawurlencode($bucket) . ($key === '' ? '' : '/' . $path);
}

/** One HTTP exchange with curl: [status, headers, body, error]. */
function nc_http(string $method, string $url, array $headers = [], ?string $body = null, array $opts = []): array {
	$ch = curl_init($url);
	$respHeaders = [];
	curl_setopt_array($ch, $opts + [
		CURLOPT_CUSTOMREQUEST => $method,
		CURLOPT_RETURNTRANSFER => true,
		CURLOPT_HTTPHEADER => $headers,
		CURLOPT_CONNECTTIMEOUT => 5,
		CURLOPT_TIMEOUT => 120,
		CURLOPT_HEADERFUNCTION => function ($ch, string $line) use (&$respHeaders): int {
			$parts = explode(':', $line, 2);
			if (count($parts) === 2) {
				$respHeaders[strtolower(trim($parts[0]))] = trim($parts[1]);
			}
			return strlen($line);
		},
	]);
	if ($method === 'HEAD') {
		curl_setopt($ch, CURLOPT_NOBODY, true);
	} elseif ($body !== null) {
		// POSTFIELDS: curl's SigV4 hashes this buffer (not a read callback).
		curl_setopt($ch, CURLOPT_POSTFIELDS, $body);
	}
	$out = curl_exec($ch);
	$status = (int)curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
	$error = $out === false ? curl_error($ch) : '';
	curl_close($ch);
	return [$status, $respHeaders, $out === false ? '' : (string)$out, $error];
}

/**
 * Credentials as Nextcloud's S3 connection asks for them: the arguments'
 * key and secret, else the AWS SDK's default chain without shared config
 * files: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, then the
 * instance profile from IMDS (v2 token; v1 only when the token request is
 * refused without 400/5xx, as the SDK falls back).
 */
function nc_s3_credentials(array $p): array {
	if (!empty($p['key']) && !empty($p['secret'])) {
		return ['key' => (string)$p['key'], 'secret' => (string)$p['secret'], 'token' => null, 'source' => 'config'];
	}
	if (getenv('AWS_ACCESS_KEY_ID') && getenv('AWS_SECRET_ACCESS_KEY')) {
		return ['key' => getenv('AWS_ACCESS_KEY_ID'), 'secret' => getenv('AWS_SECRET_ACCESS_KEY'), 'token' => getenv('AWS_SESSION_TOKEN') ?: null, 'source' => 'environment'];
	}
	if (strtolower((string)getenv('AWS_EC2_METADATA_DISABLED')) === 'true') {
		throw new NcError('Error retrieving credentials: no credentials in the configuration or the environment, and the instance metadata service is disabled', 502, ['stage' => 'credentials']);
	}
	$base = rtrim(getenv('AWS_EC2_METADATA_SERVICE_ENDPOINT') ?: 'http://169.254.169.254', '/');
	$opts = [CURLOPT_CONNECTTIMEOUT => 1, CURLOPT_TIMEOUT => 1];
	$fail = fn (string $what) => new NcError('Error retrieving credentials from the instance profile metadata service. (' . $what . ')', 502, ['stage' => 'credentials']);
	[$st, , $token, $err] = nc_http('PUT', $base . '/latest/api/token', ['x-aws-ec2-metadata-token-ttl-seconds: 21600'], '', $opts);
	$headers = [];
	if ($st === 200) {
		$headers[] = 'x-aws-ec2-metadata-token: ' . trim($token);
	} elseif (in_array($st, [400, 500, 502, 503, 504], true)) {
		throw $fail("Error retrieving metadata token: HTTP $st");
	} // else IMDSv1, as the SDK falls back
	[$st, , $role, $err] = nc_http('GET', $base . '/latest/meta-data/iam/security-credentials/', $headers, null, $opts);
	$role = trim(strtok($role, "\n") ?: '');
	if ($st !== 200 || $role === '') {
		throw $fail("no instance role: HTTP $st $err");
	}
	[$st, , $json, $err] = nc_http('GET', $base . '/latest/meta-data/iam/security-credentials/' . rawurlencode($role), $headers, null, $opts);
	$c = json_decode($json, true);
	if ($st !== 200 || !is_array($c)) {
		throw $fail("credentials of $role: HTTP $st $err");
	}
	if (($c['Code'] ?? '') !== 'Success') {
		throw $fail('Unexpected instance profile response code: ' . ($c['Code'] ?? 'none'));
	}
	return ['key' => (string)$c['AccessKeyId'], 'secret' => (string)$c['SecretAccessKey'], 'token' => $c['Token'] ?? null, 'source' => 'instance profile ' . $role];
}

/** A SigV4-signed S3 request (curl's CURLOPT_AWS_SIGV4; x-amz-content-sha256 as the SDK sends it). */
function nc_s3_request(array $p, array $creds, string $method, string $url, string $body = '', array $headers = []): array {
	$headers[] = 'x-amz-content-sha256: ' . hash('sha256', $body);
	if ($creds['token'] !== null && $creds['token'] !== '') {
		$headers[] = 'X-Amz-Security-Token: ' . $creds['token'];
	}
	return nc_http($method, $url, $headers, $method === 'HEAD' ? null : $body, [
		CURLOPT_AWS_SIGV4 => 'aws:amz:' . $p['region'] . ':s3',
		CURLOPT_USERPWD => $creds['key'] . ':' . $creds['secret'],
	]);
}

function nc_s3_refused(string $stage, string $url, array $r): NcError {
	[$status, , $body, $err] = $r;
	$what = $err !== '' ? $err : "HTTP $status";
	return new NcError("S3 $stage on $url failed: $what", 502, ['stage' => $stage, 's3_status' => $status, 's3_answer' => $body]);
}

/**
 * S3ConnectionTrait::getConnection's bucket check (verify_bucket_exists,
 * default true): HeadBucket; the SDK's doesBucketExist counts only 2xx as
 * present (a HEAD 403 has no AccessDenied body), so anything else below 500
 * leads to CreateBucket, which must succeed or answer BucketAlreadyOwnedByYou.
 */
function nc_s3_connect(array $p): array {
	$creds = nc_s3_credentials($p);
	if ($p['verify_bucket_exists']) {
		$url = nc_s3_url($p);
		$r = nc_s3_request($p, $creds, 'HEAD', $url);
		if ($r[3] !== '' || $r[0] >= 500) {
			throw nc_s3_refused('HeadBucket', $url, $r);
		}
		if ($r[0] < 200 || $r[0] >= 300) {
			$body = $p['region'] === 'us-east-1' ? '' : '<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>'
				. htmlspecialchars($p['region']) . '</LocationConstraint></CreateBucketConfiguration>';
			$c = nc_s3_request($p, $creds, 'PUT', $url, $body, $body === '' ? [] : ['Content-Type: application/xml']);
			if (($c[0] < 200 || $c[0] >= 300) && !str_contains($c[2], '<Code>BucketAlreadyOwnedByYou</Code>')) {
				throw nc_s3_refused('CreateBucket', $url, $c);
			}
		}
	}
	return $creds;
}

/** S3ObjectTrait::writeSingle: PutObject with ACL private and the storage class. */
function nc_s3_put(array $p, array $creds, string $urn, string $body, string $mimetype): array {
	$url = nc_s3_url($p, $urn);
	$r = nc_s3_request($p, $creds, 'PUT', $url, $body, [
		'Content-Type: ' . $mimetype,
		'x-amz-acl: private',
		'x-amz-storage-class: ' . $p['storageClass'],
	]);
	if ($r[3] !== '' || $r[0] < 200 || $r[0] >= 300) {
		throw nc_s3_refused('PutObject', $url, $r);
	}
	return ['url' => $url, 'status' => $r[0]];
}

// ---- Responses ----

function nc_json(int $status, array $body, array $headers = []): void {
	if (!headers_sent()) {
		http_response_code($status);
		header('Content-Type: application/json');
		foreach ($headers as $h) {
			header($h);
		}
	}
	echo json_encode($body, JSON_UNESCAPED_SLASHES | JSON_PRETTY_PRINT | JSON_INVALID_UTF8_SUBSTITUTE), "\n";
}

/**
 * Runs an endpoint; an error becomes a JSON answer with its status, or with
 * $failure instead of a 5xx status when given (status.php answers 503).
 */
function nc_run(callable $endpoint, ?int $failure = null): void {
	try {
		$endpoint();
	} catch (NcError $e) {
		$status = ($failure !== null && $e->status >= 500) ? $failure : $e->status;
		nc_json($status, ['error' => $e->getMessage(), 'server' => gethostname()] + $e->extra);
	} catch (Throwable $e) {
		nc_json($failure ?? 500, ['error' => get_class($e) . ': ' . $e->getMessage(), 'server' => gethostname()]);
	}
}
