package nextcloud_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// machine is a temporary root the boot script runs against, with stubs for
// the programs that need root or a real system (systemctl, runuser, chown,
// the CloudWatch agent). php is not stubbed: the boot runs no occ, and
// checks the configuration with php -l only where PHP is installed.
type machine struct {
	Root  string
	stubs string
	calls string
	imds  *fakeaws.IMDS
	aws   *fakeaws.SecretsManager
}

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
func newMachine(t *testing.T, singleton bool, install, config string) *machine {
	t.Helper()
	dir := t.TempDir()
	m := &machine{Root: filepath.Join(dir, "root"), stubs: filepath.Join(dir, "bin"), calls: filepath.Join(dir, "calls"),
		imds: fakeaws.NewIMDS(t, singleton), aws: fakeaws.NewSecretsManager(t, secrets())}
	cdktest.WriteFile(t, filepath.Join(m.stubs, "systemctl"), `#!/bin/bash
echo "systemctl $*" >>"$TIERKIT_TEST_CALLS"
[[ "$*" != "cat crond.service" ]]
`, 0o755)
	cdktest.WriteFile(t, filepath.Join(m.stubs, "runuser"), `#!/bin/bash
echo "runuser $*" >>"$TIERKIT_TEST_CALLS"
exit 2
`, 0o755)
	cdktest.WriteFile(t, filepath.Join(m.stubs, "chown"), `#!/bin/bash
echo "chown ${*//"$TIERKIT_ROOT"/}" >>"$TIERKIT_TEST_CALLS"
`, 0o755)
	cdktest.WriteFile(t, filepath.Join(m.Root, "opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl"), "#!/bin/bash\n", 0o755)
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

// result is one run of the boot script.
type result struct {
	Err     error
	Console string
	Log     string
	Calls   []string
}

// run runs script with bash against the machine, with the fakes' addresses.
func (m *machine) run(t *testing.T, script string) result {
	t.Helper()
	file := filepath.Join(t.TempDir(), "user-data")
	cdktest.WriteFile(t, file, script, 0o755)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", file)
	cmd.Env = append(os.Environ(),
		"PATH="+m.stubs+string(os.PathListSeparator)+os.Getenv("PATH"),
		"TIERKIT_ROOT="+m.Root,
		"TIERKIT_IMDS="+m.imds.URL,
		"TIERKIT_TEST_CALLS="+m.calls,
		"TIERKIT_SECRETS_ENDPOINT="+m.aws.URL,
		"TIERKIT_RDS_CA_URL="+m.aws.URL+"/global-bundle.pem",
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("the script did not finish in time:\n%s", out.String())
	}
	r := result{Err: err, Console: out.String()}
	if b, err := os.ReadFile(filepath.Join(m.Root, "var/log/tierkit-boot.log")); err == nil {
		r.Log = string(b)
	}
	if b, err := os.ReadFile(m.calls); err == nil {
		r.Calls = strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	}
	return r
}

func (m *machine) exists(rel string) bool {
	_, err := os.Lstat(filepath.Join(m.Root, rel))
	return err == nil
}

func (m *machine) read(t *testing.T, rel string) string {
	t.Helper()
	return cdktest.ReadFile(t, filepath.Join(m.Root, rel))
}
