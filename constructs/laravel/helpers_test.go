package laravel_test

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
	vhost    = "/etc/apache2/sites-available/api.example.com.conf"
	// password looks like one the database block generates: letters,
	// digits and the few punctuation marks PasswordExcludedCharacters leaves.
	password = "Zq9,x.T^e_st-=Pw7rA"
)

// machine is a temporary root the boot script runs against, with stubs for
// the programs that need root or a real system (systemctl, runuser, chown,
// php, the CloudWatch agent).
type machine struct {
	Root  string
	stubs string
	calls string
	imds  *fakeaws.IMDS
	aws   *fakeaws.SecretsManager
}

const defaultEnv = `APP_NAME=Api
APP_ENV=local
APP_KEY=base64:c2VjcmV0LWtleS1vZi10aGUtZ29sZGVuLXNlcnZlcg==
APP_DEBUG=true
APP_URL=http://10.0.0.1

# database of the golden server
DB_CONNECTION=mysql
DB_HOST=10.0.0.1
DB_HOST=10.0.0.2
export DB_USERNAME=laravel
DB_PASSWORD=old-password
DB_URL=mysql://laravel:old-password@10.0.0.1/api

AWS_ACCESS_KEY_ID=AKIAOLDKEY
AWS_SECRET_ACCESS_KEY=old/secret
AWS_BUCKET=golden-uploads
SESSION_DRIVER=file
LOG_CHANNEL=stack
QUEUE_CONNECTION=database
`

// newMachine returns a copy of the golden server: the Laravel application
// at app with its .env, its cron entry, the vhost and /etc/hosts holding
// the golden IP, and the CloudWatch agent.
func newMachine(t *testing.T, singleton bool, app string, secret map[string]any) *machine {
	t.Helper()
	dir := t.TempDir()
	m := &machine{Root: filepath.Join(dir, "root"), stubs: filepath.Join(dir, "bin"), calls: filepath.Join(dir, "calls"),
		imds: fakeaws.NewIMDS(t, singleton), aws: fakeaws.NewSecretsManager(t, map[string]map[string]any{"": secret})}
	m.aws.Name = "TierDatabaseSecret"
	cdktest.WriteFile(t, filepath.Join(m.stubs, "systemctl"), `#!/bin/bash
echo "systemctl $*" >>"$TIERKIT_TEST_CALLS"
[[ "$*" != "cat crond.service" ]]
`, 0o755)
	cdktest.WriteFile(t, filepath.Join(m.stubs, "runuser"), `#!/bin/bash
echo "runuser $*" >>"$TIERKIT_TEST_CALLS"
[[ $1 == -u && $3 == -- ]] || exit 2
shift 3
exec "$@"
`, 0o755)
	cdktest.WriteFile(t, filepath.Join(m.stubs, "php"), `#!/bin/bash
echo "php $* (in ${PWD#"$TIERKIT_ROOT"})" >>"$TIERKIT_TEST_CALLS"
`, 0o755)
	cdktest.WriteFile(t, filepath.Join(m.stubs, "chown"), `#!/bin/bash
echo "chown ${*//"$TIERKIT_ROOT"/}" >>"$TIERKIT_TEST_CALLS"
`, 0o755)
	cdktest.WriteFile(t, filepath.Join(m.Root, "opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl"), "#!/bin/bash\n", 0o755)
	cdktest.WriteFile(t, filepath.Join(m.Root, "etc/hosts"), "127.0.0.1 localhost\n10.0.0.1 api.example.com api\n", 0o644)
	cdktest.WriteFile(t, filepath.Join(m.Root, vhost), "<VirtualHost 10.0.0.1:80>\n  ServerName api.example.com\n  DocumentRoot /var/www/html/public\n</VirtualHost>\n", 0o644)
	cdktest.WriteFile(t, filepath.Join(m.Root, app, "artisan"), "#!/usr/bin/env php\n", 0o755)
	cdktest.WriteFile(t, filepath.Join(m.Root, app, ".env"), defaultEnv, 0o644)
	cdktest.WriteFile(t, filepath.Join(m.Root, "etc/cron.d/laravel"), "* * * * * www-data cd /var/www/html && php artisan schedule:run >> /dev/null 2>&1\n", 0o644)
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
