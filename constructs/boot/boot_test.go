package boot_test

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// Every test boots its own machine (temporary root, fake IMDS and AWS):
// they run in parallel.

const (
	golden = "10.0.0.1"
	vhost  = "/etc/apache2/sites-available/api.example.com.conf"
	// logGroupToken is a CDK token, as the logs block puts it in the agent
	// configuration; the loader fills in its deployed value.
	logGroupToken = "${Token[TOKEN.123]}"
	logGroup      = "/tierkit/api/apache-access"
	agentConfig   = `{"logs":{"logs_collected":{"files":{"collect_list":[{"file_path":"/var/log/apache2/access.log","log_group_name":"` + logGroupToken + `"}]}}}}`
)

func exitCode(err error) int {
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	return -1
}

func mustBoot(t *testing.T, r result) {
	t.Helper()
	if r.Err != nil {
		t.Fatalf("boot failed: %v\n%s", r.Err, r.Console)
	}
}

// The delivered boot: the loader fetches the artifact, checks and runs it.

func TestLoaderFetchesTheArtifactWithASignedRequestAndRunsIt(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	s := boot.New(nil)
	s.AddStep("hello", `echo hello >>"$TIERKIT_TEST_CALLS"`)
	r := m.boot(t, s, fleetLoc)
	mustBoot(t, r)
	fetches := m.aws.Fetches()
	if len(fetches) != 1 || fetches[0].Path != "/s3/"+assetBucket+"/"+assetKey || fetches[0].Problem != "" {
		t.Fatalf("S3 requests %+v; want one signed GET of s3://%s/%s", fetches, assetBucket, assetKey)
	}
	if !slices.Contains(r.Calls, "hello") || !m.exists(bootOK) {
		t.Errorf("the fetched script did not run (calls %q):\n%s", r.Calls, r.Log)
	}
	if got := m.read(t, deployedScript); got != s.Render() {
		t.Errorf("%s is not the rendered script", deployedScript)
	}
	if !strings.Contains(r.Log, "boot script fetched from s3://"+assetBucket+"/"+assetKey+", SHA-256 checked") {
		t.Errorf("the log does not say where the script came from:\n%s", r.Log)
	}
}

func TestTamperedArtifactFailsTheBootAtFetch(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	s := boot.New(nil)
	userData, a := m.deploy(t, s, fleetLoc)
	m.aws.putObject(fleetLoc, a.Script+"touch \"$ROOT/tampered\"\n")
	r := m.runUserData(t, userData)
	if r.Err == nil || !strings.Contains(r.Log, "tierkit-boot: step fetch failed (exit ") {
		t.Fatalf("want the boot to fail at step fetch (err %v):\n%s", r.Err, r.Log)
	}
	if m.exists("tampered") || m.exists(deployedScript) || m.exists(instanceDir+"/artifact.sh") {
		t.Errorf("the tampered script was kept or ran")
	}
	if got := m.read(t, bootFailed); !strings.HasPrefix(got, "step fetch failed") {
		t.Errorf("boot-failed: %q, want it to name step fetch", got)
	}
	if !slices.Contains(r.Calls, "systemctl stop apache2") || slices.Contains(r.Calls, "systemctl restart apache2") {
		t.Errorf("calls %q: want the web server stopped and never started", r.Calls)
	}
	if sig := m.aws.Signals(); len(sig) != 1 || sig[0].Status != "FAILURE" {
		t.Errorf("signals %+v, want one FAILURE", sig)
	}
}

func TestMissingArtifactFailsTheBootAtFetch(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	s := boot.New(nil)
	r := m.runUserData(t, s.Loader(s.Artifact(nil), fleetLoc)) // nothing stored in S3
	if r.Err == nil || !strings.Contains(r.Log, "answered 404 for s3://"+assetBucket+"/"+assetKey) || !strings.Contains(r.Log, "step fetch failed (exit ") {
		t.Errorf("want a 404 to fail the boot at step fetch (err %v):\n%s", r.Err, r.Log)
	}
}

func TestPlaceholdersAreFilledWithTheValuesLiterally(t *testing.T) {
	t.Parallel()
	// Eleven values: @tierkit:1@ must not match the start of @tierkit:11@.
	values := []string{`a&b`, `back\slash\\n`, `&&\&`, `$HOME $(id)`, `\1 & \0`, "arn:aws:s3:::bucket", "5432", "db.internal", "x", "y", "eleven"}
	var tokens []token
	var words []string
	for i, v := range values {
		tk := fmt.Sprintf("${Token[TOKEN.%d]}", 100+i)
		tokens = append(tokens, token{tk, v})
		words = append(words, boot.Quote(tk))
	}
	m := newMachine(t)
	s := boot.New(nil)
	s.AddStep("values", `printf '%s\n' `+strings.Join(words, " ")+` >"$ROOT/values"`)
	mustBoot(t, m.boot(t, s, fleetLoc, tokens...))
	if got, want := m.read(t, "values"), strings.Join(values, "\n")+"\n"; got != want {
		t.Errorf("the step wrote:\n%s\nwant:\n%s", got, want)
	}
}

func TestArtifactHoldsPlaceholdersInsteadOfTheValues(t *testing.T) {
	t.Parallel()
	s := boot.New(nil)
	s.AddStep("env", `echo `+boot.Quote("${Token[TOKEN.1]}")+` `+boot.Quote("${Token[TOKEN.2]}:${Token[TOKEN.1]}"))
	a := s.Artifact([]string{"${Token[TOKEN.1]}", "${Token[TOKEN.2]}"})
	if strings.Contains(a.Script, "${Token[") || !strings.Contains(a.Script, "echo '@tierkit:1@' '@tierkit:2@:@tierkit:1@'") {
		t.Errorf("the artifact does not hold the placeholders in place of the values:\n%s", a.Script)
	}
	if a.SHA256 != sha256Hex(a.Script) {
		t.Errorf("SHA256 %s is not the script's", a.SHA256)
	}
	if !slices.Equal(a.Values, []string{"${Token[TOKEN.1]}", "${Token[TOKEN.2]}"}) {
		t.Errorf("Values %q", a.Values)
	}
}

func TestArtifactRefusesAScriptThatHoldsAPlaceholder(t *testing.T) {
	t.Parallel()
	s := boot.New(nil)
	s.AddStep("odd", `echo "@tierkit:1@"`)
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "holds @tierkit:") {
			t.Errorf("got %v, want a panic about @tierkit:", r)
		}
	}()
	s.Artifact(nil)
}

func TestArtifactRefusesAnEmptyValue(t *testing.T) {
	t.Parallel()
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "value 1 is empty") {
			t.Errorf("got %v, want a panic naming the empty value", r)
		}
	}()
	boot.New(nil).Artifact([]string{"${Token[TOKEN.1]}", ""})
}

// Every start: the per-boot hook runs the installed loader.

func TestRestartRunsTheBootAgainWithoutFetching(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	s := boot.New(nil)
	s.AddStep("count", `echo run >>"$ROOT/runs"`)
	mustBoot(t, m.boot(t, s, fleetLoc))
	r := m.restart(t)
	mustBoot(t, r)
	if got := m.read(t, "runs"); got != "run\nrun\n" {
		t.Errorf("the step ran %d time(s), want 2", strings.Count(got, "run"))
	}
	if want := []string{"systemctl stop apache2", "systemctl restart apache2"}; !slices.Equal(r.Calls, want) {
		t.Errorf("restart calls %q, want %q", r.Calls, want)
	}
	if n := len(m.aws.Fetches()); n != 1 {
		t.Errorf("%d fetches, want 1: a restart uses the instance's copy", n)
	}
}

func TestRestartRefreshesWhatStepsWrite(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.aws.putSecret("arn:db", map[string]string{"password": "first-pw"})
	s := boot.New(nil)
	s.AddStep("db-env", `local pw
pw=$(secret_field arn:db password)
printf '%s' "$pw" >"$ROOT/password"`)
	mustBoot(t, m.boot(t, s, fleetLoc))
	m.aws.putSecret("arn:db", map[string]string{"password": "rotated-pw"})
	mustBoot(t, m.restart(t))
	if got := m.read(t, "password"); got != "rotated-pw" {
		t.Errorf("after a restart the step wrote %q, want the rotated secret", got)
	}
}

func TestFirstBootHoldsOnlyAtTheInstancesFirstStart(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	s := boot.New(nil)
	s.AddStep("once", `if first_boot; then echo first >>"$TIERKIT_TEST_CALLS"; else echo later >>"$TIERKIT_TEST_CALLS"; fi`)
	r1 := m.boot(t, s, fleetLoc)
	mustBoot(t, r1)
	r2 := m.restart(t)
	mustBoot(t, r2)
	if !slices.Contains(r1.Calls, "first") || !slices.Contains(r2.Calls, "later") {
		t.Errorf("first start %q, second %q: want first_boot true only the first time", r1.Calls, r2.Calls)
	}
}

func TestFirstBootHoldsUntilABootSucceeded(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	s := boot.New(nil)
	s.AddStep("once", `if first_boot; then echo first >>"$TIERKIT_TEST_CALLS"; else echo later >>"$TIERKIT_TEST_CALLS"; fi
[[ -e $ROOT/fail-once ]] || { touch "$ROOT/fail-once"; die "a failure on the first start"; }`)
	if r := m.boot(t, s, fleetLoc); r.Err == nil {
		t.Fatalf("the first start succeeded; want it to fail:\n%s", r.Log)
	}
	r2 := m.restart(t)
	mustBoot(t, r2)
	if !slices.Contains(r2.Calls, "first") {
		t.Errorf("second start %q: want first_boot still true after a failed first boot", r2.Calls)
	}
}

func TestRestartFetchesAgainWhenTheCachedArtifactChanged(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	s := boot.New(nil)
	mustBoot(t, m.boot(t, s, fleetLoc))
	cdktest.WriteFile(t, filepath.Join(m.Root, instanceDir, "artifact.sh"), "#!/bin/bash\ntouch \"$ROOT/altered\"\n", 0o600)
	mustBoot(t, m.restart(t))
	if n := len(m.aws.Fetches()); n != 2 || m.exists("altered") {
		t.Errorf("%d fetches (want 2), altered copy ran: %v", n, m.exists("altered"))
	}
	if got := m.read(t, instanceDir+"/artifact.sh"); got != s.Artifact(nil).Script {
		t.Errorf("the cached artifact was not replaced by S3's")
	}
}

func TestPerBootHookRunsTheInstalledLoader(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	s := boot.New(nil)
	s.AddStep("count", `echo run >>"$ROOT/runs"`)
	mustBoot(t, m.boot(t, s, fleetLoc))
	fi, err := os.Stat(filepath.Join(m.Root, perBootHook))
	if err != nil || fi.Mode().Perm()&0o111 == 0 {
		t.Fatalf("the per-boot hook is missing or not executable (%v)", err)
	}
	r := m.exec(t, filepath.Join(m.Root, perBootHook))
	mustBoot(t, r)
	if got := m.read(t, "runs"); got != "run\nrun\n" || !strings.Contains(r.Log, "boot succeeded") {
		t.Errorf("the hook did not run the boot again (runs %q):\n%s", got, r.Log)
	}
}

// amiOf returns a machine made from m's AMI: the same root, but cloud-init
// points /var/lib/cloud/instance at a fresh directory.
func amiOf(t *testing.T, m *machine) *machine {
	t.Helper()
	m2 := newMachine(t)
	if out, err := exec.Command("cp", "-a", m.Root+"/.", m2.Root).CombinedOutput(); err != nil {
		t.Fatalf("copying the root: %v\n%s", err, out)
	}
	if err := os.RemoveAll(filepath.Join(m2.Root, "var/lib/cloud/instance")); err != nil {
		t.Fatal(err)
	}
	return m2
}

func TestPerBootHookDoesNothingOnAnAMIOfABootedServer(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	mustBoot(t, m.boot(t, boot.New(nil), fleetLoc))
	m2 := amiOf(t, m)
	r := m2.exec(t, filepath.Join(m2.Root, perBootHook))
	if r.Err != nil || len(r.Calls) != 0 || r.Log != "" || len(m2.imds.Requests()) != 0 {
		t.Errorf("the hook ran something on a new instance (err %v, calls %q):\n%s", r.Err, r.Calls, r.Console)
	}
}

func TestUserDataOnAnAMIOfABootedServerIsAFirstBoot(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	s := boot.New(nil)
	s.AddStep("once", `if first_boot; then echo first >>"$TIERKIT_TEST_CALLS"; fi`)
	mustBoot(t, m.boot(t, s, fleetLoc))
	m2 := amiOf(t, m)
	r := m2.boot(t, s, fleetLoc)
	mustBoot(t, r)
	if !slices.Contains(r.Calls, "first") || len(m2.aws.Fetches()) != 1 || len(m2.aws.Signals()) != 1 {
		t.Errorf("calls %q, fetches %d, signals %d: want a first boot that fetches and signals", r.Calls, len(m2.aws.Fetches()), len(m2.aws.Signals()))
	}
}

// Signals.

func TestSuccessIsSignalledOncePerInstance(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	mustBoot(t, m.boot(t, boot.New(nil), fleetLoc))
	mustBoot(t, m.restart(t))
	want := []awsCall{{Service: "cloudformation", Action: "SignalResource", Status: "SUCCESS", Stack: stackID, LogicalResourceID: signalResource, UniqueID: instanceID}}
	if got := m.aws.Calls(); !slices.Equal(got, want) {
		t.Errorf("calls %+v\nwant %+v", got, want)
	}
}

func TestFailureIsSignalledWithTheFailedStepMarked(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	s := boot.New(nil)
	s.AddStep("migrate", `false`)
	r := m.boot(t, s, fleetLoc)
	if r.Err == nil {
		t.Fatalf("the boot succeeded")
	}
	if sig := m.aws.Signals(); len(sig) != 1 || sig[0].Status != "FAILURE" || sig[0].LogicalResourceID != signalResource || sig[0].Problem != "" {
		t.Errorf("signals %+v, want one signed FAILURE for %s", sig, signalResource)
	}
	if got := m.read(t, bootFailed); !strings.HasPrefix(got, "step migrate failed") {
		t.Errorf("boot-failed %q does not name the step", got)
	}
	if !strings.Contains(r.Log, "tierkit-boot: boot failed: step migrate failed") {
		t.Errorf("the loader does not log the outcome:\n%s", r.Log)
	}
}

func TestNothingIsSignalledWithoutTheSignalTagOrTheStack(t *testing.T) {
	t.Parallel()
	t.Run("no tag", func(t *testing.T) {
		t.Parallel()
		m := newMachine(t)
		m.imds.setTag(signalTag, "")
		mustBoot(t, m.boot(t, boot.New(nil), fleetLoc))
		if calls := m.aws.Calls(); len(calls) != 0 {
			t.Errorf("calls %+v, want none", calls)
		}
	})
	t.Run("no stack", func(t *testing.T) {
		t.Parallel()
		m := newMachine(t)
		mustBoot(t, m.boot(t, boot.New(nil), boot.Location{Bucket: assetBucket, Key: assetKey}))
		if calls := m.aws.Calls(); len(calls) != 0 {
			t.Errorf("calls %+v, want none", calls)
		}
	})
}

func TestLifecycleHookIsCompleted(t *testing.T) {
	t.Parallel()
	for status, body := range map[string]string{"CONTINUE": "true", "ABANDON": "false"} {
		t.Run(status, func(t *testing.T) {
			t.Parallel()
			m := newMachine(t)
			m.imds.setTag(lifecycleTag, lifecycleHook)
			s := boot.New(nil)
			s.AddStep("outcome", body)
			m.boot(t, s, fleetLoc)
			var got []awsCall
			for _, c := range m.aws.Calls() {
				if c.Service == "autoscaling" {
					got = append(got, c)
				}
			}
			want := []awsCall{
				{Service: "autoscaling", Action: "DescribeAutoScalingInstances", UniqueID: instanceID},
				{Service: "autoscaling", Action: "CompleteLifecycleAction", Status: status, Group: groupName, Hook: lifecycleHook, UniqueID: instanceID},
			}
			if !slices.Equal(got, want) {
				t.Errorf("Auto Scaling calls %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestNoLifecycleActionWithoutTheLifecycleTag(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	mustBoot(t, m.boot(t, boot.New(nil), fleetLoc))
	for _, c := range m.aws.Calls() {
		if c.Service == "autoscaling" {
			t.Errorf("Auto Scaling was called without the tag: %+v", c)
		}
	}
}

func TestCloudFormationRefusalDoesNotFailAGoodBoot(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.aws.refuseSignals(400)
	r := m.boot(t, boot.New(nil), fleetLoc)
	if r.Err != nil || !m.exists(bootOK) || m.exists(bootFailed) {
		t.Errorf("a refused signal failed the boot (err %v)", r.Err)
	}
	if !strings.Contains(r.Log, "answered 400 for SignalResource "+signalResource) || strings.Contains(r.Log, "signalled SUCCESS") {
		t.Errorf("the refusal is not logged as such:\n%s", r.Log)
	}
}

// The health check step.

func TestHealthCheckPassesWhenThePathAnswers200(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	r := m.boot(t, boot.New(&boot.Props{HealthCheckPath: "/up"}), fleetLoc)
	mustBoot(t, r)
	if got := m.aws.HealthChecks(); !slices.Equal(got, []string{"/health/up"}) {
		t.Errorf("health checks %q, want one of /up", got)
	}
	if !strings.Contains(r.Log, "/health/up answered 200") {
		t.Errorf("the log does not say the check passed:\n%s", r.Log)
	}
}

func TestHealthCheckWaitsForTheServerToAnswer200(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.aws.setHealth(200, 503)
	mustBoot(t, m.boot(t, boot.New(&boot.Props{HealthCheckPath: "/up"}), fleetLoc))
	if n := len(m.aws.HealthChecks()); n != 2 {
		t.Errorf("%d health checks, want 2 (a 503, then a 200)", n)
	}
}

// TestHealthCheckFailsTheBootWhenThePathAnswers500 waits HealthCheckWait's
// minimum, 2 s, in parallel with the other tests.
func TestHealthCheckFailsTheBootWhenThePathAnswers500(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.aws.setHealth(500)
	start := time.Now()
	r := m.boot(t, boot.New(&boot.Props{HealthCheckPath: "/up", HealthCheckWait: 2 * time.Second}), fleetLoc)
	if r.Err == nil || !strings.Contains(r.Log, "tierkit-boot: step health-check failed (exit ") || m.exists(bootOK) {
		t.Fatalf("want the boot to fail at step health-check (err %v):\n%s", r.Err, r.Log)
	}
	if d := time.Since(start); d < 2*time.Second {
		t.Errorf("gave up after %v, want HealthCheckWait (2s)", d)
	}
	if !strings.Contains(r.Log, "answered 500 for 2 s") {
		t.Errorf("the log does not say what the path answered:\n%s", r.Log)
	}
	if n := len(r.Calls); n == 0 || r.Calls[n-1] != "systemctl stop apache2" {
		t.Errorf("calls %q: want the web server stopped again", r.Calls)
	}
	if sig := m.aws.Signals(); len(sig) != 1 || sig[0].Status != "FAILURE" {
		t.Errorf("signals %+v, want one FAILURE", sig)
	}
}

func TestHealthCheckAsksTheInstancesOwnAddressAndPort(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	// The fake answers on 127.0.0.1: make that the instance's address, and
	// the port the web server's.
	m.imds.setLocalIP("127.0.0.1")
	m.extraEnv = append(m.extraEnv, "TIERKIT_HEALTH_BASE=")
	u, _ := url.Parse(m.aws.URL)
	p, _ := strconv.Atoi(u.Port())
	mustBoot(t, m.boot(t, boot.New(&boot.Props{HealthCheckPath: "/health/up?full=1", Port: p, HealthCheckWait: 10 * time.Second}), fleetLoc))
	if got := m.aws.HealthChecks(); !slices.Equal(got, []string{"/health/up"}) {
		t.Errorf("health checks %q, want /health/up on 127.0.0.1:%d", got, p)
	}
}

// The user data's size.

func TestLoaderStaysSmallWhateverTheSteps(t *testing.T) {
	t.Parallel()
	s := boot.New(&boot.Props{GoldenIP: golden, IPFiles: []string{"/etc/hosts", vhost}, AgentConfig: agentConfig})
	s.AddStep("big", "echo "+strings.Repeat("x", 2*boot.MaxUserDataBytes))
	loader := s.Loader(s.Artifact([]string{logGroupToken}), fleetLoc)
	if n := len(loader); n > boot.MaxUserDataBytes/2 {
		t.Errorf("the loader is %d bytes: it leaves the deploy-time values less than half of the %d-byte limit", n, boot.MaxUserDataBytes)
	}
}

// tierValues is more deploy-time values than a tier's boot holds: the
// tiers' worst-case user data is under 10 KB.
const tierValues = 24

func TestLoaderAcceptsTheTiersValues(t *testing.T) {
	t.Parallel()
	s, values := scriptWithValues(tierValues)
	long := strings.Repeat("x", boot.WorstCaseValueBytes)
	loader := s.Loader(s.Artifact(values), boot.Location{Bucket: long, Key: long, Stack: long})
	deployed := loader
	for _, v := range values {
		deployed = strings.ReplaceAll(deployed, v, long)
	}
	if len(deployed) > boot.MaxUserDataBytes {
		t.Errorf("with its values deployed at %d bytes, the user data is %d bytes, over %d", boot.WorstCaseValueBytes, len(deployed), boot.MaxUserDataBytes)
	}
}

func TestLoaderRefusesValuesThatCouldOverflowTheUserData(t *testing.T) {
	t.Parallel()
	s, values := scriptWithValues(60)
	a := s.Artifact(values)
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "over EC2's limit of 16384") || !strings.Contains(fmt.Sprint(r), "63 deploy-time values") {
			t.Errorf("got %v, want a panic naming the limit and the values counted", r)
		}
	}()
	s.Loader(a, fleetLoc)
}

// TestLoaderGuardMatchesTheDeployedUserData: Loader accepts values up to the
// last count whose user data, every value (the location's included)
// deployed at WorstCaseValueBytes, fits in the limit, and refuses the next,
// which would not fit (each value adds the same bytes).
func TestLoaderGuardMatchesTheDeployedUserData(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", boot.WorstCaseValueBytes)
	loc := boot.Location{Bucket: "${Token[BUCKET.1]}", Key: "${Token[KEY.2]}", Stack: "${Token[AWS.StackId.3]}"}
	var deployed []int // by number of values; -1 when refused
	for n := 0; n <= 60; n++ {
		s, values := scriptWithValues(n)
		a := s.Artifact(values)
		loader, refused := func() (loader string, refused bool) {
			defer func() { refused = recover() != nil }()
			return s.Loader(a, loc), false
		}()
		if refused {
			deployed = append(deployed, -1)
			continue
		}
		for _, v := range append(values, loc.Bucket, loc.Key, loc.Stack) {
			loader = strings.ReplaceAll(loader, v, long)
		}
		deployed = append(deployed, len(loader))
	}
	last := slices.Index(deployed, -1) - 1
	if last < 1 || slices.ContainsFunc(deployed[last+1:], func(d int) bool { return d != -1 }) {
		t.Fatalf("deployed sizes by number of values %v: want accepted up to a count, refused after", deployed)
	}
	if d := deployed[last]; d > boot.MaxUserDataBytes {
		t.Errorf("%d values accepted, but deployed at worst the user data is %d bytes", last, d)
	}
	if next := 2*deployed[last] - deployed[last-1]; next <= boot.MaxUserDataBytes {
		t.Errorf("%d values refused, but deployed at worst the user data would be %d bytes", last+1, next)
	}
	t.Logf("%d deploy-time values fit, %d bytes of user data deployed at worst", last, deployed[last])
}

// scriptWithValues returns a script whose step uses n CDK tokens, and the tokens.
func scriptWithValues(n int) (*boot.Script, []string) {
	s := boot.New(nil)
	var values, words []string
	for i := range n {
		v := fmt.Sprintf("${Token[TOKEN.%d]}", 200+i)
		values = append(values, v)
		words = append(words, boot.Quote(v))
	}
	s.AddStep("env", "printf '%s\\n' "+strings.Join(words, " ")+` >"$ROOT/env"`)
	return s, values
}

func TestLoaderDropsCommentsAndTheArtifactKeepsThem(t *testing.T) {
	t.Parallel()
	s := boot.New(nil)
	a := s.Artifact(nil)
	for i, line := range strings.Split(s.Loader(a, fleetLoc), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") && i > 1 && !strings.HasPrefix(trimmed, "# shellcheck") {
			t.Errorf("the user data keeps a comment, line %d: %s", i+1, line)
		}
	}
	if !strings.Contains(a.Script, "# is_singleton succeeds on the one server") {
		t.Errorf("the artifact lost its comments")
	}
}

// The boot script's own steps, run as delivered.

func TestGoldenIPIsReplacedByTheInstanceIP(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	cdktest.WriteFile(t, filepath.Join(m.Root, "etc/hosts"), "127.0.0.1 localhost\n10.0.0.1 api.example.com api\n10.0.0.10 db.internal\n110.0.0.1 far\n", 0o644)
	cdktest.WriteFile(t, filepath.Join(m.Root, vhost), strings.Join([]string{
		"<VirtualHost 10.0.0.1:80>",
		"  ServerName api.example.com",
		"  Require ip 10.0.0.1 10.0.0.1 10.0.0.10",
		"  # moved from 10.0.0.1.",
		"  Define NOT_AN_IP 10.0.0.1.5 10a0b0c1",
		"</VirtualHost>",
		"",
	}, "\n"), 0o644)
	// Apache serves sites-enabled, a symlink into sites-available: it must stay one.
	enabled := filepath.Join(m.Root, "etc/apache2/sites-enabled/api.example.com.conf")
	if err := os.MkdirAll(filepath.Dir(enabled), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../sites-available/api.example.com.conf", enabled); err != nil {
		t.Fatal(err)
	}
	s := boot.New(&boot.Props{GoldenIP: golden, IPFiles: []string{"/etc/hosts", "/etc/apache2/sites-enabled/api.example.com.conf"}})

	r := m.boot(t, s, fleetLoc)
	mustBoot(t, r)
	if got, want := m.read(t, "etc/hosts"), "127.0.0.1 localhost\n10.0.2.33 api.example.com api\n10.0.0.10 db.internal\n110.0.0.1 far\n"; got != want {
		t.Errorf("/etc/hosts:\n%s\nwant:\n%s", got, want)
	}
	want := strings.Join([]string{
		"<VirtualHost 10.0.2.33:80>",
		"  ServerName api.example.com",
		"  Require ip 10.0.2.33 10.0.2.33 10.0.0.10",
		"  # moved from 10.0.2.33.",
		"  Define NOT_AN_IP 10.0.0.1.5 10a0b0c1",
		"</VirtualHost>",
		"",
	}, "\n")
	if got := m.read(t, vhost); got != want {
		t.Errorf("vhost:\n%s\nwant:\n%s", got, want)
	}
	if fi, err := os.Lstat(enabled); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("sites-enabled is no longer a symlink (%v)", err)
	}
	if !strings.Contains(r.Log, "/etc/hosts: 1 line(s) rewritten from 10.0.0.1 to 10.0.2.33") {
		t.Errorf("the log does not say what was rewritten:\n%s", r.Log)
	}
}

func TestMissingIPFileFailsTheBoot(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	r := m.boot(t, boot.New(&boot.Props{GoldenIP: golden, IPFiles: []string{"/etc/hosts", vhost}}), fleetLoc)
	if r.Err == nil || !strings.Contains(r.Log, "golden-ip: "+vhost+" not found") || !m.exists(bootFailed) {
		t.Errorf("a listed file that is missing must fail the boot (err %v):\n%s", r.Err, r.Log)
	}
}

func TestAgentConfigIsWrittenWithItsValuesAndTheAgentStarted(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.withAgent(t)
	r := m.boot(t, boot.New(&boot.Props{AgentConfig: agentConfig}), fleetLoc, token{logGroupToken, logGroup})
	mustBoot(t, r)
	config := filepath.Join(m.Root, "opt/aws/amazon-cloudwatch-agent/etc/tierkit.json")
	if got, want := cdktest.ReadFile(t, config), strings.ReplaceAll(agentConfig, logGroupToken, logGroup)+"\n"; got != want {
		t.Errorf("agent config:\n%s\nwant:\n%s", got, want)
	}
	want := "agent-ctl -a fetch-config -m ec2 -s -c file:" + config
	if !slices.Contains(r.Calls, want) {
		t.Errorf("calls %q; want %q", r.Calls, want)
	}
}

func TestAgentIsNeverInstalledUnderATestRoot(t *testing.T) {
	t.Parallel()
	m := newMachine(t) // no agent stub: the script would download and install it on EC2
	r := m.boot(t, boot.New(&boot.Props{AgentConfig: agentConfig}), fleetLoc)
	if r.Err == nil || !strings.Contains(r.Log, "cloudwatch-agent: no agent at ") {
		t.Errorf("want the boot to fail instead of installing the agent (err %v):\n%s", r.Err, r.Log)
	}
}

func TestStepsRunInOrderAndSeeTheInstance(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	s := boot.New(nil)
	s.AddStep("first", `echo "first $LOCAL_IP $INSTANCE_ID $REGION" >>"$TIERKIT_TEST_CALLS"`)
	s.AddStep("second", `local az
az=$(imds placement/availability-zone)
echo "second $az $(imds /latest/dynamic/instance-identity/document)" >>"$TIERKIT_TEST_CALLS"
mkdir -p "$ROOT/etc/app"
printf 'LOCAL_IP=%s\n' `+boot.Quote("it's $LOCAL_IP, literally")+` >"$ROOT/etc/app/env"`)
	if got := s.Steps(); !slices.Equal(got, []string{"first", "second"}) {
		t.Errorf("Steps() = %q", got)
	}

	r := m.boot(t, s, fleetLoc)
	mustBoot(t, r)
	want := []string{
		"systemctl stop apache2",
		"first 10.0.2.33 i-0123456789abcdef0 us-east-1",
		`second us-east-1b {"region":"us-east-1"}`,
		"systemctl restart apache2",
	}
	if !slices.Equal(r.Calls, want) {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(r.Calls, "\n"), strings.Join(want, "\n"))
	}
	if got := m.read(t, "etc/app/env"); got != "LOCAL_IP=it's $LOCAL_IP, literally\n" {
		t.Errorf("a quoted value was expanded: %q", got)
	}
	if !strings.Contains(r.Log, "tierkit-boot: step first") || !strings.Contains(r.Console, "tierkit-boot: step second") {
		t.Errorf("steps are not announced in the log and on the console")
	}
}

func TestWebServerIsStoppedFirstAndStartedLast(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.withAgent(t)
	s := boot.New(&boot.Props{WebServer: "php8.3-fpm", GoldenIP: golden, AgentConfig: agentConfig})
	s.AddStep("configure", `echo configure >>"$TIERKIT_TEST_CALLS"`)

	r := m.boot(t, s, fleetLoc)
	mustBoot(t, r)
	if len(r.Calls) < 3 || r.Calls[0] != "systemctl stop php8.3-fpm" || r.Calls[len(r.Calls)-1] != "systemctl restart php8.3-fpm" {
		t.Errorf("calls %q: want the web server stopped first and started last", r.Calls)
	}
	if !m.exists(bootOK) || m.exists(bootFailed) {
		t.Errorf("want boot-ok and no boot-failed")
	}
	if !strings.Contains(r.Log, "tierkit-boot: boot succeeded") || !strings.Contains(r.Console, "tierkit-boot: boot succeeded") {
		t.Errorf("success is not in the log and on the console:\n%s", r.Log)
	}
}

func TestFailingStepKeepsTheWebServerDown(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	cdktest.WriteFile(t, filepath.Join(m.Root, bootOK), "baked into the AMI\n", 0o644)
	s := boot.New(nil)
	s.AddStep("migrate", `echo migrating
sh -c 'exit 3' # the failing command
echo "not reached" >>"$TIERKIT_TEST_CALLS"`)
	s.AddStep("after", `echo "after" >>"$TIERKIT_TEST_CALLS"`)

	r := m.boot(t, s, fleetLoc)
	if code := exitCode(r.Err); code != 3 {
		t.Errorf("exit code %d, want 3 (the failing command's)", code)
	}
	if strings.Contains(r.Console, "Bad file descriptor") {
		t.Errorf("the exit handler stumbled on the step's closed descriptors:\n%s", r.Console)
	}
	// The line is the deployed script's, where the instance keeps it.
	line := fmt.Sprintf("tierkit-boot: step migrate failed (exit 3, line %d)", lineOf(t, m.read(t, deployedScript), "# the failing command"))
	if !strings.Contains(r.Log, line) || !strings.Contains(r.Console, line) {
		t.Errorf("want %q in the log and on the console; log:\n%s", line, r.Log)
	}
	if got := m.read(t, bootFailed); !strings.Contains(got, "step migrate failed") {
		t.Errorf("boot-failed: %q", got)
	}
	if m.exists(bootOK) {
		t.Errorf("boot-ok exists after a failed boot")
	}
	for _, c := range r.Calls {
		if strings.Contains(c, "start") || c == "after" || c == "not reached" {
			t.Errorf("ran %q after the failure; calls %q", c, r.Calls)
		}
	}
	reports := 0
	for l := range strings.SplitSeq(r.Log, "\n") {
		if strings.HasPrefix(l, "tierkit-boot: step migrate failed") {
			reports++
		}
	}
	if reports != 1 {
		t.Errorf("the failure is reported %d times by the script, want once:\n%s", reports, r.Log)
	}
}

func TestStepThatEndsTheShellFailsTheBoot(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{"exit": "exit 0", "unset variable": `echo "$NOT_SET_ANYWHERE"`} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m := newMachine(t)
			s := boot.New(nil)
			s.AddStep("quit", body)
			r := m.boot(t, s, fleetLoc)
			if r.Err == nil || !m.exists(bootFailed) || slices.Contains(r.Calls, "systemctl restart apache2") {
				t.Errorf("a step that ends the shell must fail the boot (err %v, calls %q):\n%s", r.Err, r.Calls, r.Log)
			}
			if !strings.Contains(r.Log, "tierkit-boot: step quit failed (exit ") {
				t.Errorf("the log does not name the step:\n%s", r.Log)
			}
		})
	}
}

func TestIMDSIsNeverReadWithoutAToken(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	s := boot.New(&boot.Props{GoldenIP: golden})
	s.AddStep("read", `imds placement/availability-zone >/dev/null`)
	mustBoot(t, m.boot(t, s, fleetLoc))
	reqs := m.imds.Requests()
	if len(reqs) < 4 || reqs[0].Method != "PUT" || reqs[0].Path != "/latest/api/token" {
		t.Fatalf("want a token first, then reads; got %+v", reqs)
	}
	for _, r := range reqs {
		switch {
		case r.Method == "PUT" && (r.Path != "/latest/api/token" || r.TTL == ""):
			t.Errorf("PUT %s with TTL %q: only token requests, with a TTL", r.Path, r.TTL)
		case r.Method != "PUT" && (r.Method != "GET" || r.Token != imdsToken):
			t.Errorf("%s %s with token %q: every read must carry the session token", r.Method, r.Path, r.Token)
		}
	}
}

func TestBootFailsWhenIMDSRefusesTheReads(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.imds.rejectEverything() // 401, as IMDS answers a read without a valid token
	r := m.boot(t, boot.New(nil), fleetLoc)
	if r.Err == nil || !m.exists(bootFailed) || !strings.Contains(r.Log, "tierkit-boot: step imds failed (exit 22") {
		t.Errorf("want the boot to fail in step imds (err %v):\n%s", r.Err, r.Log)
	}
	if !slices.Contains(r.Calls, "systemctl stop apache2") || slices.Contains(r.Calls, "systemctl restart apache2") {
		t.Errorf("calls %q: want the web server stopped, never started", r.Calls)
	}
}

// TestIsSingletonHoldsOnlyOnTheTaggedServer runs one script on two servers:
// the one tagged tierkit-singleton=true and one without the tag (IMDS 404).
func TestIsSingletonHoldsOnlyOnTheTaggedServer(t *testing.T) {
	t.Parallel()
	s := boot.New(nil)
	s.AddStep("once", `if is_singleton; then touch "$ROOT/singleton"; else touch "$ROOT/not-singleton"; fi`)
	for _, singleton := range []bool{true, false} {
		m := newMachine(t)
		if singleton {
			m.imds.setTag(singletonTag, "true")
		}
		mustBoot(t, m.boot(t, s, fleetLoc))
		if m.exists("singleton") != singleton || m.exists("not-singleton") == singleton {
			t.Errorf("singleton=%v: is_singleton answered the other way", singleton)
		}
	}
}

// TestSecretFieldReadsTheSecretWithASignedRequest: the fake Secrets Manager
// answers only GetSecretValue signed for secretsmanager with the role's
// session token; the value reaches the step but not the log.
func TestSecretFieldReadsTheSecretWithASignedRequest(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.aws.putSecret("arn:db", map[string]string{"username": "app", "password": "pw-3xAmple"})
	s := boot.New(nil)
	s.AddStep("read", `local pw
pw=$(secret_field arn:db password)
printf '%s' "$pw" >"$ROOT/password"
secret_field arn:db missing >/dev/null || echo "missing field fails" >>"$TIERKIT_TEST_CALLS"`)
	r := m.boot(t, s, fleetLoc)
	if r.Err != nil || !slices.Contains(r.Calls, "missing field fails") {
		t.Fatalf("boot: %v, calls %q; want success, with a missing field reported as a failure the step handles\n%s", r.Err, r.Calls, r.Console)
	}
	if got := m.read(t, "password"); got != "pw-3xAmple" {
		t.Errorf("the step read %q, want the secret's password", got)
	}
	if strings.Contains(r.Log, "pw-3xAmple") || strings.Contains(r.Console, "pw-3xAmple") {
		t.Errorf("the secret is in the boot log")
	}
}

// TestRoleKeysAreReadOncePerProcessForTwoMinutes: the loader and the boot
// script each read the role's keys from IMDS once, however many requests
// their steps make (here three, each from a $(...) subshell); keys 2 minutes
// old are read again, as EC2 only promises 5 minutes of life to served keys.
func TestRoleKeysAreReadOncePerProcessForTwoMinutes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		// jump is run between the second and the third request.
		jump string
		want int
	}{
		{"within 2 minutes", ":", 2},
		{"2 minutes later", "SECONDS=$((SECONDS + 120))", 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := newMachine(t)
			m.aws.putSecret("arn:db", map[string]string{"username": "app", "password": "pw-3xAmple"})
			s := boot.New(nil)
			s.AddStep("read", `secret_field arn:db password >/dev/null
secret_field arn:db username >/dev/null
`+c.jump+`
secret_field arn:db password >/dev/null`)
			mustBoot(t, m.boot(t, s, fleetLoc))
			reads := 0
			for _, r := range m.imds.Requests() {
				if r.Path == "/latest/meta-data/iam/security-credentials/role" {
					reads++
				}
			}
			if reads != c.want {
				t.Errorf("the role's keys were read %d times, want %d (once by the loader, once by the boot script, again after 2 minutes)", reads, c.want)
			}
		})
	}
}

func TestSecretFieldFailsTheStepWhenTheSecretIsRefused(t *testing.T) {
	t.Parallel()
	m := newMachine(t) // no such secret: Secrets Manager answers 400
	s := boot.New(nil)
	s.AddStep("read", `secret_field arn:absent password >/dev/null`)
	r := m.boot(t, s, fleetLoc)
	if r.Err == nil || !strings.Contains(r.Log, "answered 400 for arn:absent") || !strings.Contains(r.Log, "step read failed") {
		t.Errorf("want the step to fail with Secrets Manager's answer (err %v):\n%s", r.Err, r.Log)
	}
}

// trickyValue holds what a mail password or an API key may: spaces, both
// quotes, $, #, backslashes, JSON escapes (Go escapes <, > and & as \u003c,
// ...), characters beyond ASCII and a trailing newline.
const trickyValue = "p a\"s's $HOME #x \\n\\ \t <&> é ✓ 😀 end\n"

// TestReadReferenceReadsEveryKindExactly: a JSON key of a secret, a plain
// secret string and an SSM parameter reach the step exactly, the log never.
func TestReadReferenceReadsEveryKindExactly(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.aws.putSecret("arn:mail", map[string]string{"username": "mailer", "password": trickyValue})
	// A key inside a value or a nested object is not the member.
	m.aws.putSecretString("arn:nested", `{"outer":{"api":"nested"},"note":"\"api\":\"in a value\"","api":"top\ud83d\ude00\u00e9"}`)
	m.aws.putSecretString("arn:plain", trickyValue)
	m.aws.putParameter("/app/api-key", trickyValue)
	s := boot.New(nil)
	s.AddStep("read", `local v
read_reference v 'secretsmanager:arn:mail#password'
printf '%s' "$v" >"$ROOT/mail"
read_reference v 'secretsmanager:arn:nested#api'
printf '%s' "$v" >"$ROOT/nested"
read_reference v 'secretsmanager:arn:plain'
printf '%s' "$v" >"$ROOT/plain"
read_reference v 'ssm:/app/api-key'
printf '%s' "$v" >"$ROOT/parameter"`)
	r := m.boot(t, s, fleetLoc)
	mustBoot(t, r)
	for file, want := range map[string]string{"mail": trickyValue, "nested": "top😀é", "plain": trickyValue, "parameter": trickyValue} {
		if got := m.read(t, file); got != want {
			t.Errorf("%s: read %q, want %q", file, got, want)
		}
	}
	if strings.Contains(r.Log, "HOME #x") || strings.Contains(r.Console, "HOME #x") {
		t.Errorf("a value is in the boot log")
	}
}

// TestReadReferenceFailsNamingTheReference: a refused or missing secret or
// parameter, or a missing key, fails the step with the reference named.
func TestReadReferenceFailsNamingTheReference(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ ref, want string }{
		{"secretsmanager:arn:absent", "Secrets Manager answered 400 for secretsmanager:arn:absent: {\"__type\":\"ResourceNotFoundException\"}"},
		{"secretsmanager:arn:mail#token", "secretsmanager:arn:mail#token: the secret is not a JSON object with the key token"},
		{"secretsmanager:arn:plain#password", "secretsmanager:arn:plain#password: the secret is not a JSON object with the key password"},
		{"ssm:/app/absent", "SSM Parameter Store answered 400 for ssm:/app/absent: {\"__type\":\"ParameterNotFound\"}"},
		{"vault:x", "vault:x is not a reference"},
	} {
		t.Run(c.ref, func(t *testing.T) {
			t.Parallel()
			m := newMachine(t)
			m.aws.putSecret("arn:mail", map[string]string{"password": "pw"})
			m.aws.putSecretString("arn:plain", "plain")
			s := boot.New(nil)
			s.AddStep("read", "local v\nread_reference v "+boot.Quote(c.ref)+"\ntouch \"$ROOT/after\"")
			r := m.boot(t, s, fleetLoc)
			if r.Err == nil || !strings.Contains(r.Log, "read: "+c.want) || !strings.Contains(r.Log, "step read failed") || m.exists("after") {
				t.Errorf("want the step to fail at once with %q (err %v):\n%s", c.want, r.Err, r.Log)
			}
		})
	}
}

func TestDisableCronFilesStepRenamesTheAMIsEntries(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	cdktest.WriteFile(t, filepath.Join(m.Root, "etc/cron.d/laravel"), "* * * * * www-data php artisan schedule:run\n", 0o644)
	s := boot.New(nil)
	s.AddStep("cron-off", boot.DisableCronFilesStep([]string{"/etc/cron.d/laravel", "/etc/cron.d/absent"}))
	mustBoot(t, m.boot(t, s, fleetLoc))
	if m.exists("etc/cron.d/laravel") || !m.exists("etc/cron.d/.laravel"+boot.DisabledCronSuffix) {
		t.Errorf("/etc/cron.d/laravel was not renamed to .laravel%s", boot.DisabledCronSuffix)
	}
}

func TestRenderedScriptsPassShellcheck(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("shellcheck"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("shellcheck is not on PATH: install shellcheck (Debian package shellcheck)")
		}
		t.Skip("install shellcheck (Debian package shellcheck)")
	}
	full := boot.New(&boot.Props{GoldenIP: golden, IPFiles: []string{"/etc/hosts", vhost}, WebServer: "httpd", AgentConfig: agentConfig, HealthCheckPath: "/up", Port: 8080})
	full.AddStep("env", `cat >"$ROOT/etc/app.env" <<EOF
APP_URL=`+boot.Quote("https://api.example.com")+`
LOCAL_IP=$LOCAL_IP
EOF`)
	full.AddStep("cache", `php artisan config:cache`)
	scripts := map[string]*boot.Script{"default": boot.New(nil), "full": full}
	values := map[string][]string{"default": nil, "full": {logGroupToken}}
	for name, s := range scripts {
		a := s.Artifact(values[name])
		// The user data as deployed: CloudFormation resolved the token.
		loader := strings.ReplaceAll(s.Loader(a, fleetLoc), logGroupToken, logGroup)
		for what, text := range map[string]string{"boot script": a.Script, "loader": loader} {
			t.Run(name+" "+what, func(t *testing.T) {
				file := filepath.Join(t.TempDir(), "script")
				cdktest.WriteFile(t, file, text, 0o644)
				if out, err := exec.Command("shellcheck", "--severity=style", file).CombinedOutput(); err != nil {
					t.Errorf("shellcheck: %v\n%s", err, out)
				}
			})
		}
	}
}

// Go-side checks.

func TestQuoteKeepsValuesLiteral(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"", "plain", "it's", `$HOME "$(id)" ${Token[TOKEN.12]}`, "a\nb", `\'`, "'''"} {
		out, err := exec.Command("bash", "-c", "printf %s "+boot.Quote(v)).Output()
		if err != nil || string(out) != v {
			t.Errorf("Quote(%q) expands to %q (%v)", v, out, err)
		}
	}
}

func TestInvalidProps(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		props boot.Props
		want  string
	}{
		{"golden IP not an address", boot.Props{GoldenIP: "10.0.0"}, `GoldenIP: "10.0.0" is not an IPv4 address`},
		{"golden IP with leading zeros", boot.Props{GoldenIP: "10.0.0.01"}, `GoldenIP: "10.0.0.01" is not an IPv4 address`},
		{"golden IP v6", boot.Props{GoldenIP: "fd00::1"}, `GoldenIP: "fd00::1" is not an IPv4 address`},
		{"golden IP loopback", boot.Props{GoldenIP: "127.0.0.1"}, "GoldenIP: 127.0.0.1 is not a server's private address"},
		{"IP files without golden IP", boot.Props{IPFiles: []string{"/etc/hosts"}}, "IPFiles: set without GoldenIP"},
		{"relative IP file", boot.Props{GoldenIP: golden, IPFiles: []string{"etc/hosts"}}, `IPFiles[0]: "etc/hosts" is not a clean absolute path`},
		{"IP file with dot-dot", boot.Props{GoldenIP: golden, IPFiles: []string{"/etc/../etc/hosts"}}, `IPFiles[0]: "/etc/../etc/hosts" is not a clean absolute path`},
		{"IP file with a quote", boot.Props{GoldenIP: golden, IPFiles: []string{"/etc/host's"}}, `IPFiles[0]: "/etc/host's" is not a clean absolute path`},
		{"IP file twice", boot.Props{GoldenIP: golden, IPFiles: []string{"/etc/hosts", "/etc/hosts"}}, `IPFiles[1]: "/etc/hosts" is listed twice`},
		{"web server with a space", boot.Props{WebServer: "apache2; reboot"}, `WebServer: "apache2; reboot" is not a systemd unit name`},
		{"agent config not JSON", boot.Props{AgentConfig: "{logs:"}, "AgentConfig: not valid JSON"},
		{"agent config heredoc end", boot.Props{AgentConfig: "{}\nTIERKIT_AGENT_CONFIG\nrm -rf /"}, "AgentConfig: not valid JSON"},
		{"log file relative", boot.Props{LogFile: "boot.log"}, `LogFile: "boot.log" is not a clean absolute file path`},
		{"log file a directory", boot.Props{LogFile: "/var/log/"}, `LogFile: "/var/log/" is not a clean absolute file path`},
		{"health check path relative", boot.Props{HealthCheckPath: "up"}, `HealthCheckPath: "up" is not an absolute path`},
		{"health check path with a quote", boot.Props{HealthCheckPath: "/up'"}, `HealthCheckPath: "/up'" is not an absolute path`},
		{"health check path with a space", boot.Props{HealthCheckPath: "/up now"}, `HealthCheckPath: "/up now" is not an absolute path`},
		{"health check path too long", boot.Props{HealthCheckPath: "/" + strings.Repeat("a", 1024)}, "HealthCheckPath: "},
		{"port negative", boot.Props{Port: -1}, "Port: -1 is out of range"},
		{"port too high", boot.Props{Port: 65536}, "Port: 65536 is out of range"},
		{"health check wait without path", boot.Props{HealthCheckWait: time.Minute}, "HealthCheckWait: set without HealthCheckPath"},
		{"health check wait too short", boot.Props{HealthCheckPath: "/up", HealthCheckWait: time.Second}, "HealthCheckWait: 1s is out of range"},
		{"health check wait too long", boot.Props{HealthCheckPath: "/up", HealthCheckWait: 16 * time.Minute}, "HealthCheckWait: 16m0s is out of range"},
		{"health check wait not whole seconds", boot.Props{HealthCheckPath: "/up", HealthCheckWait: 10500 * time.Millisecond}, "HealthCheckWait: 10.5s is out of range"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.props.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestValidPropsPassValidate(t *testing.T) {
	t.Parallel()
	for _, p := range []boot.Props{
		{},
		{GoldenIP: golden, IPFiles: []string{"/etc/hosts", vhost}, WebServer: "php8.3-fpm", AgentConfig: "{}", LogFile: "/var/log/boot.log"},
		{HealthCheckPath: "/up?full=1", Port: 8080, HealthCheckWait: 10 * time.Second},
		{HealthCheckPath: "/", Port: 65535, HealthCheckWait: 15 * time.Minute},
	} {
		if err := p.Validate(); err != nil {
			t.Errorf("%+v: %v", p, err)
		}
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	t.Parallel()
	err := boot.Props{GoldenIP: "x", WebServer: "a b", LogFile: "log", HealthCheckPath: "up", Port: -1}.Validate()
	for _, field := range []string{"GoldenIP: ", "; WebServer: ", "; LogFile: ", "; HealthCheckPath: ", "; Port: "} {
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("got %v, want a problem with %s", err, strings.Trim(field, "; "))
		}
	}
}

func TestNewPanicsOnInvalidProps(t *testing.T) {
	t.Parallel()
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "boot: GoldenIP:") {
			t.Errorf("got %v, want a panic starting with boot: GoldenIP:", r)
		}
	}()
	boot.New(&boot.Props{GoldenIP: "not-an-ip"})
}

func TestAddStepRefusesBadSteps(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, stepName, body, want string }{
		{"upper case", "Migrate", "true", `boot: step "Migrate": name must match`},
		{"empty name", "", "true", `boot: step "": name must match`},
		{"space", "run migrations", "true", `boot: step "run migrations": name must match`},
		{"twice", "env", "true", `boot: step "env": added twice`},
		{"empty body", "blank", " \n\t\n", `boot: step "blank": body is empty`},
	}
	for _, reserved := range []string{"imds", "health-check", "loader", "fetch", "prepare", "boot"} {
		cases = append(cases, struct{ name, stepName, body, want string }{"reserved " + reserved, reserved, "true", `boot: step "` + reserved + `": the name is the script's own step`})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := boot.New(nil)
			s.AddStep("env", "true")
			defer func() {
				if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), c.want) {
					t.Errorf("got %v, want a panic starting with %q", r, c.want)
				}
			}()
			s.AddStep(c.stepName, c.body)
		})
	}
}

func TestNewCopiesProps(t *testing.T) {
	t.Parallel()
	files := []string{"/etc/hosts"}
	s := boot.New(&boot.Props{GoldenIP: golden, IPFiles: files})
	files[0] = "/etc/changed"
	if script := s.Render(); !strings.Contains(script, "'/etc/hosts'") || strings.Contains(script, "/etc/changed") {
		t.Errorf("the script follows the caller's slice after New")
	}
}

func TestSetAgentConfigIsReadWhenTheScriptIsRendered(t *testing.T) {
	t.Parallel()
	s := boot.New(nil)
	config := `{"logs":{}}`
	s.SetAgentConfig(func() string { return config })
	config = `{"logs":{"late":true}}`
	if out := s.Render(); !strings.Contains(out, `{"logs":{"late":true}}`) {
		t.Errorf("the rendered script does not hold the configuration current at render time:\n%s", out)
	}
}

func TestSetAgentConfigRefusesInvalidJSON(t *testing.T) {
	t.Parallel()
	s := boot.New(nil)
	s.SetAgentConfig(func() string { return "{logs:" })
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "not valid JSON") {
			t.Errorf("got %v, want a panic about invalid JSON", r)
		}
	}()
	s.Render()
}
