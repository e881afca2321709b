package scripts_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// The scripts/drill tests run the script against a fake AWS CLI and a fake
// curl (see harness_test.go).

// drillFakeAWS answers the calls scripts/drill makes, from $FAKE_STATE:
//
//	stack, resources    the stack's name and its describe-stack-resources rows
//	target/ID, ec2/ID   the target's and the instance's states, one a line: each
//	                    describe answers the first and drops it while more remain
//	asg/ID              the group of an instance of an Auto Scaling group
//	suspended/GROUP     the group's processes suspended before the drill
//	release/ID          the release tag of an instance (None without)
//	ignore-stop         stop-instances changes nothing
//	fail-stack          describe-stack-resources fails as for a missing stack
const drillFakeAWS = `op="$1 $2"
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
    # The real describe-stack-resources returns only the first 100.
    if [[ $op == *describe* ]]; then head -n 100 "$s/resources"; else cat "$s/resources"; fi ;;
  "elbv2 describe-target-health")
    [[ ${arg[target-group-arn]} == arn:aws:elasticloadbalancing:* ]] || { echo "bad target group" >&2; exit 254; }
    for f in "$s"/target/*; do printf '%s\t%s\n' "${f##*/}" "$(pop "$f")"; done ;;
  "elbv2 describe-target-groups") echo /up ;;
  "ec2 describe-instances")
    if [[ ${arg[query]} == *tierkit-release* ]]; then
      for id in ${arg[instance-ids]}; do
        printf '%s\t%s\n' "$id" "$(cat "$s/release/$id" 2>/dev/null || echo None)"
      done
    else
      pop "$s/ec2/${arg[instance-ids]}"
    fi ;;
  "ec2 stop-instances")
    id=${arg[instance-ids]}
    if [[ ! -f $s/ignore-stop ]]; then
      printf 'stopping\nstopped\n' >"$s/ec2/$id"
      printf 'healthy\nunhealthy\n' >"$s/target/$id"
    fi ;;
  "ec2 start-instances")
    id=${arg[instance-ids]}
    printf 'pending\nrunning\n' >"$s/ec2/$id"
    printf 'initial\nhealthy\n' >"$s/target/$id" ;;
  "autoscaling describe-auto-scaling-instances")
    for id in ${arg[instance-ids]}; do
      if [[ -f $s/asg/$id ]]; then printf '%s\t%s\n' "$id" "$(cat "$s/asg/$id")"; fi
    done ;;
  "autoscaling describe-auto-scaling-groups")
    if [[ -f $s/suspended/${arg[auto-scaling-group-names]} ]]; then cat "$s/suspended/${arg[auto-scaling-group-names]}"; fi ;;
  "autoscaling suspend-processes" | "autoscaling resume-processes") ;;
  *) echo "fake aws: unexpected call: $op" >&2; exit 252 ;;
esac
`

// drillFakeCurl answers unless curl-fails-while-stopped is set and an
// instance is not running.
const drillFakeCurl = `if [[ -f $s/curl-fails-while-stopped ]]; then
  for f in "$s"/ec2/*; do
    if [[ $(head -n 1 "$f") != running ]]; then
      echo "curl: (22) The requested URL returned error: 502" >&2
      exit 22
    fi
  done
fi
`

const (
	drillTargetGroup = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/prod-T-Tier-1A2B3C/0123456789abcdef"
	drillMainGroup   = "prod-laravel-TierFleetGroupASGABE7AED0-Q1W2E3R4"
	drillSingleton   = "prod-laravel-TierFleetSingletonASGEC16910A-T5Y6U7I8"
)

// drillChanges are the calls that change something in the account.
var drillChanges = regexp.MustCompile(`^aws (ec2 (stop|start)-instances|autoscaling (suspend|resume)-processes)`)

// drillFake runs scripts/drill against the fakes.
type drillFake struct{ *harness }

type drillTarget struct{ id, health, group string }

// newDrillFake sets up the fakes for the stack prod-laravel with the given
// resource rows ("TYPE LOGICAL PHYSICAL") besides its target group and DNS
// record, and the given targets.
func newDrillFake(t *testing.T, resources []string, targets ...drillTarget) *drillFake {
	t.Helper()
	f := &drillFake{newHarness(t, "drill", map[string]string{"aws": drillFakeAWS, "curl": drillFakeCurl}, "TIERKIT_DRILL_INTERVAL=0")}
	f.setState("stack", "prod-laravel")
	rows := []string{
		"AWS::EC2::VPC\tNetworkVpc0123ABCD\tvpc-0123456789abcdef0",
		"AWS::ElasticLoadBalancingV2::TargetGroup\tTierEdgeTargetGroup9AE07E85\t" + drillTargetGroup,
		// CloudFormation names the record by its DNS name.
		"AWS::Route53::RecordSet\tTierEdgeARecordF5BF8B65\tapi.example.org",
	}
	for _, r := range resources {
		rows = append(rows, strings.ReplaceAll(r, " ", "\t"))
	}
	f.setState("resources", strings.Join(rows, "\n")+"\n")
	for _, tg := range targets {
		f.setState("target/"+tg.id, tg.health+"\n")
		f.setState("ec2/"+tg.id, "running\n")
		if tg.group != "" {
			f.setState("asg/"+tg.id, tg.group)
		}
	}
	return f
}

// newAutoScalingDrill is a stack in Auto Scaling mode: the singleton's group
// lists first, and the main group's first server is unhealthy, so the one to
// pick is the last.
func newAutoScalingDrill(t *testing.T) *drillFake {
	return newDrillFake(t, []string{
		"AWS::AutoScaling::AutoScalingGroup TierFleetGroupASGABE7AED0 " + drillMainGroup,
		"AWS::AutoScaling::AutoScalingGroup TierFleetSingletonASGEC16910A " + drillSingleton,
	},
		drillTarget{"i-0000000000000000a", "healthy", drillSingleton},
		drillTarget{"i-0000000000000000b", "unhealthy", drillMainGroup},
		drillTarget{"i-0000000000000000c", "healthy", drillMainGroup},
	)
}

// changes are the calls that change something, with their arguments.
func (f *drillFake) changes() []string {
	var changes []string
	for _, c := range f.calls() {
		if drillChanges.MatchString(c) {
			changes = append(changes, c)
		}
	}
	return changes
}

func (f *drillFake) wantChanges(out string, want ...string) {
	f.t.Helper()
	if got := f.changes(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		f.t.Errorf("calls that change something:\n%s\nwant:\n%s\noutput:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), out)
	}
}

const drillProcesses = "--scaling-processes HealthCheck ReplaceUnhealthy AZRebalance"

// drillStopStart are the changes of a drill of the server id.
func drillStopStart(id string) []string {
	return []string{"aws ec2 stop-instances --instance-ids " + id, "aws ec2 start-instances --instance-ids " + id}
}

// drillOfTheMainGroup are the changes of a drill of the main group's healthy
// server, suspending and resuming processes (--scaling-processes ...).
func drillOfTheMainGroup(processes string) []string {
	return slices.Concat(
		[]string{"aws autoscaling suspend-processes --auto-scaling-group-name " + drillMainGroup + " " + processes},
		drillStopStart("i-0000000000000000c"),
		[]string{"aws autoscaling resume-processes --auto-scaling-group-name " + drillMainGroup + " " + processes},
	)
}

func TestDrillStopsAndRestartsANonSingletonServerOfAnAutoScalingGroup(t *testing.T) {
	f := newAutoScalingDrill(t)
	out := f.mustRun(0, "prod", "laravel", "--confirm", "prod")
	f.wantChanges(out, drillOfTheMainGroup(drillProcesses)...)
	wantOutput(t, out,
		"drilling i-0000000000000000c of the group "+drillMainGroup,
		"drill of prod-laravel: i-0000000000000000c",
		// The seconds depend on the machine's load: the summary's shape is what
		// is checked here.
		" s (from the stop)",
		" s (from the start)",
		"0 failed (https://api.example.org/up)",
		"polls with no other healthy target: 0",
		"passed: the service answered throughout",
	)
	// Every step and poll is timestamped.
	if !regexp.MustCompile(`(?m)^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] stopped i-0000000000000000c`).MatchString(out) {
		t.Errorf("the steps have no timestamp:\n%s", out)
	}
	// The service is checked before the stop and at every poll after it.
	var curls, polls int
	for _, c := range f.calls() {
		switch {
		case c == "curl -fsS -o /dev/null --max-time 5 https://api.example.org/up":
			curls++
		case strings.HasPrefix(c, "aws elbv2 describe-target-health --target-group-arn "+drillTargetGroup):
			polls++
		case strings.HasPrefix(c, "curl"):
			t.Errorf("curl called as %q", c)
		}
	}
	// The look that picks the server comes with the check before the stop,
	// then each poll with one answer.
	if curls < 4 || curls != polls {
		t.Errorf("%d answers checked, %d target health polls; want one per poll, at least 4", curls, polls)
	}
}

func TestDrillInFixedModeSparesServer1(t *testing.T) {
	// Server1 lists first; Server12 must not be taken for it.
	f := newDrillFake(t, []string{
		"AWS::EC2::Instance TierFleetServer186A166D2 i-01",
		"AWS::EC2::Instance TierFleetServer270CED946 i-03",
		"AWS::EC2::Instance TierFleetServer12A1B2C3D4 i-02",
	},
		drillTarget{id: "i-01", health: "healthy"},
		drillTarget{id: "i-02", health: "healthy"},
		drillTarget{id: "i-03", health: "unhealthy"},
	)
	out := f.mustRun(0, "prod", "laravel", "--confirm", "prod", "--url", "https://api.example.org/up")
	// No group to suspend in fixed mode.
	f.wantChanges(out, drillStopStart("i-02")...)
	wantOutput(t, out, "fixed mode", "0 failed (https://api.example.org/up)")
	for _, c := range f.calls() {
		if strings.HasPrefix(c, "aws autoscaling") {
			t.Errorf("fixed mode called %q", c)
		}
	}
}

func TestDrillPicksTheSingletonOnlyWhenNoOtherServerIsHealthy(t *testing.T) {
	f := newDrillFake(t, []string{
		"AWS::EC2::Instance TierFleetServer186A166D2 i-01",
		"AWS::EC2::Instance TierFleetServer270CED946 i-02",
	},
		drillTarget{id: "i-01", health: "healthy"},
		drillTarget{id: "i-02", health: "unhealthy"},
		// Another service's target in the same group still carries the traffic.
		drillTarget{id: "i-09", health: "healthy"},
	)
	out := f.mustRun(0, "prod", "laravel", "--confirm", "prod")
	f.wantChanges(out, drillStopStart("i-01")...)
	wantOutput(t, out, "the singleton is the fleet's only healthy server")
}

func TestDrillTimeoutNamesWhatItWaitedForAndRestoresEverything(t *testing.T) {
	f := newAutoScalingDrill(t)
	f.set("ignore-stop")
	start := time.Now()
	out := f.mustRun(1, "prod", "laravel", "--confirm", "prod", "--timeout", "1")
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("a 1 s timeout took %v", d)
	}
	wantOutput(t, out,
		"gave up after 1 s waiting for the target group to report i-0000000000000000c unhealthy",
		"the drill did not finish: starting i-0000000000000000c again",
		"resumed HealthCheck ReplaceUnhealthy AZRebalance on "+drillMainGroup,
	)
	f.wantChanges(out, drillOfTheMainGroup(drillProcesses)...)
}

func TestDrillFailsWhenTheServiceStopsAnswering(t *testing.T) {
	f := newAutoScalingDrill(t)
	f.set("curl-fails-while-stopped")
	out := f.mustRun(1, "prod", "laravel", "--confirm", "prod")
	wantOutput(t, out,
		"answer FAILED (curl: (22) The requested URL returned error: 502)",
		"tierkit drill: the service did not carry on: ",
	)
	// The failures are counted in the summary, and the drill still finishes.
	if !regexp.MustCompile(`answers: +\d+ ok, [1-9]\d* failed`).MatchString(out) {
		t.Errorf("the summary does not count the failed answers:\n%s", out)
	}
	f.wantChanges(out, drillOfTheMainGroup(drillProcesses)...)
}

func TestDrillFailsWhenNoOtherTargetStaysHealthy(t *testing.T) {
	f := newAutoScalingDrill(t)
	// The singleton's target turns unhealthy after the first poll.
	f.setState("target/i-0000000000000000a", "healthy\nhealthy\nunhealthy\n")
	out := f.mustRun(1, "prod", "laravel", "--confirm", "prod")
	wantOutput(t, out, "0 other healthy target(s), answer ok")
	if !regexp.MustCompile(`the service did not carry on: 0 failed answer\(s\), [1-9]\d* poll\(s\) with no other healthy target`).MatchString(out) {
		t.Errorf("the failure does not count the polls without another healthy target:\n%s", out)
	}
}

func TestDrillInterruptedStartsTheServerAndResumesTheProcesses(t *testing.T) {
	f := newAutoScalingDrill(t)
	f.set("ignore-stop")
	cmd, buf := f.command("prod", "laravel", "--confirm", "prod")
	f.startAndWaitForCall(cmd, buf, "stop-instances")
	// Ctrl-C signals the terminal's whole process group.
	out, code := f.interrupt(cmd, buf)
	if code != 130 {
		t.Errorf("exit %d, want 130:\n%s", code, out)
	}
	f.wantChanges(out, drillOfTheMainGroup(drillProcesses)...)
}

func TestDrillLeavesProcessesSuspendedBeforeItSuspended(t *testing.T) {
	f := newAutoScalingDrill(t)
	f.setState("suspended/"+drillMainGroup, "AZRebalance\tLaunch\n")
	out := f.mustRun(0, "prod", "laravel", "--confirm", "prod")
	f.wantChanges(out, drillOfTheMainGroup("--scaling-processes HealthCheck ReplaceUnhealthy")...)
}

func TestDrillFindsTheResourcesOfAStackOfOverAHundred(t *testing.T) {
	// describe-stack-resources stops at 100; the fleet is listed after them.
	var rows []string
	for i := range 100 {
		rows = append(rows, fmt.Sprintf("AWS::Logs::LogGroup Group%d prod-laravel-group-%d", i, i))
	}
	f := newDrillFake(t, append(rows,
		"AWS::EC2::Instance TierFleetServer186A166D2 i-01",
		"AWS::EC2::Instance TierFleetServer270CED946 i-02",
	),
		drillTarget{id: "i-01", health: "healthy"},
		drillTarget{id: "i-02", health: "healthy"},
	)
	out := f.mustRun(0, "prod", "laravel", "--confirm", "prod")
	f.wantChanges(out, drillStopStart("i-02")...)
}

func TestDrillRefusesWithoutEnvironmentAndTier(t *testing.T) {
	for _, args := range [][]string{nil, {"prod"}, {"prod", "laravel", "extra"}, {"prod", "laravel", "--confirm"}, {"prod", "laravel", "--timeout", "0"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			f := newAutoScalingDrill(t)
			out, code := f.run(args...)
			f.wantRefused(out, code, 2, "usage: scripts/drill ENV TIER [--confirm ENV]")
		})
	}
}

func TestDrillRefusesAConfirmationOfAnotherEnvironment(t *testing.T) {
	f := newAutoScalingDrill(t)
	out, code := f.run("prod", "laravel", "--confirm", "staging")
	// Not even a read: the confirmation comes before any call.
	f.wantRefused(out, code, 1, "--confirm staging does not match the environment prod; nothing was done")
}

func TestDrillRefusesWithoutATerminalOrConfirm(t *testing.T) {
	f := newAutoScalingDrill(t)
	out, code := f.run("prod", "laravel")
	f.wantRefused(out, code, 1, "no terminal to confirm on: pass --confirm prod")
}

func TestDrillAsksOnTheTerminal(t *testing.T) {
	for _, tc := range []struct {
		answer  string
		code    int
		changes int
	}{{"prod", 0, 4}, {"staging", 1, 0}, {"", 1, 0}} {
		t.Run(tc.answer, func(t *testing.T) {
			f := newAutoScalingDrill(t)
			out, code := f.onTerminal(tc.answer, "prod", "laravel")
			if code != tc.code {
				t.Errorf("exit %d, want %d:\n%s", code, tc.code, out)
			}
			wantOutput(t, out, "This stops one server of prod-laravel. Type the environment name to continue: ")
			if got := len(f.changes()); got != tc.changes {
				t.Errorf("%d calls that change something, want %d:\n%s", got, tc.changes, out)
			}
		})
	}
}

func TestDrillRefusesBeforeAnyChangeWhenTheStackIsMissingOrHasOneHealthyServer(t *testing.T) {
	missing := newAutoScalingDrill(t)
	missing.set("fail-stack")
	one := newAutoScalingDrill(t)
	one.setState("target/i-0000000000000000a", "unhealthy\n")
	down := newAutoScalingDrill(t)
	down.set("curl-fails-while-stopped")
	down.setState("ec2/i-0000000000000000b", "stopped\n")
	for name, tc := range map[string]struct {
		f    *drillFake
		want string
	}{
		"missing stack":     {missing, "Stack with id prod-laravel does not exist"},
		"one healthy":       {one, "prod-laravel has 1 healthy target(s); the drill needs at least 2; nothing was done"},
		"not answering yet": {down, "the service does not answer at https://api.example.org/up before the drill"},
	} {
		t.Run(name, func(t *testing.T) {
			out, code := tc.f.run("prod", "laravel", "--confirm", "prod")
			if code != 1 {
				t.Errorf("exit %d, want 1:\n%s", code, out)
			}
			wantOutput(t, out, tc.want)
			tc.f.wantChanges(out)
		})
	}
}

func TestDrillSaysWhichReleaseEveryHealthyServerRuns(t *testing.T) {
	f := newAutoScalingDrill(t)
	f.setState("release/i-0000000000000000a", "20261203-1612-a1b2c3d")
	f.setState("release/i-0000000000000000c", "20261203-1612-a1b2c3d")
	out, code := f.run("prod", "laravel", "--confirm", "prod")
	if code != 0 || !strings.Contains(out, "every healthy server runs the release 20261203-1612-a1b2c3d") {
		t.Errorf("exit %d; want 0 and the release named:\n%s", code, out)
	}
}

func TestDrillRefusesWhileTwoReleasesServe(t *testing.T) {
	f := newAutoScalingDrill(t)
	f.setState("release/i-0000000000000000a", "r1")
	f.setState("release/i-0000000000000000c", "r2")
	out, code := f.run("prod", "laravel", "--confirm", "prod")
	if code != 1 || !strings.Contains(out, "run different releases (r1 r2): a rollout is under way") {
		t.Errorf("exit %d; want 1 and the rollout named:\n%s", code, out)
	}
	f.wantChanges(out)
}

func TestDrillOfATierWithoutReleasesNamesNone(t *testing.T) {
	f := newAutoScalingDrill(t)
	out, code := f.run("prod", "laravel", "--confirm", "prod")
	if code != 0 || strings.Contains(out, "release") {
		t.Errorf("exit %d; want 0 and no release line:\n%s", code, out)
	}
}
