package fleet

import (
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsautoscaling"
	"github.com/aws/jsii-runtime-go"
)

// hookName is a lifecycle hook name AddTerminationHook accepts.
var hookName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// Bounds of a termination lifecycle hook's heartbeat (Auto Scaling's own).
const (
	minTerminationHeartbeat = 30 * time.Second
	maxTerminationHeartbeat = 2 * time.Hour
)

// AddTerminationHook adds a termination lifecycle hook named name to groups,
// Auto Scaling groups of the fleet, or without groups to every one (the main
// group, the singleton's and the worker groups of AddWorkerGroup): a server
// leaving the group, by scale-in, instance refresh or replacement,
// waits in Terminating:Wait, already out of the load balancer, until
// something on it completes the hook (CompleteLifecycleAction, which the
// boot's policy allows on the stack's groups) or heartbeat passes; either
// way it is then terminated (the default result is CONTINUE). A server sees
// the wait as autoscaling/target-lifecycle-state "Terminated" in its
// instance metadata. heartbeat is 30 seconds to 2 hours, in whole seconds.
//
// A fleet of Fixed servers has no group: CloudFormation replaces or removes
// a server without a hook, and systemd stops its services at shutdown. It
// returns whether a hook was added. It panics on a bad name or heartbeat, on
// a group that is not the fleet's, or when called twice with one name on a
// group.
func (f *Fleet) AddTerminationHook(name string, heartbeat time.Duration, groups ...awsautoscaling.AutoScalingGroup) bool {
	switch {
	case !hookName.MatchString(name) || name == LifecycleHookName:
		panic(fmt.Sprintf("fleet %s: AddTerminationHook: name %q; allowed: 1 to 64 letters, digits, -, _ or ., not %q", *f.Node().Path(), name, LifecycleHookName))
	case heartbeat < minTerminationHeartbeat || heartbeat > maxTerminationHeartbeat || heartbeat%time.Second != 0:
		panic(fmt.Sprintf("fleet %s: AddTerminationHook: heartbeat %v; allowed: %v to %v, whole seconds", *f.Node().Path(), heartbeat, minTerminationHeartbeat, maxTerminationHeartbeat))
	}
	if f.group == nil {
		return false
	}
	own := f.groups()
	for _, g := range groups {
		if g == nil {
			panic(fmt.Sprintf("fleet %s: AddTerminationHook: a nil group; allowed: the fleet's groups", *f.Node().Path()))
		}
		if !slices.Contains(own, g) {
			panic(fmt.Sprintf("fleet %s: AddTerminationHook: %s is not a group of the fleet", *f.Node().Path(), *g.Node().Path()))
		}
	}
	if len(groups) == 0 {
		groups = own
	}
	for _, group := range groups {
		// The construct id is part of the hook's logical ID; the hook holds
		// no data, so renaming it only replaces the hook.
		group.AddLifecycleHook(jsii.String("Drain-"+name), &awsautoscaling.BasicLifecycleHookProps{
			LifecycleHookName:   jsii.String(name),
			LifecycleTransition: awsautoscaling.LifecycleTransition_INSTANCE_TERMINATING,
			HeartbeatTimeout:    awscdk.Duration_Seconds(jsii.Number(heartbeat.Seconds())),
			DefaultResult:       awsautoscaling.DefaultResult_CONTINUE,
		})
	}
	return true
}
