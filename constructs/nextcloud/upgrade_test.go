package nextcloud_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/tierkit/tierkit/constructs/nextcloud"
	"github.com/tierkit/tierkit/internal/cdktest"
	"github.com/tierkit/tierkit/internal/fakeaws"
)

// Nextcloud's upgrade at boot: the released tier (releasedProps) runs it,
// the default tier does not. The php stub plays the upgrade program (its
// state is the four versions it prints: code, config.php, target, done) and
// occ, whose calls it records (occ's arguments from $2).

const (
	program = "/var/lib/tierkit/nextcloud-upgrade.php /var/www/nextcloud"
	occCall = "php occ %s --no-ansi --no-interaction (in /var/www/nextcloud)"
)

// stubUpgrade makes php the upgrade program, whose state command prints
// state and whose lock is free, and occ, which runs occ as bash (with the
// command's name in $2); runuser runs its command, sleep returns at once.
func stubUpgrade(t *testing.T, m *fakeaws.Machine, state, occ string) {
	t.Helper()
	m.Stub(t, "php", `if [[ $1 == occ ]]; then echo "php $* (in ${PWD#"$TIERKIT_ROOT"})"; else echo "php ${*//"$TIERKIT_ROOT"/}"; fi >>"$TIERKIT_TEST_CALLS"
case ${1##*/}:$3 in
nextcloud-upgrade.php:hold) echo locked; cat >/dev/null ;;
nextcloud-upgrade.php:state) echo `+fmt.Sprintf("%q", state)+` ;;
nextcloud-upgrade.php:migrations) grep -c '^php occ upgrade ' "$TIERKIT_TEST_CALLS" || true ;;
occ:*)
`+occ+`
;;
esac`)
	m.Stub(t, "runuser", `echo "runuser ${*//"$TIERKIT_ROOT"/}" >>"$TIERKIT_TEST_CALLS"
shift 3
exec "$@"`)
	m.Stub(t, "sleep", `echo "sleep $*" >>"$TIERKIT_TEST_CALLS"`)
}

// bootUpgrade boots the released tier with the upgrade program's state and
// occ's body; failures are what the boot log must say when it fails.
func bootUpgrade(t *testing.T, state, occ string, failures ...string) (*fakeaws.Machine, fakeaws.Result) {
	t.Helper()
	tpl := released(t)
	m := newMachine(t, false, "/var/www/nextcloud", installedConfig)
	m.AWS.PutObject(cdktest.RefValue(cdktest.LogicalID(t, tpl, "AWS::S3::Bucket", "TierReleasesBucket")), "releases/"+releaseID+".tar.gz", releaseArchive)
	stubUpgrade(t, m, state, occ)
	r := m.Boot(t, tpl)
	if len(failures) == 0 && r.Err != nil {
		t.Fatalf("boot failed: %v\n%s", r.Err, r.Console)
	}
	if len(failures) > 0 {
		if r.Err == nil {
			t.Fatalf("boot succeeded; want it to fail with %q\n%s", failures, r.Log)
		}
		for _, f := range failures {
			if !strings.Contains(r.Log, f) {
				t.Errorf("the boot log does not say %q:\n%s", f, r.Log)
			}
		}
	}
	return m, r
}

// index is the index of the first call starting with prefix, or -1.
func index(calls []string, prefix string) int {
	return slices.IndexFunc(calls, func(c string) bool { return strings.HasPrefix(c, prefix) })
}

func occ(command string) string { return fmt.Sprintf(occCall, command) }

// TestTheFirstServerOfANewVersionUpgradesOnceBeforeServing: the database
// and config.php are at 31.0.0.1, the code at 31.0.9.1: the server records
// the target, waits for the older servers' fence, then maintenance on,
// occ upgrade, the repairs, maintenance off, done recorded, all before the
// web server starts and before the cron entry is written.
func TestTheFirstServerOfANewVersionUpgradesOnceBeforeServing(t *testing.T) {
	_, r := bootUpgrade(t, "31.0.9.1 31.0.0.1 31.0.0.1 31.0.0.1", `echo "Updating database schema"; echo "Update successful"`)
	want := []string{
		"php " + program + " hold 780",
		"php " + program + " state",
		"php " + program + " set target 31.0.9.1",
		fmt.Sprintf("sleep %d", nextcloud.FenceSeconds),
		"php " + program + " migrations",
		occ("maintenance:mode --on"), occ("upgrade"),
		occ("db:add-missing-indices"), occ("db:add-missing-columns"), occ("db:add-missing-primary-keys"),
		occ("maintenance:mode --off"),
		"php " + program + " set done 31.0.9.1",
		"php " + program + " fence -",
		"systemctl restart " + nextcloud.GuardUnit,
		"systemctl restart apache2",
	}
	last := -1
	for _, w := range want {
		i := slices.Index(r.Calls, w)
		if i <= last {
			t.Fatalf("%q is not called after %q:\n%s", w, r.Calls[max(last, 0)], strings.Join(r.Calls, "\n"))
		}
		last = i
	}
	if n := len(slices.DeleteFunc(slices.Clone(r.Calls), func(c string) bool { return !strings.HasPrefix(c, "php occ upgrade ") })); n != 1 {
		t.Errorf("occ upgrade ran %d times; want once", n)
	}
	if !strings.Contains(r.Log, "occ: Update successful") || !strings.Contains(r.Log, "upgraded Nextcloud from 31.0.0.1 to 31.0.9.1 on this server") {
		t.Errorf("the boot log does not tell the upgrade:\n%s", r.Log)
	}
	if i, j := strings.Index(r.Log, "step nextcloud-upgrade"), strings.Index(r.Log, "step background-jobs"); i < 0 || j < i {
		t.Errorf("nextcloud-upgrade runs at %d, background-jobs at %d:\n%s", i, j, r.Log)
	}
	if got := tiers["Released"].BootSteps(); !slices.Equal(got, []string{"cron-off", "rds-ca", "release", "nextcloud-config", "nextcloud-upgrade", "background-jobs"}) {
		t.Errorf("BootSteps() = %q; want nextcloud-upgrade after nextcloud-config", got)
	}
}

// TestAServerFromAnOlderAMIRecordsTheDatabasesVersionBeforeUpgrading: the
// code is 32, the database at 31, config.php (the AMI's) says 30: occ
// upgrade, which checks the version jump from config.php's version, must
// see 31, so config.php records 31 first, after the fence's wait.
func TestAServerFromAnOlderAMIRecordsTheDatabasesVersionBeforeUpgrading(t *testing.T) {
	_, r := bootUpgrade(t, "32.0.0.1 30.0.0.2 31.0.0.1 31.0.0.1", `echo "Update successful"`)
	set, sleep, on := slices.Index(r.Calls, occ("config:system:set version --value=31.0.0.1")), slices.Index(r.Calls, fmt.Sprintf("sleep %d", nextcloud.FenceSeconds)), slices.Index(r.Calls, occ("maintenance:mode --on"))
	if set < 0 || set < sleep || set > on {
		t.Errorf("config.php does not record the database's 31.0.0.1 after the fence's wait and before maintenance mode:\n%s", strings.Join(r.Calls, "\n"))
	}
	if !strings.Contains(r.Log, "config.php says Nextcloud 30.0.0.2, the database is at 31.0.0.1") || !strings.Contains(r.Log, "upgraded Nextcloud from 31.0.0.1 to 32.0.0.1 on this server") {
		t.Errorf("the boot log does not tell it:\n%s", r.Log)
	}
}

// TestAnAMIUpgradedByHandStillUpgradesTheDatabase: the team ran occ upgrade
// on the golden server against its own database, so config.php is at the
// code's version; the tier's database is at the version it recorded, and
// this server upgrades it, after config.php records the database's version.
func TestAnAMIUpgradedByHandStillUpgradesTheDatabase(t *testing.T) {
	_, r := bootUpgrade(t, "32.0.0.1 32.0.0.1 31.0.0.1 31.0.0.1", `echo "Update successful"`)
	set, up := slices.Index(r.Calls, occ("config:system:set version --value=31.0.0.1")), slices.Index(r.Calls, occ("upgrade"))
	if set < 0 || up < 0 || set > up {
		t.Errorf("config.php does not record the database's 31.0.0.1 before occ upgrade:\n%s", strings.Join(r.Calls, "\n"))
	}
	if !strings.Contains(r.Log, "upgraded Nextcloud from 31.0.0.1 to 32.0.0.1 on this server") {
		t.Errorf("the boot log does not tell it:\n%s", r.Log)
	}
}

// TestAnotherServerRecordsTheVersionWithoutUpgrading: the database is at
// the server's version already (another server upgraded it): the server
// records the version in its config.php and runs neither occ upgrade nor
// a repair, nor waits.
func TestAnotherServerRecordsTheVersionWithoutUpgrading(t *testing.T) {
	_, r := bootUpgrade(t, "31.0.9.1 31.0.0.1 31.0.9.1 31.0.9.1", "")
	if !slices.Contains(r.Calls, occ("config:system:set version --value=31.0.9.1")) {
		t.Errorf("config.php's version is not recorded:\n%s", strings.Join(r.Calls, "\n"))
	}
	for _, c := range []string{"php occ upgrade", "php occ db:", "php occ maintenance", fmt.Sprintf("sleep %d", nextcloud.FenceSeconds), "php " + program + " set"} {
		if i := index(r.Calls, c); i >= 0 {
			t.Errorf("%q on a server whose database is upgraded already", r.Calls[i])
		}
	}
	if !strings.Contains(r.Log, "the database was upgraded to Nextcloud 31.0.9.1 by another server: config.php records 31.0.9.1 (no second upgrade)") {
		t.Errorf("the boot log does not say so:\n%s", r.Log)
	}
}

// TestAServerAtTheDatabasesVersionRunsNoOcc: same version everywhere.
func TestAServerAtTheDatabasesVersionRunsNoOcc(t *testing.T) {
	_, r := bootUpgrade(t, "31.0.9.1 31.0.9.1 31.0.9.1 31.0.9.1", "")
	if i := index(r.Calls, "php occ"); i >= 0 {
		t.Errorf("%q on a server at the database's version", r.Calls[i])
	}
}

// TestTheFirstBootWithUpgradeRecordsTheVersion: no record yet, config.php
// at the code's version: recorded as the database's, nothing upgraded.
func TestTheFirstBootWithUpgradeRecordsTheVersion(t *testing.T) {
	_, r := bootUpgrade(t, "31.0.0.1 31.0.0.1 - -", "")
	for _, w := range []string{"php " + program + " set target 31.0.0.1", "php " + program + " set done 31.0.0.1"} {
		if !slices.Contains(r.Calls, w) {
			t.Errorf("no %q:\n%s", w, strings.Join(r.Calls, "\n"))
		}
	}
	if i := index(r.Calls, "php occ"); i >= 0 {
		t.Errorf("%q on the first boot at the database's version", r.Calls[i])
	}
}

// TestAnOlderServerNeverServesANewerSchema: the database is upgraded to a
// newer version than the server's code (a rollback, a stale AMI).
func TestAnOlderServerNeverServesANewerSchema(t *testing.T) {
	_, r := bootUpgrade(t, "31.0.0.1 31.0.0.1 31.0.9.1 31.0.9.1", "",
		"this server runs Nextcloud 31.0.0.1 and the database is upgraded to 31.0.9.1: an older Nextcloud never serves against a newer schema")
	if slices.Contains(r.Calls, "systemctl restart apache2") {
		t.Errorf("the web server was started:\n%s", strings.Join(r.Calls, "\n"))
	}
}

// TestFailedUpgradeAfterMigrationsKeepsTheFence: occ upgrade fails after
// migrations ran (the stub counts one more): the boot fails, the web
// server stays stopped, the target stays (older servers stay fenced), and
// occ's whole output is in a root-only file.
func TestFailedUpgradeAfterMigrationsKeepsTheFence(t *testing.T) {
	m, r := bootUpgrade(t, "31.0.9.1 31.0.0.1 31.0.0.1 31.0.0.1", `if [[ $2 == upgrade ]]; then echo "Updating database schema"; echo "SQLSTATE[42S21]: Column already exists: ALTER TABLE oc_secret ADD token VARCHAR(64)"; echo "Update failed"; exit 5; fi`,
		"occ upgrade to Nextcloud 31.0.9.1 failed after 1 of its migrations ran (0 before)", "servers of an older version stay fenced", "occ: Update failed", "step nextcloud-upgrade failed")
	if slices.Contains(r.Calls, "systemctl restart apache2") || index(r.Calls, "php occ db:") >= 0 {
		t.Errorf("the boot went on after the failed upgrade:\n%s", strings.Join(r.Calls, "\n"))
	}
	if slices.Contains(r.Calls, "php "+program+" set target -") || slices.Contains(r.Calls, "php "+program+" set target 31.0.0.1") {
		t.Errorf("the fence was lifted over a half-upgraded database:\n%s", strings.Join(r.Calls, "\n"))
	}
	if strings.Contains(r.Log, "ALTER TABLE") {
		t.Errorf("the boot log holds occ's SQL:\n%s", r.Log)
	}
	out := strings.TrimPrefix(nextcloud.UpgradeLog, "/")
	if got := m.Read(t, out); !strings.Contains(got, "ALTER TABLE oc_secret") || !strings.Contains(got, "$ occ upgrade") {
		t.Errorf("%s holds:\n%s\nwant occ's whole output", out, got)
	}
	if fi, err := os.Stat(filepath.Join(m.Root, out)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: %v, %v; want mode 0600", out, fi, err)
	}
}

// TestUpgradeRefusedBeforeTheSchemaLiftsTheFence: occ upgrade fails before
// any migration (the count is unchanged): the target returns to the
// database's version, so the older servers serve again.
func TestUpgradeRefusedBeforeTheSchemaLiftsTheFence(t *testing.T) {
	_, r := bootUpgrade(t, "31.0.9.1 31.0.0.1 31.0.0.1 31.0.0.1", `if [[ $2 == upgrade ]]; then echo "Exception: Updates between multiple major versions and downgrades are unsupported."; sed -i '$d' "$TIERKIT_TEST_CALLS"; exit 5; fi`,
		"occ upgrade to Nextcloud 31.0.9.1 failed before any migration ran: the servers of Nextcloud 31.0.0.1 serve again", "occ: Exception: Updates between multiple major versions")
	if !slices.Contains(r.Calls, "php "+program+" set target 31.0.0.1") {
		t.Errorf("the target is not returned to 31.0.0.1:\n%s", strings.Join(r.Calls, "\n"))
	}
}

// TestAFailedRepairFailsTheBoot: the schema is upgraded but a repair fails.
func TestAFailedRepairFailsTheBoot(t *testing.T) {
	_, r := bootUpgrade(t, "31.0.9.1 31.0.0.1 31.0.0.1 31.0.0.1", `[[ $2 != db:add-missing-columns ]] || exit 1`,
		"occ db:add-missing-columns failed after the upgrade to Nextcloud 31.0.9.1")
	if index(r.Calls, "php "+program+" set done") >= 0 || slices.Contains(r.Calls, "systemctl restart apache2") {
		t.Errorf("the boot went on after the failed repair:\n%s", strings.Join(r.Calls, "\n"))
	}
}

// TestAServerGivesUpWhenTheLockStaysTaken: the program answers busy.
func TestAServerGivesUpWhenTheLockStaysTaken(t *testing.T) {
	tpl := released(t)
	m := newMachine(t, false, "/var/www/nextcloud", installedConfig)
	m.AWS.PutObject(cdktest.RefValue(cdktest.LogicalID(t, tpl, "AWS::S3::Bucket", "TierReleasesBucket")), "releases/"+releaseID+".tar.gz", releaseArchive)
	stubUpgrade(t, m, "", "")
	m.Stub(t, "php", `[[ $3 != hold ]] || { echo busy; exit 75; }`)
	r := m.Boot(t, tpl)
	if r.Err == nil || !strings.Contains(r.Log, "another server has held the Nextcloud upgrade lock in the database for 780 seconds") {
		t.Errorf("boot: %v\n%s\n%s", r.Err, r.Log, strings.Join(r.Calls, "\n"))
	}
}

// TestTheGuardUnitRunsTheProgramEveryInterval: the unit the step writes
// runs the program as the web user, whom the program file does not let
// change it; every call of the program at boot is the web user's too.
func TestTheGuardUnitRunsTheProgramEveryInterval(t *testing.T) {
	m, r := bootUpgrade(t, "31.0.9.1 31.0.9.1 31.0.9.1 31.0.9.1", "")
	unit := m.Read(t, "etc/systemd/system/"+nextcloud.GuardUnit)
	if !strings.Contains(unit, "\nUser=www-data\nExecStart=/usr/bin/env php "+program+" guard 10\n") || !strings.Contains(unit, "\nRestart=always\n") {
		t.Errorf("%s:\n%s", nextcloud.GuardUnit, unit)
	}
	if got := m.Read(t, strings.TrimPrefix(nextcloud.UpgradeProgram, "/")); !strings.Contains(got, "GET_LOCK") || !strings.Contains(got, "'"+nextcloud.UpgradeTable+"'") {
		t.Errorf("the program is not written:\n%.300s", got)
	}
	if fi, err := os.Stat(filepath.Join(m.Root, nextcloud.UpgradeProgram)); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("%s: %v, %v; want mode 0644", nextcloud.UpgradeProgram, fi, err)
	}
	if !slices.Contains(r.Calls, "runuser -u www-data -- php "+program+" state") {
		t.Errorf("the program's state is not read as the web user:\n%s", strings.Join(r.Calls, "\n"))
	}
}

func TestNoUpgradeWithoutUpgrade(t *testing.T) {
	if slices.Contains(tiers["Test"].BootSteps(), "nextcloud-upgrade") || strings.Contains(cdktest.BootOf(t, template(t), cdktest.FakeValue).Script, "nextcloud-upgrade") {
		t.Errorf("BootSteps() = %q without Upgrade", tiers["Test"].BootSteps())
	}
}

func TestUpgradeTakesOffOrOnBoot(t *testing.T) {
	p := defaultProps(awscdk.NewStack(nil, nil, nil))
	p.Upgrade = "always"
	if got, want := fmt.Sprint(p.Validate()), `Upgrade: "always" is not supported; allowed: off, on-boot ("" for the default, "off")`; !strings.Contains(got, want) {
		t.Errorf("got %s; want %q", got, want)
	}
}

// The upgrade program, run by PHP where it is installed: the fence it
// writes for a newer target makes every web request answer 503 (the health
// check fails) and gives the command line maintenance mode; an older or
// equal target removes it.
func TestTheFenceAnswers503ToTheWebAndMaintenanceToTheCommandLine(t *testing.T) {
	php, err := exec.LookPath("php")
	if err != nil {
		t.Skip("php is not installed")
	}
	install := t.TempDir()
	cdktest.WriteFile(t, filepath.Join(install, "version.php"), "<?php\n$OC_Version = array(31,0,0,1);\n", 0o644)
	cdktest.WriteFile(t, filepath.Join(install, "config/config.php"), installedConfig, 0o640)
	fence := filepath.Join(install, nextcloud.FenceFile)
	run := func(args ...string) string {
		out, err := exec.Command(php, append([]string{"upgrade.php", install}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("php upgrade.php %q: %v\n%s", args, err, out)
		}
		return string(out)
	}
	if out := run("fence", "31.0.9.1"); !strings.Contains(out, "fenced: the database is upgraded to Nextcloud 31.0.9.1, this server runs 31.0.0.1") {
		t.Errorf("fence said %q", out)
	}
	if fi, err := os.Stat(fence); err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("%s: %v, %v; want mode 0640", fence, fi, err)
	}
	// As Nextcloud reads its configuration: include every *.config.php.
	cli, err := exec.Command(php, "-r", `$CONFIG = null; include $argv[1]; echo json_encode($CONFIG);`, fence).CombinedOutput()
	if err != nil || string(cli) != `{"maintenance":true}` {
		t.Errorf("on the command line the fence gives %s (%v); want maintenance mode", cli, err)
	}
	// A web request, through PHP's own web server, to a status.php that
	// reads the configuration as Nextcloud's does and answers 200.
	cdktest.WriteFile(t, filepath.Join(install, "status.php"), "<?php\nforeach (glob(__DIR__ . '/config/*.config.php') as $f) { include $f; }\necho 'healthy';\n", 0o644)
	if code, body := serve(t, php, install, "/status.php"); code != 503 || strings.Contains(body, "healthy") {
		t.Errorf("a web request through the fence answers %d %q; want 503", code, body)
	}
	run("fence", "31.0.0.1")
	if _, err := os.Stat(fence); !os.IsNotExist(err) {
		t.Errorf("the fence stays for a target at the server's version: %v", err)
	}
	if code, body := serve(t, php, install, "/status.php"); code != 200 || body != "healthy" {
		t.Errorf("without the fence a web request answers %d %q; want 200", code, body)
	}
}

// TestTheGuardFencesAServerWhoseCodeIsARelease: with Releases the install
// path is a link to the release, whose config/ links to the AMI's copy; the
// guard writes the fence through both links, where Nextcloud reads it.
func TestTheGuardFencesAServerWhoseCodeIsARelease(t *testing.T) {
	php, err := exec.LookPath("php")
	if err != nil {
		t.Skip("php is not installed")
	}
	root := t.TempDir()
	cdktest.WriteFile(t, filepath.Join(root, "releases/ami/config/config.php"), installedConfig, 0o640)
	cdktest.WriteFile(t, filepath.Join(root, "releases/r1/version.php"), "<?php\n$OC_Version = array(31,0,0,1);\n", 0o644)
	for link, target := range map[string]string{"releases/r1/config": "../ami/config", "nextcloud": "releases/r1"} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	install := filepath.Join(root, "nextcloud")
	out, err := exec.Command(php, "upgrade.php", install, "fence", "31.0.9.1").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "fenced: the database is upgraded to Nextcloud 31.0.9.1") {
		t.Fatalf("fence through the release's links: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(root, "releases/ami", nextcloud.FenceFile)); err != nil {
		t.Errorf("the fence is not in the AMI's config directory, which the release's links to: %v", err)
	}
}

// serve answers one GET of path from PHP's built-in web server on dir.
func serve(t *testing.T, php, dir, path string) (int, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	cmd := exec.Command(php, "-S", addr, "-t", dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + path)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			return resp.StatusCode, string(body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("php -S %s: %v", addr, err)
		}
	}
}

func TestTheUpgradeProgramIsValidPHP(t *testing.T) {
	php, err := exec.LookPath("php")
	if err != nil {
		t.Skip("php is not installed")
	}
	if out, err := exec.Command(php, "-l", "upgrade.php").CombinedOutput(); err != nil {
		t.Errorf("php -l upgrade.php: %v\n%s", err, out)
	}
}

// TestTheProgramLocksRecordsAndFencesOnARealDatabase runs the upgrade
// program against a real MariaDB where one is installed (and the test runs
// as root, which mariadbd's --user needs): a second server's lock waits
// while the first holds it and answers busy after its wait; the records
// are shared; an older server's guard fences it once the target is newer.
func TestTheProgramLocksRecordsAndFencesOnARealDatabase(t *testing.T) {
	php, errPHP := exec.LookPath("php")
	_, errD := exec.LookPath("mariadbd")
	_, errI := exec.LookPath("mariadb-install-db")
	if errPHP != nil || errD != nil || errI != nil || os.Geteuid() != 0 || exec.Command("id", "mysql").Run() != nil {
		t.Skip("needs php, mariadbd, mariadb-install-db, the mysql user and root")
	}
	dir := t.TempDir()
	// mariadbd runs as mysql: the test's directories must let it through.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"data", "run"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("chown", "-R", "mysql:mysql", dir).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v\n%s", err, out)
	}
	if out, err := exec.Command("mariadb-install-db", "--no-defaults", "--user=mysql", "--datadir="+filepath.Join(dir, "data"),
		"--auth-root-authentication-method=socket", "--skip-test-db", "--tmpdir="+filepath.Join(dir, "run")).CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	// A UNIX socket's path has at most 107 bytes: a short directory of its
	// own, whatever TMPDIR and the test's name make of dir.
	short, err := os.MkdirTemp("/tmp", "ncdb")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(short) })
	if out, err := exec.Command("chown", "mysql:mysql", short).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v\n%s", err, out)
	}
	sock := filepath.Join(short, "mysqld.sock")
	db := exec.Command("mariadbd", "--no-defaults", "--user=mysql", "--datadir="+filepath.Join(dir, "data"), "--socket="+sock,
		"--pid-file="+filepath.Join(dir, "run", "mysqld.pid"), "--bind-address=127.0.0.1", fmt.Sprintf("--port=%d", port),
		"--skip-name-resolve", "--skip-log-bin", "--innodb-buffer-pool-size=16M", "--tmpdir="+filepath.Join(dir, "run"))
	if err := db.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Process.Kill(); _ = db.Wait() })
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		out, err := exec.Command("mariadb", "--socket="+sock, "-e", "CREATE DATABASE app; CREATE USER 'nc'@'%' IDENTIFIED BY 'pw'; GRANT ALL ON app.* TO 'nc'@'%'; CREATE TABLE app.oc_migrations (app VARCHAR(255), version VARCHAR(255))").CombinedOutput()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mariadb: %v\n%s", err, out)
		}
	}
	// A server of the new version and one of the old, sharing the database.
	install := func(version string) string {
		d := t.TempDir()
		cdktest.WriteFile(t, filepath.Join(d, "version.php"), "<?php\n$OC_Version = array("+strings.ReplaceAll(version, ".", ",")+");\n", 0o644)
		cdktest.WriteFile(t, filepath.Join(d, "config/config.php"), fmt.Sprintf("<?php\n$CONFIG = array('dbtype' => 'mysql', 'dbhost' => '127.0.0.1:%d', 'dbname' => 'app', 'dbuser' => 'nc', 'dbpassword' => 'pw', 'version' => '31.0.0.1', 'installed' => true);\n", port), 0o640)
		return d
	}
	newer, older := install("31.0.9.1"), install("31.0.0.1")
	program := func(server string, args ...string) (string, int) {
		cmd := exec.Command(php, append([]string{"upgrade.php", server}, args...)...)
		out, _ := cmd.Output()
		return strings.TrimSpace(string(out)), cmd.ProcessState.ExitCode()
	}
	if got, _ := program(newer, "state"); got != "31.0.9.1 31.0.0.1 - -" {
		t.Errorf("state of a new server before any record: %q", got)
	}
	// The first server holds the lock until its stdin ends.
	first := exec.Command(php, "upgrade.php", newer, "hold", "10")
	stdin, _ := first.StdinPipe()
	stdout, _ := first.StdoutPipe()
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	line := make([]byte, 7)
	if _, err := io.ReadFull(stdout, line); err != nil || string(line) != "locked\n" {
		t.Fatalf("the first hold said %q, %v", line, err)
	}
	if got, code := program(older, "hold", "1"); got != "busy" || code != 75 {
		t.Errorf("a second hold while the first holds: %q, exit %d; want busy, 75", got, code)
	}
	_ = stdin.Close()
	_ = first.Wait()
	second := exec.Command(php, "upgrade.php", older, "hold", "1")
	second.Stdin = strings.NewReader("")
	if out, err := second.Output(); err != nil || string(out) != "locked\n" {
		t.Errorf("a hold after the first ended: %q, %v", out, err)
	}
	if _, code := program(newer, "set", "target", "31.0.9.1"); code != 0 {
		t.Fatalf("set target: exit %d", code)
	}
	if got, _ := program(older, "state"); got != "31.0.0.1 31.0.0.1 31.0.9.1 -" {
		t.Errorf("state of the old server after the new one recorded its target: %q", got)
	}
	if got, _ := program(newer, "migrations"); got != "0" {
		t.Errorf("migrations: %q", got)
	}
	// The old server's guard fences it within its interval.
	guard := exec.Command(php, "upgrade.php", older, "guard", "1")
	if err := guard.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = guard.Process.Kill(); _ = guard.Wait() }()
	fence := filepath.Join(older, nextcloud.FenceFile)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if _, err := os.Stat(fence); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the old server's guard wrote no fence within 5 s")
		}
	}
	if _, err := os.Stat(filepath.Join(newer, nextcloud.FenceFile)); !os.IsNotExist(err) {
		t.Errorf("the new server is fenced: %v", err)
	}
}

// refreshAlarms returns, by group, the alarm logical IDs each main group's
// instance refresh watches.
func refreshAlarms(t *testing.T, tpl *cdktest.Template) map[string]string {
	t.Helper()
	out := map[string]string{}
	for id, g := range tpl.Resources("AWS::AutoScaling::AutoScalingGroup") {
		if !strings.HasPrefix(id, "TierFleetGroup") {
			continue // the singleton's refresh, stop-first, watches no alarm
		}
		policy, _ := g["UpdatePolicy"].(map[string]any)
		refresh, _ := policy["AutoScalingInstanceRefresh"].(map[string]any)
		prefs, _ := refresh["Preferences"].(map[string]any)
		out[id] = cdktest.JSON(prefs["AlarmSpecification"])
	}
	if len(out) == 0 {
		t.Fatal("no main Auto Scaling group")
	}
	return out
}

// With Upgrade, an upgrade fences every old server until the first new
// one serves, by design: the refresh watches failed boots only, so that the
// window's unhealthy hosts and 503s do not roll back a deploy whose
// database is already upgraded (the older servers could not serve it).
func TestWithUpgradeTheRefreshWatchesFailedBootsOnly(t *testing.T) {
	tpl := released(t)
	want := cdktest.JSON(map[string]any{"Alarms": []any{map[string]any{"Ref": cdktest.LogicalID(t, tpl, "AWS::CloudWatch::Alarm", "TierMonitoringBootFailed")}}})
	for id, got := range refreshAlarms(t, tpl) {
		if got != want {
			t.Errorf("%s: the instance refresh watches %s; want the failed boot alarm only", id, got)
		}
	}
}

func TestWithoutUpgradeTheRefreshWatchesUnhealthyHostsAnd5xxToo(t *testing.T) {
	tpl := template(t)
	unhealthy := cdktest.LogicalID(t, tpl, "AWS::CloudWatch::Alarm", "TierMonitoringUnhealthyHosts")
	for id, got := range refreshAlarms(t, tpl) {
		if !strings.Contains(got, unhealthy) {
			t.Errorf("%s: the instance refresh watches %s; want the unhealthy hosts alarm among them", id, got)
		}
	}
}
