package laravel_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/tierkit/tierkit/constructs/fleet"
	"github.com/tierkit/tierkit/constructs/laravel"
	"github.com/tierkit/tierkit/internal/cdktest"
	"github.com/tierkit/tierkit/internal/fakeaws"
)

// The migrations at boot: the released tier (releasedProps) runs them, the
// default tier does not.

const migrateCall = "runuser -u www-data -- php artisan migrate --force --isolated=75 --no-ansi --no-interaction"

// bootReleased boots the released tier on a server whose php stub runs
// artisan as php does: migrate prints what body prints and exits with its
// status.
func bootReleased(t *testing.T, migrate string, failures ...string) (*fakeaws.Machine, fakeaws.Result) {
	t.Helper()
	tpl := released(t)
	m := newMachine(t, false, "/var/www/html", secret(password))
	m.AWS.PutObject(cdktest.RefValue(cdktest.LogicalID(t, tpl, "AWS::S3::Bucket", "TierReleasesBucket")), "releases/"+releaseID+".tar.gz", releaseArchive)
	m.Stub(t, "php", `echo "php $* (in ${PWD#"$TIERKIT_ROOT"})" >>"$TIERKIT_TEST_CALLS"
if [[ $2 == migrate ]]; then
`+migrate+`
fi`)
	m.Stub(t, "sleep", `echo "sleep $*" >>"$TIERKIT_TEST_CALLS"`)
	return m, runBoot(t, m, tpl, failures...)
}

// index is the index of the first call starting with prefix, or -1.
func index(calls []string, prefix string) int {
	return slices.IndexFunc(calls, func(c string) bool { return strings.HasPrefix(c, prefix) })
}

func TestMigrationsRunAsTheWebUserBeforeTheWebServerStarts(t *testing.T) {
	_, r := bootReleased(t, `echo "  2026_12_01_000000_add_orders_table ........ 3.21ms DONE"`)
	cache, migrate, start := index(r.Calls, "runuser -u www-data -- php artisan config:cache"), index(r.Calls, migrateCall), index(r.Calls, "systemctl restart apache2")
	if cache < 0 || migrate < 0 || start < 0 || !(cache < migrate && migrate < start) {
		t.Errorf("calls:\n%s\nwant config:cache, then %q, then the web server started", strings.Join(r.Calls, "\n"), migrateCall)
	}
	if !slices.Contains(r.Calls, "php artisan migrate --force --isolated=75 --no-ansi --no-interaction (in /var/www/html)") {
		t.Errorf("artisan did not migrate in AppPath:\n%s", strings.Join(r.Calls, "\n"))
	}
	if !strings.Contains(r.Log, "artisan: 2026_12_01_000000_add_orders_table ........ 3.21ms DONE") {
		t.Errorf("the boot log does not name the migration:\n%s", r.Log)
	}
	if i, j := strings.Index(r.Log, "serving release "+releaseID), strings.Index(r.Log, "step laravel-migrate"); i < 0 || j < i {
		t.Errorf("the release is served from %d, laravel-migrate runs at %d:\n%s", i, j, r.Log)
	}
	if got := withReleases.tier.BootSteps(); !slices.Equal(got, []string{"cron-off", "rds-ca", "release", "laravel-env", "laravel-cache", "laravel-migrate", "queue-worker", "scheduler"}) {
		t.Errorf("BootSteps() = %q; want laravel-migrate after laravel-cache", got)
	}
}

// TestFailedMigrationFailsTheBoot: the boot fails, the web server stays
// stopped, and the log names the migration but not its SQL, in Laravel 10's
// format (Connection: ..., SQL: ...) or Laravel 9's (SQL: ...), the first
// with migrate --isolated.
func TestFailedMigrationFailsTheBoot(t *testing.T) {
	m, r := bootReleased(t, `echo "  2026_12_01_000000_add_orders_table ........ 3.21ms FAIL"
echo "  Illuminate\Database\QueryException"
echo "  SQLSTATE[42S01]: Base table or view already exists: 1050 Table 'orders' already exists (Connection: mysql, SQL: insert into tokens values ('s3cr3t-value'))"
echo "  SQLSTATE[HY000]: General error: 1364 Field 'id' doesn't have a default value (SQL: insert into tokens values ('s3cr3t-nine'))"
exit 1`, "php artisan migrate failed (exit 1)", "step laravel-migrate failed", "artisan: 2026_12_01_000000_add_orders_table", "Table 'orders' already exists",
		"artisan: SQLSTATE[HY000]: General error: 1364 Field 'id' doesn't have a default value\n")
	if slices.Contains(r.Calls, "systemctl restart apache2") {
		t.Errorf("the web server was started after a failed migration:\n%s", strings.Join(r.Calls, "\n"))
	}
	if strings.Contains(r.Log, "s3cr3t-value") || strings.Contains(r.Log, "s3cr3t-nine") || strings.Contains(r.Log, "insert into") {
		t.Errorf("the boot log holds the migration's SQL:\n%s", r.Log)
	}
	// The whole output stays on the server, for root only.
	out := "var/lib/tierkit/laravel-migrate.log"
	if got := m.Read(t, out); !strings.Contains(got, "SQL: insert into tokens") || strings.Contains(got, "tierkit-boot") {
		t.Errorf("%s holds:\n%s\nwant artisan's whole output, and only it", out, got)
	}
	if fi, err := os.Stat(filepath.Join(m.Root, out)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: %v, %v; want mode 0600", out, fi, err)
	}
}

// TestServerWaitsWhileAnotherMigrates: artisan exits 75 while another
// server holds the lock; the server waits and tries again, then serves.
func TestServerWaitsWhileAnotherMigrates(t *testing.T) {
	_, r := bootReleased(t, `n=$(grep -c '^php artisan migrate' "$TIERKIT_TEST_CALLS")
if ((n < 3)); then echo "The [migrate] command is already running."; exit 75; fi
echo "  INFO  Nothing to migrate."`)
	var migrates, sleeps int
	for _, c := range r.Calls {
		if c == migrateCall {
			migrates++
		}
		if c == fmt.Sprintf("sleep %d", laravel.MigrateWaitSeconds) {
			sleeps++
		}
	}
	if migrates != 3 || sleeps != 2 || !strings.Contains(r.Log, "another server is migrating; waiting 10 seconds (try 2 of 30)") || !strings.Contains(r.Log, "artisan: INFO Nothing to migrate.") {
		t.Errorf("%d migrate calls and %d waits, want 3 and 2:\n%s\n%s", migrates, sleeps, strings.Join(r.Calls, "\n"), r.Log)
	}
}

func TestNoMigrationWithoutMigrate(t *testing.T) {
	_, r := bootDefault(t, true)
	if i := index(r.Calls, "php artisan migrate"); i >= 0 {
		t.Errorf("%q without Migrate", r.Calls[i])
	}
	if slices.Contains(api.tier.BootSteps(), "laravel-migrate") {
		t.Errorf("BootSteps() = %q without Migrate", api.tier.BootSteps())
	}
}

// TestMigrateNeedsASharedCacheStore: the lock is in the cache store.
func TestMigrateNeedsASharedCacheStore(t *testing.T) {
	valid := defaultProps(awscdk.NewStack(nil, nil, nil))
	for _, c := range []struct {
		migrate, store string
		fleet          fleet.Props
		want           string
	}{
		{"always", "", fleet.Props{}, `Migrate: "always" is not supported; allowed: off, on-boot`},
		{"on-boot", "file", fleet.Props{}, `Migrate: "on-boot" takes its once-only lock in the cache store, and CacheStore "file" is not shared between servers while more than one serves (an Auto Scaling group`},
		{"on-boot", "array", fleet.Props{Mode: fleet.Fixed, Instances: 2}, `Migrate: "on-boot" takes its once-only lock in the cache store, and CacheStore "array" is not shared`},
		{"on-boot", "file", fleet.Props{Mode: fleet.Fixed, Instances: 1}, ""},
		{"on-boot", "redis", fleet.Props{}, ""},
		{"off", "file", fleet.Props{Mode: fleet.Fixed, Instances: 1}, ""},
	} {
		p := *valid
		p.Migrate, p.CacheStore, p.Fleet = c.migrate, c.store, c.fleet
		if c.store == "redis" {
			p.RedisHost = "cache.internal"
		}
		got := fmt.Sprint(p.Validate())
		if c.want == "" && strings.Contains(got, "Migrate") || c.want != "" && !strings.Contains(got, c.want) {
			t.Errorf("Migrate %q, CacheStore %q, %+v: got %s; want %q", c.migrate, c.store, c.fleet, got, c.want)
		}
	}
}
