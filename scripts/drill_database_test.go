package scripts_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tierkit/tierkit/internal/shellcheck"
)

// The scripts/drill-database tests run the script against a fake AWS CLI and
// a fake curl (see harness_test.go).

// databaseFakeAWS answers the calls scripts/drill-database makes, from
// $FAKE_STATE:
//
//	stack, resources   the stack's name and its describe-stack-resources rows
//	database, db       the instance's ID and its states, one a line
//	                   ("STATUS<TAB>MULTI-AZ<TAB>AZ<TAB>STANDBY"): each describe
//	                   answers the first and drops it while more remain
//	rebooting-polls    how many describes a failover answers rebooting
//	no-failover        the reboot never completes
//	fail-stack         describe-stack-resources fails as for a missing stack
const databaseFakeAWS = `op="$1 $2"
shift 2
options "$@"
pop() {
  head -n 1 "$1"
  if (($(wc -l <"$1") > 1)); then tail -n +2 "$1" >"$1.next" && mv "$1.next" "$1"; fi
}
case $op in
  "cloudformation describe-stack-resources" | "cloudformation list-stack-resources")
    if [[ -f $s/fail-stack || ${arg[stack-name]} != "$(cat "$s/stack")" ]]; then
      echo "An error occurred (ValidationError) when calling the DescribeStackResources operation: Stack with id ${arg[stack-name]} does not exist" >&2
      exit 254
    fi
    cat "$s/resources" ;;
  "elbv2 describe-target-groups") echo /up ;;
  "rds describe-db-instances")
    if [[ ${arg[db-instance-identifier]} != "$(cat "$s/database")" ]]; then
      echo "An error occurred (DBInstanceNotFound) when calling the DescribeDBInstances operation: DBInstance ${arg[db-instance-identifier]} not found." >&2
      exit 254
    fi
    pop "$s/db" ;;
  "rds reboot-db-instance")
    [[ ${arg[force-failover]+set} ]] || { echo "fake aws: a reboot without --force-failover" >&2; exit 252; }
    touch "$s/rebooted"
    if [[ -f $s/no-failover ]]; then
      printf 'rebooting\tTrue\teu-west-1a\teu-west-1b\n' >"$s/db.next"
    else
      for ((i = 0; i < $(cat "$s/rebooting-polls"); i++)); do
        printf 'rebooting\tTrue\teu-west-1a\teu-west-1b\n'
      done >"$s/db.next"
      printf 'available\tTrue\teu-west-1b\teu-west-1a\n' >>"$s/db.next"
    fi
    mv "$s/db.next" "$s/db"
    echo rebooting ;;
  *) echo "fake aws: unexpected call: $op" >&2; exit 252 ;;
esac
`

// databaseFakeCurl fails with curl-down; with curl-fails-while-rebooting
// while the database is rebooting; with curl-fails-after-reboot from the
// reboot on. Like curl, it starts no process of its own (builtins only), so
// that the poller that stops it leaves nothing behind.
const databaseFakeCurl = `state=
read -r state <"$s/db" || true
if [[ -f $s/curl-down ]] ||
  [[ -f $s/curl-fails-while-rebooting && $state == rebooting* ]] ||
  [[ -f $s/curl-fails-after-reboot && -f $s/rebooted ]]; then
  echo "curl: (22) The requested URL returned error: 500" >&2
  exit 22
fi
`

const (
	databaseID  = "prod-laravel-tierdatabaseinstance-1a2b3c4d5e6f"
	databaseURL = "https://api.example.org/up"
	// The drill's reboot, as the fake logs it.
	databaseReboot = "aws rds reboot-db-instance --db-instance-identifier " + databaseID +
		" --force-failover --query DBInstance.DBInstanceStatus --output text"
)

type databaseDrill struct{ *harness }

// newDatabaseDrill sets up the stack prod-laravel with a Multi-AZ database in
// eu-west-1a whose failover answers rebooting to 6 describes, and a service
// that fails while the database reboots; polls every 0.1 s.
func newDatabaseDrill(t *testing.T) *databaseDrill {
	t.Helper()
	f := &databaseDrill{newHarness(t, "drill-database", map[string]string{"aws": databaseFakeAWS, "curl": databaseFakeCurl}, "TIERKIT_DRILL_INTERVAL=0.1")}
	f.setState("stack", "prod-laravel")
	f.setState("resources", strings.Join([]string{
		"AWS::EC2::VPC\tNetworkVpc0123ABCD\tvpc-0123456789abcdef0",
		"AWS::RDS::DBInstance\tTierDatabaseInstanceAA8A5FDE\t" + databaseID,
		"AWS::ElasticLoadBalancingV2::TargetGroup\tTierEdgeTargetGroup9AE07E85\t" + drillTargetGroup,
		"AWS::Route53::RecordSet\tTierEdgeARecordF5BF8B65\tapi.example.org.",
	}, "\n")+"\n")
	f.setState("database", databaseID)
	f.setState("db", "available\tTrue\teu-west-1a\teu-west-1b\n")
	f.setState("rebooting-polls", "6")
	f.set("curl-fails-while-rebooting")
	return f
}

// reboots are the drill's calls that change something: its reboots.
func (f *databaseDrill) reboots() []string {
	var reboots []string
	for _, c := range f.calls() {
		if strings.HasPrefix(c, "aws rds reboot-db-instance") {
			reboots = append(reboots, c)
		}
	}
	return reboots
}

func (f *databaseDrill) wantReboots(out string, n int) {
	f.t.Helper()
	got := f.reboots()
	if len(got) != n {
		f.t.Errorf("%d reboot(s), want %d: %q\n%s", len(got), n, got, out)
	}
	for _, c := range got {
		if c != databaseReboot {
			f.t.Errorf("rebooted as %q, want %q", c, databaseReboot)
		}
	}
}

var databaseErrors = regexp.MustCompile(`errors: +about ([\d.]+) s \(([1-9]\d*) failed answer\(s\) x 0\.1 s\), first at \d\d:\d\d:\d\d, last at \d\d:\d\d:\d\d`)

func TestDrillDatabaseFailsOverAndMeasuresTheErrors(t *testing.T) {
	f := newDatabaseDrill(t)
	out := f.mustRun(0, "prod", "laravel", "--confirm", "prod")
	f.wantReboots(out, 1)
	wantOutput(t, out,
		"the database "+databaseID+" is available in eu-west-1a (Multi-AZ True, standby eu-west-1b), the service at "+databaseURL,
		"rebooting "+databaseID+" with a failover from eu-west-1a to eu-west-1b",
		"database failover drill of prod-laravel: "+databaseID,
		"Availability Zone:  from eu-west-1a to eu-west-1b (the standby is now in eu-west-1a)",
		// The poller's failure, as curl said it.
		"failed (curl: (22) The requested URL returned error: 500)",
		"passed: the database failed over from eu-west-1a to eu-west-1b in ",
	)
	if !regexp.MustCompile(`failover: +\d+ s, from the reboot to available in eu-west-1b`).MatchString(out) {
		t.Errorf("the summary has no failover time:\n%s", out)
	}
	answers := regexp.MustCompile(`answers: +([1-9]\d*) ok, ([1-9]\d*) failed \(` + regexp.QuoteMeta(databaseURL) + `, every 0\.1 s\)`).FindStringSubmatch(out)
	errors := databaseErrors.FindStringSubmatch(out)
	if answers == nil || errors == nil {
		t.Fatalf("the summary does not count the answers and the error seconds:\n%s", out)
	}
	// The error seconds are the failed answers times the interval.
	seconds, _ := strconv.ParseFloat(errors[1], 64)
	failed, _ := strconv.Atoi(errors[2])
	if errors[2] != answers[2] || seconds < float64(failed)*0.1-1e-9 || seconds > float64(failed)*0.1+1e-9 {
		t.Errorf("%s s of errors for %s failed answer(s) (%s in the answers line), at 0.1 s each:\n%s", errors[1], errors[2], answers[2], out)
	}
	// The service is checked before the reboot, and polled during it.
	calls := f.calls()
	reboot := -1
	for i, c := range calls {
		if c == databaseReboot {
			reboot = i
		}
	}
	if reboot < 1 || !strings.HasPrefix(calls[0], "aws cloudformation") || f.countCalls("curl -fsS -o /dev/null --max-time 5 "+databaseURL) < 4 {
		t.Errorf("want the service checked before the reboot and polled after it:\n%s", strings.Join(calls, "\n"))
	}
	if first := strings.Join(calls[:reboot], "\n"); !strings.Contains(first, "curl -fsS -o /dev/null --max-time 5 "+databaseURL) {
		t.Errorf("the service was not checked before the reboot:\n%s", first)
	}
	f.wantNothingLeftRunning(out)
}

func TestDrillDatabaseSaysWhenTheServiceNeverFailed(t *testing.T) {
	f := newDatabaseDrill(t)
	f.unset("curl-fails-while-rebooting")
	out := f.mustRun(0, "prod", "laravel", "--confirm", "prod", "--url", "https://api.example.org/orders")
	wantOutput(t, out,
		" 0 failed (https://api.example.org/orders, every 0.1 s)",
		"errors:             none: if https://api.example.org/orders does not read the database (Laravel's /up does not), pass --url a page that does",
		"passed: ",
	)
	// --url replaces the health check path: no need to read the target group.
	if n := f.countCalls("aws elbv2"); n != 0 {
		t.Errorf("%d elbv2 call(s) with --url", n)
	}
	f.wantNothingLeftRunning(out)
}

func TestDrillDatabaseTimeoutNamesWhatItWaitedFor(t *testing.T) {
	for name, tc := range map[string]struct {
		flag, timeout string
		want          []string
	}{
		"no failover": {"no-failover", "1", []string{
			"gave up after 1 s waiting for " + databaseID + " to be available in another Availability Zone than eu-west-1a",
			"Availability Zone:  still eu-west-1a, rebooting (the failover goes on: RDS completes it on its own)",
			"failover:           not completed in 1 s",
		}},
		"no answer after it": {"curl-fails-after-reboot", "3", []string{
			"gave up after 3 s waiting for the service to answer again at " + databaseURL,
			"Availability Zone:  from eu-west-1a to eu-west-1b",
		}},
	} {
		t.Run(name, func(t *testing.T) {
			// In parallel with each other only: they mostly wait.
			t.Parallel()
			f := newDatabaseDrill(t)
			f.set(tc.flag)
			f.setState("rebooting-polls", "2")
			start := time.Now()
			out := f.mustRun(1, "prod", "laravel", "--confirm", "prod", "--timeout", tc.timeout)
			if d := time.Since(start); d > 15*time.Second {
				t.Errorf("a %s s timeout took %v", tc.timeout, d)
			}
			wantOutput(t, out, tc.want...)
			wantOutput(t, out, "database failover drill of prod-laravel: "+databaseID)
			f.wantReboots(out, 1)
			f.wantNothingLeftRunning(out)
		})
	}
}

func TestDrillDatabaseInterruptedSaysTheFailoverGoesOnAndStopsItsPoller(t *testing.T) {
	f := newDatabaseDrill(t)
	f.set("no-failover")
	cmd, buf := f.command("prod", "laravel", "--confirm", "prod")
	f.startAndWaitForCall(cmd, buf, "aws rds reboot-db-instance")
	// Some polls first, so that the poller is running.
	time.Sleep(300 * time.Millisecond)
	out, code := f.interrupt(cmd, buf)
	if code != 130 {
		t.Errorf("exit %d, want 130:\n%s", code, out)
	}
	wantOutput(t, out, "tierkit drill-database: stopped watching; the failover of "+databaseID+" cannot be undone: RDS completes it on its own")
	if !regexp.MustCompile(`so far \d+ answer\(s\) ok, \d+ failed`).MatchString(out) {
		t.Errorf("the interrupted drill does not count the answers so far:\n%s", out)
	}
	f.wantReboots(out, 1)
	f.wantNothingLeftRunning(out)
}

func TestDrillDatabaseRefusesWithoutEnvironmentAndTier(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{nil, {"prod"}, {"prod", "laravel", "extra"}, {"prod", "laravel", "--url"}, {"prod", "laravel", "--timeout", "soon"}, {"prod", "laravel", "--force"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			f := newDatabaseDrill(t)
			out, code := f.run(args...)
			f.wantRefused(out, code, 2, "usage: scripts/drill-database ENV TIER [--confirm ENV]")
		})
	}
}

func TestDrillDatabaseRefusesWithoutTheEnvironmentsName(t *testing.T) {
	t.Parallel()
	f := newDatabaseDrill(t)
	out, code := f.run("prod", "laravel", "--confirm", "staging")
	f.wantRefused(out, code, 1, "--confirm staging does not match the environment prod; nothing was done")
	f = newDatabaseDrill(t)
	out, code = f.run("prod", "laravel")
	f.wantRefused(out, code, 1, "no terminal to confirm on: pass --confirm prod to fail over the database of prod-laravel")
}

func TestDrillDatabaseAsksOnTheTerminal(t *testing.T) {
	for _, tc := range []struct {
		answer  string
		code    int
		reboots int
	}{{"prod", 0, 1}, {"staging", 1, 0}, {"", 1, 0}} {
		t.Run(tc.answer, func(t *testing.T) {
			f := newDatabaseDrill(t)
			out, code := f.onTerminal(tc.answer, "prod", "laravel")
			if code != tc.code {
				t.Errorf("exit %d, want %d:\n%s", code, tc.code, out)
			}
			wantOutput(t, out, "This fails over the database of prod-laravel to its standby (a minute or two of errors). Type the environment name to continue: ")
			f.wantReboots(out, tc.reboots)
		})
	}
}

func TestDrillDatabaseRefusesBeforeAnyChange(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		setup func(f *databaseDrill)
		want  string
	}{
		"missing stack": {func(f *databaseDrill) { f.set("fail-stack") }, "Stack with id prod-laravel does not exist"},
		"no database": {func(f *databaseDrill) {
			f.setState("resources", "AWS::ElasticLoadBalancingV2::TargetGroup\tTierEdgeTargetGroup9AE07E85\t"+drillTargetGroup+"\n")
		}, "prod-laravel has no AWS::RDS::DBInstance"},
		"single AZ": {func(f *databaseDrill) { f.setState("db", "available\tFalse\teu-west-1a\tNone\n") },
			databaseID + " is not Multi-AZ: it has no standby to fail over to, a reboot would be an outage; nothing was done"},
		"not available": {func(f *databaseDrill) { f.setState("db", "modifying\tTrue\teu-west-1a\teu-west-1b\n") },
			databaseID + " is modifying, not available; nothing was done"},
		"service down": {func(f *databaseDrill) { f.set("curl-down") },
			"the service does not answer at " + databaseURL + " before the drill (curl: (22) The requested URL returned error: 500); nothing was done"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newDatabaseDrill(t)
			tc.setup(f)
			out, code := f.run("prod", "laravel", "--confirm", "prod")
			if code != 1 {
				t.Errorf("exit %d, want 1:\n%s", code, out)
			}
			wantOutput(t, out, tc.want)
			f.wantReboots(out, 0)
			f.wantNothingLeftRunning(out)
		})
	}
}

func TestDrillDatabasePassesShellcheck(t *testing.T) {
	t.Parallel()
	shellcheck.Check(t, "drill-database")
}
