package laravel_test

import (
	"path/filepath"
	"testing"

	"github.com/tierkit/tierkit/internal/cdktest"
	"github.com/tierkit/tierkit/internal/fakeaws"
)

// The golden server's vhost, and the tier's secret.
const (
	vhost = "/etc/apache2/sites-available/api.example.com.conf"
	// rhelVhost is the vhost of a RHEL-family golden server.
	rhelVhost = "/etc/httpd/conf.d/api.example.com.conf"
	// password looks like one the database block generates: letters,
	// digits and the few punctuation marks PasswordExcludedCharacters leaves.
	password = "Zq9,x.T^e_st-=Pw7rA"
)

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

// newMachine returns a copy of the golden server (fakeaws.NewGoldenMachine:
// the vhost and /etc/hosts holding the golden IP, the AMI's
// /etc/cron.d/laravel) with the Laravel application at app and its .env,
// and runuser and php stubbed.
func newMachine(t *testing.T, singleton bool, app string, secret map[string]any) *fakeaws.Machine {
	t.Helper()
	m := fakeaws.NewGoldenMachine(t, singleton, map[string]map[string]any{"": secret}, fakeaws.Golden{
		Host: "api.example.com", Vhost: vhost, DocumentRoot: "/var/www/html/public",
		CronFile: "/etc/cron.d/laravel", CronLine: "* * * * * www-data cd /var/www/html && php artisan schedule:run >> /dev/null 2>&1",
	})
	equip(t, m, app)
	return m
}

// newRHELMachine is newMachine on a RHEL-family server (fakeaws.Machine.RHEL),
// its vhost in /etc/httpd/conf.d.
func newRHELMachine(t *testing.T, singleton bool, app string, secret map[string]any) *fakeaws.Machine {
	t.Helper()
	m := fakeaws.NewGoldenMachine(t, singleton, map[string]map[string]any{"": secret}, fakeaws.Golden{
		Host: "api.example.com", Vhost: rhelVhost, DocumentRoot: "/var/www/html/public",
		CronFile: "/etc/cron.d/laravel", CronLine: "* * * * * apache cd /var/www/html && php artisan schedule:run >> /dev/null 2>&1",
	})
	m.RHEL(t)
	equip(t, m, app)
	return m
}

// equip adds the Laravel application at app, its .env, and the runuser and
// php stubs.
func equip(t *testing.T, m *fakeaws.Machine, app string) {
	t.Helper()
	m.AWS.Name = "TierDatabaseSecret"
	m.Stub(t, "runuser", `echo "runuser $*" >>"$TIERKIT_TEST_CALLS"
[[ $1 == -u && $3 == -- ]] || exit 2
shift 3
exec "$@"`)
	m.Stub(t, "php", `echo "php $* (in ${PWD#"$TIERKIT_ROOT"})" >>"$TIERKIT_TEST_CALLS"`)
	cdktest.WriteFile(t, filepath.Join(m.Root, app, "artisan"), "#!/usr/bin/env php\n", 0o755)
	cdktest.WriteFile(t, filepath.Join(m.Root, app, ".env"), defaultEnv, 0o644)
}
