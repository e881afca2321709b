package scripts_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tierkit/tierkit/internal/cdktest"
)

// The scripts/drill tests run the script against a fake AWS CLI and a fake
// curl: both log each call to calls.log and answer from a state directory.

// drillFakeAWS answers the calls scripts/drill makes, from $FAKE_STATE:
//
//	stack, resources    the stack's name and its describe-stack-resources rows
//	target/ID, ec2/ID   the target's and the instance's states, one a line: each
//	                    describe answers the first and drops it while more remain
//	asg/ID              the group of an instance of an Auto Scaling group
//	suspended/GROUP     the group's processes suspended before the drill
//	ignore-stop         stop-instances changes nothing
//	fail-stack          describe-stack-resources fails as for a missing stack
const drillFakeAWS = `#!/usr/bin/env bash
set -euo pipefail
s=$FAKE_STATE
echo "aws $*" >>"$s/calls.log"
op="$1 $2"
shift 2
declare -A arg=()
key=
for word; do
  if [[ $word == --* ]]; then key=${word#--}; arg[$key]=
  else arg[$key]+="${arg[$key]:+ }$word"
  fi
done
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
  "ec2 describe-instances") pop "$s/ec2/${arg[instance-ids]}" ;;
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
const drillFakeCurl = `#!/usr/bin/env bash
set -euo pipefail
s=$FAKE_STATE
echo "curl $*" >>"$s/calls.log"
if [[ -f $s/curl-fails-while-stopped ]]; then
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

type drillFake struct {
	t     *testing.T
	state string
	env   []string
}

type drillTarget struct{ id, health, group string }

// newDrillFake sets up the fakes for the stack prod-laravel with the given
// resource rows ("TYPE LOGICAL PHYSICAL") besides its target group and DNS
// record, and the given targets.
func newDrillFake(t *testing.T, resources []string, targets ...drillTarget) *drillFake {
	t.Helper()
	bin, state := t.TempDir(), t.TempDir()
	f := &drillFake{t: t, state: state}
	f.write(filepath.Join(bin, "aws"), drillFakeAWS, 0o755)
	f.write(filepath.Join(bin, "curl"), drillFakeCurl, 0o755)
	f.write(filepath.Join(state, "stack"), "prod-laravel", 0o644)
	rows := []string{
		"AWS::EC2::VPC\tNetworkVpc0123ABCD\tvpc-0123456789abcdef0",
		"AWS::ElasticLoadBalancingV2::TargetGroup\tTierEdgeTargetGroup9AE07E85\t" + drillTargetGroup,
		// CloudFormation names the record by its DNS name.
		"AWS::Route53::RecordSet\tTierEdgeARecordF5BF8B65\tapi.example.org",
	}
	for _, r := range resources {
		rows = append(rows, strings.ReplaceAll(r, " ", "\t"))
	}
	f.write(filepath.Join(state, "resources"), strings.Join(rows, "\n")+"\n", 0o644)
	for _, tg := range targets {
		f.write(filepath.Join(state, "target", tg.id), tg.health+"\n", 0o644)
		f.write(filepath.Join(state, "ec2", tg.id), "running\n", 0o644)
		if tg.group != "" {
			f.write(filepath.Join(state, "asg", tg.id), tg.group, 0o644)
		}
	}
	f.write(filepath.Join(state, "calls.log"), "", 0o644)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PATH=") && !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "TIERKIT_DRILL_") {
			f.env = append(f.env, kv)
		}
	}
	f.env = append(f.env, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "FAKE_STATE="+state, "TIERKIT_DRILL_INTERVAL=0")
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

func (f *drillFake) write(path, content string, mode os.FileMode) {
	f.t.Helper()
	cdktest.WriteFile(f.t, path, content, mode)
}

func (f *drillFake) set(flag string) { f.write(filepath.Join(f.state, flag), "", 0o644) }

// command is scripts/drill with args, in a session of its own: no
// controlling terminal, whatever terminal runs the tests.
func (f *drillFake) command(args ...string) (*exec.Cmd, *bytes.Buffer) {
	f.t.Helper()
	return scriptCommand(f.t, "drill", f.env, args...)
}

// run runs scripts/drill and returns its output (stdout and stderr) and exit code.
func (f *drillFake) run(args ...string) (string, int) {
	f.t.Helper()
	return runScript(f.t, "drill", f.env, args...)
}

// calls are the fakes' calls, "aws SERVICE OPERATION ARGS..." or "curl ARGS...".
func (f *drillFake) calls() []string {
	f.t.Helper()
	return readLines(f.t, filepath.Join(f.state, "calls.log"))
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

func TestDrillStopsAndRestartsANonSingletonServerOfAnAutoScalingGroup(t *testing.T) {
	f := newAutoScalingDrill(t)
	out, code := f.run("prod", "laravel", "--confirm", "prod")
	if code != 0 {
		t.Fatalf("exit %d, want 0:\n%s", code, out)
	}
	f.wantChanges(out,
		"aws autoscaling suspend-processes --auto-scaling-group-name "+drillMainGroup+" "+drillProcesses,
		"aws ec2 stop-instances --instance-ids i-0000000000000000c",
		"aws ec2 start-instances --instance-ids i-0000000000000000c",
		"aws autoscaling resume-processes --auto-scaling-group-name "+drillMainGroup+" "+drillProcesses,
	)
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
	out, code := f.run("prod", "laravel", "--confirm", "prod", "--url", "https://api.example.org/up")
	if code != 0 {
		t.Fatalf("exit %d, want 0:\n%s", code, out)
	}
	// No group to suspend in fixed mode.
	f.wantChanges(out,
		"aws ec2 stop-instances --instance-ids i-02",
		"aws ec2 start-instances --instance-ids i-02",
	)
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
	out, code := f.run("prod", "laravel", "--confirm", "prod")
	if code != 0 {
		t.Fatalf("exit %d, want 0:\n%s", code, out)
	}
	f.wantChanges(out, "aws ec2 stop-instances --instance-ids i-01", "aws ec2 start-instances --instance-ids i-01")
	wantOutput(t, out, "the singleton is the fleet's only healthy server")
}

func TestDrillTimeoutNamesWhatItWaitedForAndRestoresEverything(t *testing.T) {
	f := newAutoScalingDrill(t)
	f.set("ignore-stop")
	start := time.Now()
	out, code := f.run("prod", "laravel", "--confirm", "prod", "--timeout", "1")
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("a 1 s timeout took %v", d)
	}
	wantOutput(t, out,
		"gave up after 1 s waiting for the target group to report i-0000000000000000c unhealthy",
		"the drill did not finish: starting i-0000000000000000c again",
		"resumed HealthCheck ReplaceUnhealthy AZRebalance on "+drillMainGroup,
	)
	f.wantChanges(out,
		"aws autoscaling suspend-processes --auto-scaling-group-name "+drillMainGroup+" "+drillProcesses,
		"aws ec2 stop-instances --instance-ids i-0000000000000000c",
		"aws ec2 start-instances --instance-ids i-0000000000000000c",
		"aws autoscaling resume-processes --auto-scaling-group-name "+drillMainGroup+" "+drillProcesses,
	)
}

func TestDrillFailsWhenTheServiceStopsAnswering(t *testing.T) {
	f := newAutoScalingDrill(t)
	f.set("curl-fails-while-stopped")
	out, code := f.run("prod", "laravel", "--confirm", "prod")
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	wantOutput(t, out,
		"answer FAILED (curl: (22) The requested URL returned error: 502)",
		"tierkit drill: the service did not carry on: ",
	)
	// The failures are counted in the summary, and the drill still finishes.
	if !regexp.MustCompile(`answers: +\d+ ok, [1-9]\d* failed`).MatchString(out) {
		t.Errorf("the summary does not count the failed answers:\n%s", out)
	}
	f.wantChanges(out,
		"aws autoscaling suspend-processes --auto-scaling-group-name "+drillMainGroup+" "+drillProcesses,
		"aws ec2 stop-instances --instance-ids i-0000000000000000c",
		"aws ec2 start-instances --instance-ids i-0000000000000000c",
		"aws autoscaling resume-processes --auto-scaling-group-name "+drillMainGroup+" "+drillProcesses,
	)
}

func TestDrillFailsWhenNoOtherTargetStaysHealthy(t *testing.T) {
	f := newAutoScalingDrill(t)
	// The singleton's target turns unhealthy after the first poll.
	f.write(filepath.Join(f.state, "target", "i-0000000000000000a"), "healthy\nhealthy\nunhealthy\n", 0o644)
	out, code := f.run("prod", "laravel", "--confirm", "prod")
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	wantOutput(t, out, "0 other healthy target(s), answer ok")
	if !regexp.MustCompile(`the service did not carry on: 0 failed answer\(s\), [1-9]\d* poll\(s\) with no other healthy target`).MatchString(out) {
		t.Errorf("the failure does not count the polls without another healthy target:\n%s", out)
	}
}

func TestDrillInterruptedStartsTheServerAndResumesTheProcesses(t *testing.T) {
	f := newAutoScalingDrill(t)
	f.set("ignore-stop")
	cmd, out := f.command("prod", "laravel", "--confirm", "prod")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(strings.Join(f.calls(), "\n"), "stop-instances"); {
		if time.Now().After(deadline) {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			t.Fatalf("no stop-instances after 10 s:\n%s", out)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Ctrl-C signals the terminal's whole process group.
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(t, "drill", cmd.Wait(), out); code != 130 {
		t.Errorf("exit %d, want 130:\n%s", code, out)
	}
	f.wantChanges(out.String(),
		"aws autoscaling suspend-processes --auto-scaling-group-name "+drillMainGroup+" "+drillProcesses,
		"aws ec2 stop-instances --instance-ids i-0000000000000000c",
		"aws ec2 start-instances --instance-ids i-0000000000000000c",
		"aws autoscaling resume-processes --auto-scaling-group-name "+drillMainGroup+" "+drillProcesses,
	)
}

func TestDrillLeavesProcessesSuspendedBeforeItSuspended(t *testing.T) {
	f := newAutoScalingDrill(t)
	f.write(filepath.Join(f.state, "suspended", drillMainGroup), "AZRebalance\tLaunch\n", 0o644)
	out, code := f.run("prod", "laravel", "--confirm", "prod")
	if code != 0 {
		t.Fatalf("exit %d, want 0:\n%s", code, out)
	}
	f.wantChanges(out,
		"aws autoscaling suspend-processes --auto-scaling-group-name "+drillMainGroup+" --scaling-processes HealthCheck ReplaceUnhealthy",
		"aws ec2 stop-instances --instance-ids i-0000000000000000c",
		"aws ec2 start-instances --instance-ids i-0000000000000000c",
		"aws autoscaling resume-processes --auto-scaling-group-name "+drillMainGroup+" --scaling-processes HealthCheck ReplaceUnhealthy",
	)
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
	out, code := f.run("prod", "laravel", "--confirm", "prod")
	if code != 0 {
		t.Fatalf("exit %d, want 0:\n%s", code, out)
	}
	f.wantChanges(out, "aws ec2 stop-instances --instance-ids i-02", "aws ec2 start-instances --instance-ids i-02")
}

func TestDrillRefusesWithoutEnvironmentAndTier(t *testing.T) {
	for _, args := range [][]string{nil, {"prod"}, {"prod", "laravel", "extra"}, {"prod", "laravel", "--confirm"}, {"prod", "laravel", "--timeout", "0"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			f := newAutoScalingDrill(t)
			out, code := f.run(args...)
			if code != 2 {
				t.Errorf("exit %d, want 2:\n%s", code, out)
			}
			wantOutput(t, out, "usage: scripts/drill ENV TIER [--confirm ENV]")
			if calls := f.calls(); len(calls) != 0 {
				t.Errorf("called %q", calls)
			}
		})
	}
}

func TestDrillRefusesAConfirmationOfAnotherEnvironment(t *testing.T) {
	f := newAutoScalingDrill(t)
	out, code := f.run("prod", "laravel", "--confirm", "staging")
	if code != 1 {
		t.Errorf("exit %d, want 1:\n%s", code, out)
	}
	wantOutput(t, out, "--confirm staging does not match the environment prod; nothing was done")
	// Not even a read: the confirmation comes before any call.
	if calls := f.calls(); len(calls) != 0 {
		t.Errorf("called %q", calls)
	}
}

func TestDrillRefusesWithoutATerminalOrConfirm(t *testing.T) {
	f := newAutoScalingDrill(t)
	out, code := f.run("prod", "laravel")
	if code != 1 {
		t.Errorf("exit %d, want 1:\n%s", code, out)
	}
	wantOutput(t, out, "no terminal to confirm on: pass --confirm prod")
	if calls := f.calls(); len(calls) != 0 {
		t.Errorf("called %q", calls)
	}
}

func TestDrillAsksOnTheTerminal(t *testing.T) {
	// util-linux script(1) gives the drill a terminal and types stdin into it.
	if v, err := exec.Command("script", "--version").Output(); err != nil || !bytes.Contains(v, []byte("util-linux")) {
		t.Skip("needs script(1) from util-linux")
	}
	script, err := filepath.Abs("drill")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		answer  string
		code    int
		changes int
	}{{"prod", 0, 4}, {"staging", 1, 0}, {"", 1, 0}} {
		t.Run(tc.answer, func(t *testing.T) {
			f := newAutoScalingDrill(t)
			var out bytes.Buffer
			cmd := exec.Command("script", "--quiet", "--return", "--command", script+" prod laravel", "/dev/null")
			cmd.Env = append(f.env, "SHELL=/bin/sh")
			cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(tc.answer+"\n"), &out, &out
			cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
			code := exitCode(t, "drill", cmd.Run(), &out)
			if strings.Contains(out.String(), "pseudo-terminal") {
				t.Skipf("script(1) has no terminal to give here:\n%s", &out)
			}
			if code != tc.code {
				t.Errorf("exit %d, want %d:\n%s", code, tc.code, &out)
			}
			wantOutput(t, out.String(), "This stops one server of prod-laravel. Type the environment name to continue: ")
			if got := len(f.changes()); got != tc.changes {
				t.Errorf("%d calls that change something, want %d:\n%s", got, tc.changes, &out)
			}
		})
	}
}

func TestDrillRefusesBeforeAnyChangeWhenTheStackIsMissingOrHasOneHealthyServer(t *testing.T) {
	missing := newAutoScalingDrill(t)
	missing.set("fail-stack")
	one := newAutoScalingDrill(t)
	one.write(filepath.Join(one.state, "target", "i-0000000000000000a"), "unhealthy\n", 0o644)
	down := newAutoScalingDrill(t)
	down.set("curl-fails-while-stopped")
	down.write(filepath.Join(down.state, "ec2", "i-0000000000000000b"), "stopped\n", 0o644)
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
