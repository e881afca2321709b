package fleet_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"

	"github.com/tierkit/tierkit/constructs/fleet"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// The worker group: the AutoScaling singleton template's "Workers" (3 to 6
// servers, a termination hook of its own) and the rollout template's
// (default size, its refresh watched).

// workersID returns the logical ID of tpl's worker group and the group.
func workersID(t *testing.T, tpl *cdktest.Template) (string, map[string]any) {
	t.Helper()
	for id, g := range tpl.Resources(group) {
		if strings.HasPrefix(id, "FleetWorkers") {
			return id, g
		}
	}
	t.Fatal("no worker group")
	return "", nil
}

func TestWorkerGroupRunsTheFleetsLaunchTemplateInThePrivateSubnets(t *testing.T) {
	tpl := singletonGroupTemplate(t)
	ltID, _ := only(t, tpl, launchTemplate)
	_, g := workersID(t, tpl)
	p := props(g)
	want := cdktest.JSON(map[string]any{"LaunchTemplateId": ref(ltID), "Version": map[string]any{"Fn::GetAtt": []any{ltID, "LatestVersionNumber"}}})
	if got := cdktest.JSON(p["LaunchTemplate"]); got != want {
		t.Errorf("launch template %s; want the fleet's %s", got, want)
	}
	private := subnetsOfType(t, tpl, "Private")
	subnets := cdktest.JSON(p["VPCZoneIdentifier"])
	for _, id := range private {
		if !strings.Contains(subnets, id) {
			t.Errorf("subnets %s lack the private subnet %s", subnets, id)
		}
	}
	if n := len(cdktest.AsList(p["VPCZoneIdentifier"])); n != len(private) {
		t.Errorf("%d subnets, want the %d private ones", n, len(private))
	}
}

func TestWorkerGroupHasItsSizeAndTracksCPU(t *testing.T) {
	tpl := singletonGroupTemplate(t)
	id, g := workersID(t, tpl)
	if p := props(g); p["MinSize"] != "3" || p["MaxSize"] != "6" || p["DesiredCapacity"] != nil {
		t.Errorf("sizes %v to %v (desired %v); want 3 to 6, twice the minimum, without desired", p["MinSize"], p["MaxSize"], p["DesiredCapacity"])
	}
	tpl.HasResourceProperties(t, "AWS::AutoScaling::ScalingPolicy", map[string]any{
		"AutoScalingGroupName": ref(id),
		"TargetTrackingConfiguration": map[string]any{
			"PredefinedMetricSpecification": map[string]any{"PredefinedMetricType": "ASGAverageCPUUtilization"}, "TargetValue": 50,
		},
	})
	_, def := workersID(t, rolloutTemplate(t))
	if p := props(def); p["MinSize"] != "2" || p["MaxSize"] != "4" {
		t.Errorf("default sizes %v to %v; want 2 to 4", p["MinSize"], p["MaxSize"])
	}
}

// TestWorkerGroupIsInNoTargetGroup: the target group registers the main
// and the singleton groups (Targets), never the workers, whose health is
// EC2's.
func TestWorkerGroupIsInNoTargetGroup(t *testing.T) {
	tpl := singletonGroupTemplate(t)
	_, g := workersID(t, tpl)
	p := props(g)
	if p["TargetGroupARNs"] != nil || p["LoadBalancerNames"] != nil {
		t.Errorf("the worker group is registered: %s", cdktest.JSON(p))
	}
	if p["HealthCheckType"] != "EC2" || p["HealthCheckGracePeriod"] != float64(300) {
		t.Errorf("health check %v after %v; want EC2 after 300 s", p["HealthCheckType"], p["HealthCheckGracePeriod"])
	}
	for _, target := range singletonFleets[fleet.AutoScaling].Targets() {
		if any(target) == any(workerGroup) {
			t.Errorf("Targets() lists the worker group")
		}
	}
	if got := singletonFleets[fleet.AutoScaling].WorkerGroups(); len(got) != 1 || *got[0].Node().Path() != *workerGroup.Node().Path() {
		t.Errorf("WorkerGroups() = %v; want the one added", got)
	}
}

func TestOnlyWorkersCarryTheWorkerTag(t *testing.T) {
	tpl := singletonGroupTemplate(t)
	for id, g := range tpl.Resources(group) {
		tags := cdktest.JSON(props(g)["Tags"])
		worker := strings.Contains(tags, `{"Key":"`+fleet.WorkerTag+`","PropagateAtLaunch":true,"Value":"true"}`)
		if worker != strings.HasPrefix(id, "FleetWorkers") {
			t.Errorf("group %s: worker tag %v, want it on the worker group only (tags %s)", id, worker, tags)
		}
		if strings.HasPrefix(id, "FleetWorkers") && strings.Contains(tags, fleet.SingletonTag) {
			t.Errorf("the worker group carries the singleton tag")
		}
	}
}

// TestWorkerGroupSignalsAndWaitsInTheLaunchHookLikeTheMainGroup: created
// once MinCapacity boots signalled, its servers in service once their boot
// completed the launch hook.
func TestWorkerGroupSignalsAndWaitsInTheLaunchHookLikeTheMainGroup(t *testing.T) {
	tpl := singletonGroupTemplate(t)
	id, g := workersID(t, tpl)
	if got := cdktest.JSON(g["CreationPolicy"]); got != `{"ResourceSignal":{"Count":3,"Timeout":"PT15M"}}` {
		t.Errorf("creation policy %s; want 3 signals in 15 minutes", got)
	}
	tpl.HasResourceProperties(t, group, map[string]any{
		"LifecycleHookSpecificationList": []any{assertions.Match_ObjectLike(&map[string]any{"LifecycleHookName": fleet.LifecycleHookName})},
		"Tags": assertions.Match_ArrayWith(&[]any{
			map[string]any{"Key": fleet.SignalTag, "Value": id, "PropagateAtLaunch": true},
			map[string]any{"Key": fleet.WorkerTag, "Value": "true", "PropagateAtLaunch": true},
		}),
	})
}

// TestWorkerGroupRefreshIsWatchedLikeTheMainGroup: every alarm, watched
// before or after the group was added, launch first.
func TestWorkerGroupRefreshIsWatchedLikeTheMainGroup(t *testing.T) {
	_, g := workersID(t, rolloutTemplate(t))
	prefs := cdktest.JSON(g["UpdatePolicy"].(map[string]any)["AutoScalingInstanceRefresh"].(map[string]any)["Preferences"])
	for _, want := range []string{`"Alarms":[{"Ref":"ErrorsFA5270DE"},{"Ref":"Unhealthy9594204A"}]`, `"MinHealthyPercentage":100`, `"MaxHealthyPercentage":200`, `"BakeTime":600`} {
		if !strings.Contains(prefs, want) {
			t.Errorf("refresh preferences %s lack %s", prefs, want)
		}
	}
}

func TestTerminationHookOnTheNamedGroupsOnly(t *testing.T) {
	tpl := singletonGroupTemplate(t)
	id, _ := workersID(t, tpl)
	hooks := tpl.Resources("AWS::AutoScaling::LifecycleHook")
	if len(hooks) != 1 {
		t.Fatalf("%d termination hooks; want the worker group's", len(hooks))
	}
	for _, h := range hooks {
		if got := cdktest.JSON(props(h)["AutoScalingGroupName"]); got != cdktest.JSON(ref(id)) {
			t.Errorf("hook on %s; want %s", got, id)
		}
	}
}

func TestAddTerminationHookRefusesAnotherFleetsGroup(t *testing.T) {
	groupTemplate(t)
	singletonGroupTemplate(t)
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "AddTerminationHook: SingletonGroup/Fleet/Workers is not a group of the fleet") {
			t.Errorf("panic %v; want the group named as not the fleet's", r)
		}
	}()
	groupFleet.AddTerminationHook("drain", time.Minute, workerGroup)
}

func TestInvalidWorkerGroups(t *testing.T) {
	for _, c := range []struct {
		p    fleet.WorkerGroupProps
		want string
	}{
		{fleet.WorkerGroupProps{MinCapacity: -1}, "MinCapacity: -1 is out of range; allowed: 1 to 99 (0 for the default, 2)"},
		{fleet.WorkerGroupProps{MinCapacity: 100, MaxCapacity: 100}, "MinCapacity: 100 is out of range; allowed: 1 to 99"},
		{fleet.WorkerGroupProps{MaxCapacity: 101}, "MaxCapacity: 101 is out of range; allowed: 2 to 100 (0 for the default, twice MinCapacity)"},
		{fleet.WorkerGroupProps{MinCapacity: 3, MaxCapacity: 3}, "MaxCapacity: 3 is not greater than MinCapacity 3"},
		{fleet.WorkerGroupProps{MaxCapacity: 2}, "MaxCapacity: 2 is not greater than MinCapacity 2"},
	} {
		if err := c.p.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v; want %q", c.p, err, c.want)
		}
	}
	for _, ok := range []fleet.WorkerGroupProps{{}, {MinCapacity: 1}, {MinCapacity: 60}, {MinCapacity: 99}, {MinCapacity: 1, MaxCapacity: 100}} {
		if err := ok.Validate(); err != nil {
			t.Errorf("%+v refused: %v", ok, err)
		}
	}
}

func TestAddWorkerGroupPanicsOnAFixedFleetOrABadID(t *testing.T) {
	fixedTemplate(t)
	groupTemplate(t)
	for _, c := range []struct {
		add  func()
		want string
	}{
		{func() { fixedFleet.AddWorkerGroup("Workers", nil) }, "AddWorkerGroup: the fleet is of fixed servers; allowed only with Mode autoscaling"},
		{func() { groupFleet.AddWorkerGroup("Singleton", nil) }, `AddWorkerGroup: id "Singleton"`},
		{func() { groupFleet.AddWorkerGroup("workers", nil) }, `AddWorkerGroup: id "workers"`},
		{func() { groupFleet.AddWorkerGroup("Queue", &fleet.WorkerGroupProps{MinCapacity: 5, MaxCapacity: 4}) }, "AddWorkerGroup Queue: MaxCapacity: 4 is not greater than MinCapacity 5"},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), c.want) {
					t.Errorf("panic %v; want %q", r, c.want)
				}
			}()
			c.add()
		}()
	}
}
