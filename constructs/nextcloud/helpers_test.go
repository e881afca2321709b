package nextcloud_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tierkit/tierkit/internal/cdktest"
	"github.com/tierkit/tierkit/internal/fakeaws"
)

// The golden server the AMI is made from, and the tier's secrets.
const (
	goldenIP = "10.0.0.1"
	vhost    = "/etc/apache2/sites-available/cloud.example.com.conf"
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
		"Cache": {"token": cacheToken},
		"Seed":  {"seed": seed},
	}
}

// newMachine returns a copy of the golden server: Nextcloud at install
// with config (config.php's content), its cron entry, PHP's conf.d
// directories, the vhost and /etc/hosts holding the golden IP, and the
// CloudWatch agent.
//
// php is not stubbed: the boot runs no occ, and checks the configuration with
// php -l only where PHP is installed.
func newMachine(t *testing.T, singleton bool, install, config string) *fakeaws.Machine {
	t.Helper()
	m := fakeaws.NewMachine(t, singleton, secrets())
	m.Stub(t, "runuser", `echo "runuser $*" >>"$TIERKIT_TEST_CALLS"
exit 2`)
	cdktest.WriteFile(t, filepath.Join(m.Root, "etc/hosts"), "127.0.0.1 localhost\n10.0.0.1 cloud.example.com cloud\n", 0o644)
	cdktest.WriteFile(t, filepath.Join(m.Root, vhost), "<VirtualHost 10.0.0.1:80>\n  ServerName cloud.example.com\n  DocumentRoot /var/www/nextcloud\n</VirtualHost>\n", 0o644)
	cdktest.WriteFile(t, filepath.Join(m.Root, install, "config/config.php"), config, 0o640)
	cdktest.WriteFile(t, filepath.Join(m.Root, install, "cron.php"), "<?php\n", 0o644)
	cdktest.WriteFile(t, filepath.Join(m.Root, "etc/cron.d/nextcloud"), "*/5 * * * * www-data php -f /var/www/nextcloud/cron.php\n", 0o644)
	for _, d := range []string{"etc/php/8.3/apache2/conf.d", "etc/php/8.3/cli/conf.d"} {
		if err := os.MkdirAll(filepath.Join(m.Root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return m
}
