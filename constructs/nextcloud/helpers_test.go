package nextcloud_test

import (
	"path/filepath"
	"testing"

	"github.com/tierkit/tierkit/internal/cdktest"
	"github.com/tierkit/tierkit/internal/fakeaws"
)

// vhost is the golden server's Apache vhost, which holds its IP; rhelVhost
// is a RHEL-family golden server's.
const (
	vhost     = "/etc/apache2/sites-available/cloud.example.com.conf"
	rhelVhost = "/etc/httpd/conf.d/cloud.example.com.conf"
)

// The tier's secrets as the fake Secrets Manager holds them.
const (
	// password looks like one the database block generates: letters,
	// digits and the few punctuation marks PasswordExcludedCharacters leaves.
	password = "Zq9,x.T^e_st-=Pw7rA"
	// cacheToken is the cache's AUTH token (letters and digits).
	cacheToken = "CacheTok3nLettersAndDigits0123456789abcdefghij"
	// seed is the generated-values secret: 80 letters and digits.
	seed = "AbCdEfGhIj" + "k1m2n3o4p5q6r7s8t9u0v1w2x3y4z5" + "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxw"
)

// freshConfig is the AMI's config.php of a server installed without the
// instance-wide values (an autoconfig install, a hand-made image).
const freshConfig = `<?php
$CONFIG = array (
  'instanceid' => '',
  'datadirectory' => '/var/www/nextcloud/data',
  'dbtype' => 'mysql',
  'dbhost' => 'localhost',
  'dbpassword' => 'golden-db-password',
  'trusted_domains' => array (0 => 'localhost', 1 => '10.0.0.1'),
  'version' => '31.0.0.1',
  'installed' => true,
);
`

// installedConfig is the golden server's config.php after the installer:
// it holds the instance-wide values.
const installedConfig = `<?php
$CONFIG = array (
  'instanceid' => 'ocgolden1234',
  'passwordsalt' => 'GoldenSaltGoldenSaltGoldenSalt',
  'secret' => 'GoldenSecretGoldenSecretGoldenSecretGold',
  'datadirectory' => '/var/www/nextcloud/data',
  'dbtype' => 'mysql',
  'version' => '31.0.0.1',
  'installed' => true,
);
`

// secrets returns what the fake Secrets Manager holds, by a fragment of
// the SecretId (the resolved ARN names the secret's logical ID): the
// database secret as RDS attaches it, the cache's token and the seed.
func secrets() map[string]map[string]any {
	return map[string]map[string]any{
		"Database": {"password": password, "dbname": "app", "engine": "mysql", "port": 3307,
			"dbInstanceIdentifier": "tier-db", "host": "tier-db.example", "username": "tierkit_admin"},
		"Cache":       {"token": cacheToken},
		"Seed":        {"seed": seed},
		mailSecretARN: {"username": "cloud@example.com", "password": mailPassword},
	}
}

// newMachine returns a copy of article 004's golden server (the vhost and
// /etc/hosts holding its IP, the cron entry of Nextcloud's background jobs)
// with Nextcloud installed at install: config (config.php's content),
// cron.php, and PHP's conf.d directories of Apache and the CLI, each with
// the APCu ini Debian's php-apcu installs.
//
// php is not stubbed: the boot runs no occ, and checks the configuration with
// php -l only where PHP is installed; runuser, which occ would need, fails.
func newMachine(t *testing.T, singleton bool, install, config string) *fakeaws.Machine {
	t.Helper()
	m := fakeaws.NewGoldenMachine(t, singleton, secrets(), fakeaws.Golden{
		Host: "cloud.example.com", Vhost: vhost, DocumentRoot: "/var/www/nextcloud",
		CronFile: "/etc/cron.d/nextcloud", CronLine: "*/5 * * * * www-data php -f /var/www/nextcloud/cron.php",
	})
	m.AWS.Parameters = map[string]string{apiKeyParameter: apiKey}
	m.Stub(t, "runuser", `echo "runuser $*" >>"$TIERKIT_TEST_CALLS"
exit 2`)
	// amazon-efs-utils' helper, and mount and mountpoint remembering what
	// was mounted: the test machine mounts nothing.
	m.Stub(t, "mount.efs", "exit 0")
	m.Stub(t, "mount", `echo "mount ${*//"$TIERKIT_ROOT"/}" >>"$TIERKIT_TEST_CALLS"
echo "${@: -1}" >>"$TIERKIT_TEST_CALLS.mounted"`)
	m.Stub(t, "mountpoint", `[[ $1 == -q ]] && grep -qxF -- "$2" "$TIERKIT_TEST_CALLS.mounted" 2>/dev/null`)
	files := map[string]string{
		filepath.Join(install, "config/config.php"): config,
		filepath.Join(install, "cron.php"):          "<?php\n",
		"/etc/php/8.3/apache2/conf.d/20-apcu.ini":   "extension=apcu.so\n",
		"/etc/php/8.3/cli/conf.d/20-apcu.ini":       "extension=apcu.so\n",
	}
	for file, content := range files {
		cdktest.WriteFile(t, filepath.Join(m.Root, file), content, 0o640)
	}
	return m
}

// newRHELMachine is newMachine on a RHEL-family server
// (fakeaws.Machine.RHEL): the vhost in /etc/httpd/conf.d, PHP's /etc/php.d
// and PHP-FPM's www pool with its own session settings, cronie.
func newRHELMachine(t *testing.T, singleton bool, install, config string) *fakeaws.Machine {
	t.Helper()
	m := fakeaws.NewGoldenMachine(t, singleton, secrets(), fakeaws.Golden{
		Host: "cloud.example.com", Vhost: rhelVhost, DocumentRoot: "/var/www/nextcloud",
		CronFile: "/etc/cron.d/nextcloud", CronLine: "*/5 * * * * apache php -f /var/www/nextcloud/cron.php",
	})
	m.RHEL(t)
	cdktest.WriteFile(t, filepath.Join(m.Root, install, "config/config.php"), config, 0o640)
	cdktest.WriteFile(t, filepath.Join(m.Root, install, "cron.php"), "<?php\n", 0o640)
	return m
}
