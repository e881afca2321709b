package laravel_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tierkit/tierkit/constructs/fleet"
	"github.com/tierkit/tierkit/constructs/laravel"
	"github.com/tierkit/tierkit/constructs/releases"
	"github.com/tierkit/tierkit/internal/cdktest"
	"github.com/tierkit/tierkit/internal/check"
	"github.com/tierkit/tierkit/internal/fakeaws"
)

// The worker group: the released tier (releasedProps) runs its queue
// workers on SQS in a group of 3 to 6 servers of its own.

// workerGroup returns the logical ID of the released tier's worker group
// and the group.
func workerGroup(t *testing.T, tpl *cdktest.Template) (string, map[string]any) {
	t.Helper()
	id := cdktest.LogicalID(t, tpl, "AWS::AutoScaling::AutoScalingGroup", "TierFleet"+laravel.QueueWorkerGroupID)
	return id, tpl.Resources("AWS::AutoScaling::AutoScalingGroup")[id]
}

func TestWorkerGroupHasItsSizeFromTheFleetsLaunchTemplate(t *testing.T) {
	tpl := released(t)
	_, g := workerGroup(t, tpl)
	p := cdktest.Props(g)
	if p["MinSize"] != "3" || p["MaxSize"] != "6" {
		t.Errorf("sizes %v to %v; want QueueWorkerMinCapacity 3 to twice that", p["MinSize"], p["MaxSize"])
	}
	lt := cdktest.LogicalID(t, tpl, "AWS::EC2::LaunchTemplate", "TierFleetLaunchTemplate")
	if got := cdktest.JSON(p["LaunchTemplate"]); !strings.Contains(got, `{"Ref":"`+lt+`"}`) {
		t.Errorf("launch template %s; want the fleet's %s (its AMI, role, security group and boot)", got, lt)
	}
	if got := withReleases.tier.App().WorkerGroup(); got == nil || got != withReleases.tier.Fleet().WorkerGroups()[0] {
		t.Errorf("App().WorkerGroup() = %v; want the fleet's worker group", got)
	}
	if api.tier.App().WorkerGroup() != nil || onRHEL.tier.App().WorkerGroup() != nil {
		t.Error("a worker group without QueueWorkers worker-group")
	}
}

// TestWorkersCarryTheReleaseTheyRun: the release's tag, added to the fleet
// before the worker group, reaches it too.
func TestWorkersCarryTheReleaseTheyRun(t *testing.T) {
	_, g := workerGroup(t, released(t))
	want := `{"Key":"` + releases.Tag + `","PropagateAtLaunch":true,"Value":"` + releaseID + `"}`
	if tags := cdktest.JSON(cdktest.Props(g)["Tags"]); !strings.Contains(tags, want) {
		t.Errorf("the worker group lacks %s: %s", want, tags)
	}
}

// TestWorkerGroupIsInNoTargetGroup: the web groups are registered, the
// workers are not, and their health is EC2's.
func TestWorkerGroupIsInNoTargetGroup(t *testing.T) {
	tpl := released(t)
	workers, g := workerGroup(t, tpl)
	for id, group := range tpl.Resources("AWS::AutoScaling::AutoScalingGroup") {
		registered := cdktest.Props(group)["TargetGroupARNs"] != nil
		if registered == (id == workers) {
			t.Errorf("group %s: registered in a target group: %v", id, registered)
		}
	}
	if p := cdktest.Props(g); p["HealthCheckType"] != "EC2" {
		t.Errorf("health check %v; want EC2", p["HealthCheckType"])
	}
}

// TestWorkerGroupAloneHasTheDrainHook: the web servers run no worker to
// drain.
func TestWorkerGroupAloneHasTheDrainHook(t *testing.T) {
	tpl := released(t)
	workers, _ := workerGroup(t, tpl)
	hooks := tpl.Resources("AWS::AutoScaling::LifecycleHook")
	if len(hooks) != 1 {
		t.Fatalf("%d termination hooks; want the worker group's alone", len(hooks))
	}
	for _, h := range hooks {
		p := cdktest.Props(h)
		if cdktest.JSON(p["AutoScalingGroupName"]) != cdktest.JSON(map[string]any{"Ref": workers}) || p["LifecycleHookName"] != laravel.QueueDrainHook ||
			p["HeartbeatTimeout"] != laravel.QueueDrainHeartbeat.Seconds() || p["LifecycleTransition"] != "autoscaling:EC2_INSTANCE_TERMINATING" {
			t.Errorf("hook %s; want %s on %s", cdktest.JSON(p), laravel.QueueDrainHook, workers)
		}
	}
}

// TestWorkersRoleMayUseTheQueue: the workers' role is the fleet's, which
// may use the queue (and only it).
func TestWorkersRoleMayUseTheQueue(t *testing.T) {
	tpl := released(t)
	queue := cdktest.LogicalID(t, tpl, "AWS::SQS::Queue", "TierQueueC")
	want := cdktest.JSON(map[string]any{"Action": []any{"sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage", "sqs:SendMessage"},
		"Effect": "Allow", "Resource": map[string]any{"Fn::GetAtt": []any{queue, "Arn"}}})
	if !slices.ContainsFunc(roleStatements(t, tpl), func(s map[string]any) bool { return cdktest.JSON(s) == want }) {
		t.Errorf("the fleet's role may not use the queue: want %s", want)
	}
	role := cdktest.LogicalID(t, tpl, "AWS::IAM::Role", "TierFleetRole")
	profile := cdktest.LogicalID(t, tpl, "AWS::IAM::InstanceProfile", "TierFleetInstanceProfile")
	tpl.HasResourceProperties(t, "AWS::IAM::InstanceProfile", map[string]any{"Roles": []any{map[string]any{"Ref": role}}})
	for _, lt := range tpl.Resources("AWS::EC2::LaunchTemplate") {
		if got := cdktest.JSON(cdktest.Props(lt)); !strings.Contains(got, profile) {
			t.Errorf("the launch template does not carry the fleet's instance profile %s", profile)
		}
	}
}

func TestWorkerGroupAlarmsWhenBelowDesired(t *testing.T) {
	tpl := released(t)
	workers, _ := workerGroup(t, tpl)
	alarm := cdktest.LogicalID(t, tpl, "AWS::CloudWatch::Alarm", "TierMonitoring"+laravel.QueueWorkerGroupID+"BelowDesired")
	if got := cdktest.JSON(tpl.Resources("AWS::CloudWatch::Alarm")[alarm]); !strings.Contains(got, `"AutoScalingGroupName","Value":{"Ref":"`+workers+`"}`) &&
		!strings.Contains(got, `{"Name":"AutoScalingGroupName","Value":{"Ref":"`+workers+`"}}`) {
		t.Errorf("alarm %s does not watch %s: %s", alarm, workers, got)
	}
}

// bootWorker boots a server of the released tier, a worker or a web
// server, from an AMI made from the singleton (its scheduler entry) and,
// with fromWorker, from a worker (its worker units).
func bootWorker(t *testing.T, worker, fromWorker bool) (*fakeaws.Machine, fakeaws.Result) {
	t.Helper()
	tpl := released(t)
	m := newMachine(t, false, "/var/www/html", secret(password))
	if worker {
		m.AsWorker(t)
	}
	m.AWS.PutObject(cdktest.RefValue(cdktest.LogicalID(t, tpl, "AWS::S3::Bucket", "TierReleasesBucket")), "releases/"+releaseID+".tar.gz", releaseArchive)
	cdktest.WriteFile(t, m.Root+laravel.SchedulerCronFile, "* * * * * www-data php artisan schedule:run\n", 0o644)
	if fromWorker {
		for _, f := range []string{laravel.QueueWorkerUnit, laravel.QueueWorkerPath, laravel.QueueDrainUnit} {
			cdktest.WriteFile(t, m.Root+"/etc/systemd/system/"+f, "# from the AMI\n", 0o644)
		}
	}
	return m, runBoot(t, m, tpl)
}

// TestWorkerServerStartsNoWebServerAndNoHealthCheck: its boot succeeds
// (and signals) without the web server.
func TestWorkerServerStartsNoWebServerAndNoHealthCheck(t *testing.T) {
	_, r := bootWorker(t, true, false)
	for _, c := range r.Calls {
		if c == "systemctl restart apache2" || c == "systemctl start apache2" {
			t.Errorf("calls %q: a worker starts no web server", r.Calls)
		}
	}
	if strings.Contains(r.Log, "step health-check") || strings.Contains(r.Log, "answered 200") || !strings.Contains(r.Log, "apache2 stays stopped, no health check") {
		t.Errorf("the worker's boot log:\n%s", r.Log)
	}
	if !strings.Contains(r.Log, "boot succeeded") || !strings.Contains(r.Log, "lifecycle hook tierkit-boot of "+fakeaws.GroupName+" completed: CONTINUE") {
		t.Errorf("the worker's boot did not succeed and complete its launch hook:\n%s", r.Log)
	}
}

// TestWorkerServerRunsTheWorkerStepAfterTheSameSettings: the release, the
// .env (the queue's settings), the configuration cache, the migration
// guard, then the worker and its drain.
func TestWorkerServerRunsTheWorkerStepAfterTheSameSettings(t *testing.T) {
	m, r := bootWorker(t, true, false)
	unit := m.Read(t, "etc/systemd/system/"+laravel.QueueWorkerUnit)
	if !strings.Contains(unit, "\nExecStart=/usr/bin/env php artisan queue:work ") || !strings.Contains(unit, "\nWorkingDirectory=/var/www/html\n") {
		t.Errorf("%s:\n%s", laravel.QueueWorkerUnit, unit)
	}
	if env := m.Read(t, "var/www/releases/"+releaseID+"/.env"); !strings.Contains(env, "\nQUEUE_CONNECTION=sqs\n") || !strings.Contains(env, "\nSQS_QUEUE=") {
		t.Errorf("the worker's .env lacks the queue:\n%s", env)
	}
	for _, want := range []string{"systemctl start " + laravel.QueueWorkerPath, "systemctl restart " + laravel.QueueDrainUnit} {
		if !slices.Contains(r.Calls, want) {
			t.Errorf("calls %q lack %q", r.Calls, want)
		}
	}
	steps := []string{"step release", "step laravel-env", "step laravel-cache", "step laravel-migrate", "step queue-worker"}
	for i := 1; i < len(steps); i++ {
		if a, b := strings.Index(r.Log, steps[i-1]), strings.Index(r.Log, steps[i]); a < 0 || b < a {
			t.Errorf("%q at %d, %q at %d:\n%s", steps[i-1], a, steps[i], b, r.Log)
		}
	}
	if !m.Exists(strings.TrimPrefix(laravel.QueueDrainScript, "/")) {
		t.Errorf("no drain program on the worker")
	}
}

// TestSchedulerNeverRunsOnAWorker: a worker is never the singleton, so
// the entry an AMI made from the singleton carries is removed.
func TestSchedulerNeverRunsOnAWorker(t *testing.T) {
	m, r := bootWorker(t, true, false)
	if m.Exists(strings.TrimPrefix(laravel.SchedulerCronFile, "/")) || !strings.Contains(r.Log, "not the singleton") {
		t.Errorf("the scheduler's entry is on the worker:\n%s", r.Log)
	}
}

// TestWebServerRunsNoWorkerWithAWorkerGroup: a web server of the same tier
// starts its web server, runs no worker, and removes what an AMI made from
// a worker carries.
func TestWebServerRunsNoWorkerWithAWorkerGroup(t *testing.T) {
	m, r := bootWorker(t, false, true)
	for _, f := range []string{laravel.QueueWorkerUnit, laravel.QueueWorkerPath, laravel.QueueDrainUnit} {
		if m.Exists("etc/systemd/system/" + f) {
			t.Errorf("%s is on a web server", f)
		}
	}
	if !slices.Contains(r.Calls, "systemctl restart apache2") || slices.Contains(r.Calls, "systemctl start "+laravel.QueueWorkerPath) {
		t.Errorf("calls %q: want the web server started and no worker", r.Calls)
	}
	if !strings.Contains(r.Log, "queue worker: not a worker server, none runs here") {
		t.Errorf("the log:\n%s", r.Log)
	}
}

// TestWorkerLogsGoToTheSameGroupsInTheirOwnStreams: the agent's
// configuration names the tier's groups, with worker- streams.
func TestWorkerLogsGoToTheSameGroupsInTheirOwnStreams(t *testing.T) {
	m, _ := bootWorker(t, true, false)
	config := m.Read(t, "opt/aws/amazon-cloudwatch-agent/etc/tierkit.json")
	if !strings.Contains(config, `"log_stream_name":"worker-{instance_id}"`) || strings.Contains(config, `"log_stream_name":"{instance_id}"`) {
		t.Errorf("agent configuration:\n%s", config)
	}
	web, _ := bootWorker(t, false, false)
	if got := web.Read(t, "opt/aws/amazon-cloudwatch-agent/etc/tierkit.json"); strings.Replace(got, "worker-", "", -1) != got || got != strings.ReplaceAll(config, "worker-{instance_id}", "{instance_id}") {
		t.Errorf("the web server's configuration is not the worker's without the prefix:\n%s", got)
	}
}

func TestInvalidWorkerGroupSettings(t *testing.T) {
	group := func(min, max int) laravel.APIProps {
		return laravel.APIProps{QueueWorkers: laravel.QueueWorkersGroup, QueueWorkerMinCapacity: min, QueueWorkerMaxCapacity: max}
	}
	fixed := group(0, 0)
	fixed.Fleet = fleet.Props{Mode: fleet.Fixed}
	for _, c := range []struct {
		props laravel.APIProps
		want  string
	}{
		{fixed, `QueueWorkers: "worker-group" needs an Auto Scaling fleet to scale, refresh and drain the workers, and the fleet is of fixed servers (Fleet Mode fixed); allowed with fixed servers: off, every-node`},
		{group(-1, 0), "QueueWorkerMinCapacity: -1 is out of range; allowed: 1 to 99 (0 for the default, 2)"},
		{group(100, 0), "QueueWorkerMinCapacity: 100 is out of range; allowed: 1 to 99"},
		{group(0, 101), "QueueWorkerMaxCapacity: 101 is out of range; allowed: 2 to 100 (0 for the default, twice QueueWorkerMinCapacity)"},
		{group(4, 4), "QueueWorkerMaxCapacity: 4 is not greater than QueueWorkerMinCapacity 4: an instance refresh adds a server before it removes one; allowed: 5 to 100"},
		{group(0, 2), "QueueWorkerMaxCapacity: 2 is not greater than QueueWorkerMinCapacity 2"},
		{laravel.APIProps{QueueWorkerMinCapacity: 2}, `QueueWorkerMinCapacity: 2 is set, but QueueWorkers is off: there is no worker group; allowed: only with QueueWorkers "worker-group"`},
		{laravel.APIProps{QueueWorkers: laravel.QueueWorkersEveryNode, QueueWorkerMaxCapacity: 4}, `QueueWorkerMaxCapacity: 4 is set, but QueueWorkers is every-node`},
		{laravel.APIProps{QueueWorkers: "lambda"}, `QueueWorkers: "lambda" is not supported; allowed: off, every-node, worker-group`},
		{laravel.APIProps{QueueWorkers: laravel.QueueWorkersGroup, QueueConnection: laravel.QueueRedis}, "QueueConnection: redis, but neither SessionDriver nor CacheStore is redis"},
	} {
		p := c.props
		p.DomainName = "api.example.com"
		err := p.Validate()
		var ce *check.Error
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want %q", c.props, err, c.want)
		}
	}
	for name, p := range map[string]laravel.APIProps{
		"defaults":  group(0, 0),
		"one":       group(1, 0),
		"sized":     group(3, 10),
		"largest":   group(99, 100),
		"min only":  group(60, 0),
		"on redis":  {QueueWorkers: laravel.QueueWorkersGroup, QueueConnection: laravel.QueueRedis, CacheStore: "redis", RedisHost: "cache.internal"},
		"fixed off": {Fleet: fleet.Props{Mode: fleet.Fixed}, QueueWorkers: laravel.QueueWorkersEveryNode},
	} {
		p.DomainName = "api.example.com"
		if err := p.Validate(); err != nil && strings.Contains(err.Error(), "Queue") {
			t.Errorf("%s: refused: %v", name, err)
		}
	}
}
