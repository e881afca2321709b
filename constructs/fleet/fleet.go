// Package fleet is the server block of a web tier: copies of the team's
// golden PHP server (an AMI), launched from one launch template into private
// subnets across Availability Zones, either as an Auto Scaling group that
// replaces failed servers and rolls every AMI change, or as a fixed number of
// instances (the articles' "server 1 and server 2"). Every server gets its
// role, network and boot script from the template, never from the AMI.
package fleet

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2targets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/tierkit/tierkit/constructs/boot"
)

// Mode is how the fleet's servers are run.
type Mode string

// ScaleOn is the metric an Auto Scaling fleet tracks.
type ScaleOn string

// Metrics an Auto Scaling fleet tracks.
const (
	// ScaleOnCPU keeps the group's average CPU utilization at TargetCPUPercent.
	ScaleOnCPU ScaleOn = "cpu"
	// ScaleOnRequests keeps the load balancer requests per server at
	// TargetRequestsPerMinute.
	ScaleOnRequests ScaleOn = "requests"
)

const (
	// AutoScaling runs the servers in an Auto Scaling group: failed servers
	// are replaced, CPU load adds servers, and an AMI or launch template change
	// rolls the group one server at a time without dropping below capacity.
	AutoScaling Mode = "autoscaling"
	// Fixed runs a fixed number of EC2 instances, as the articles did by hand.
	// Nothing replaces a failed server, and an AMI or launch template change
	// replaces every instance in one deployment.
	Fixed Mode = "fixed"
)

var (
	instanceTypePattern = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9]+$`)
	deviceNamePattern   = regexp.MustCompile(`^/dev/[a-z][a-z0-9]*$`)
)

// Props configures a Fleet.
type Props struct {
	// Vpc is where the servers run, in its private subnets with egress
	// (SubnetType PRIVATE_WITH_EGRESS) only: no public subnet, no public IP.
	// Required.
	Vpc awsec2.IVpc

	// Image is the team's AMI, e.g. awsec2.MachineImage_GenericLinux with the
	// AMI id per region. Required.
	Image awsec2.IMachineImage

	// InstanceType is the EC2 instance type, e.g. "t3.small", "m7g.large"
	// (an arm64 type needs an arm64 AMI).
	//
	// Default: "t3.small".
	InstanceType string

	// Mode is AutoScaling or Fixed.
	//
	// Default: AutoScaling.
	Mode Mode

	// Instances is the number of servers in Fixed mode, 1 to 20, spread
	// round-robin over the private subnets' Availability Zones.
	//
	// Default: 2; allowed only in Fixed mode.
	Instances int

	// MinCapacity is the Auto Scaling group's minimum size, 1 to 99; it is
	// also its size after the first deployment.
	//
	// Default: 2; allowed only in AutoScaling mode.
	MinCapacity int

	// MaxCapacity is the Auto Scaling group's maximum size, greater than
	// MinCapacity (an instance refresh adds a server before it removes one)
	// and at most 100.
	//
	// Default: 4; allowed only in AutoScaling mode.
	MaxCapacity int

	// Port is the port the application listens on, which the load balancer
	// reaches (the fleet's default port for Connections).
	//
	// Default: 80.
	Port int

	// RootDeviceName is the AMI's root device: "/dev/sda1" on Ubuntu (the
	// articles' OS), "/dev/xvda" on Amazon Linux.
	//
	// Default: "/dev/sda1".
	RootDeviceName string

	// RootVolumeGiB is the size of the encrypted gp3 root volume, 1 to 16384
	// GiB; it must be at least the size of the AMI's root snapshot, or the
	// launch fails.
	//
	// Default: 20.
	RootVolumeGiB int

	// HealthCheckGrace is how long a new server may boot before failed load
	// balancer health checks get it replaced; also the instance refresh
	// warm-up. Whole seconds, 1 s to 2 h.
	//
	// Default: 5 minutes; allowed only in AutoScaling mode.
	HealthCheckGrace time.Duration

	// ScaleOn is what the Auto Scaling group tracks: ScaleOnCPU (average CPU
	// utilization, TargetCPUPercent) or ScaleOnRequests (requests per server
	// per minute, TargetRequestsPerMinute), which suits servers whose CPU is
	// not what limits them, e.g. waiting on the database. ScaleOnRequests needs
	// the group registered in a load balancer's target group first, and then
	// a call to ScaleOnRequestCount (webtier does both).
	//
	// Default: ScaleOnCPU; allowed only in AutoScaling mode.
	ScaleOn ScaleOn

	// TargetCPUPercent is the average CPU utilization the Auto Scaling group
	// keeps by adding and removing servers, 10 to 90.
	//
	// Default: 50; allowed only in AutoScaling mode with ScaleOnCPU.
	TargetCPUPercent int

	// TargetRequestsPerMinute is the number of requests per server per minute
	// the Auto Scaling group keeps, 1 to 1000000: measure what one server
	// answers before its latency degrades, and take about 70% of it.
	//
	// Default: 1000; allowed only in AutoScaling mode with ScaleOnRequests.
	TargetRequestsPerMinute int

	// Boot is the servers' boot script (user data). Tiers add their steps to
	// it, before or after New: it is rendered when the stack is synthesized.
	//
	// Default: boot.New(nil), which stops and restarts apache2 around nothing.
	Boot *boot.Script

	// Singleton makes exactly one server of the fleet the singleton, for what
	// must run once, such as a scheduler: it carries the EC2 tag
	// tierkit-singleton=true, which boot steps test with is_singleton. In
	// Fixed mode it is Server1; in AutoScaling mode it is the one server of an
	// extra group ("Singleton", min = max = 1) that also serves requests, is
	// never scaled, and is replaced stop-first, so that two never overlap.
	// Default: false, no singleton.
	Singleton bool

	// BootTimeout is how long a new server's boot may take, from launch to
	// its signal: CloudFormation waits that long for each server it creates
	// (Fixed) or for the group's MinCapacity servers (AutoScaling), and a
	// new server of the group waits that long in its launch lifecycle hook
	// before it is put in service or abandoned. Whole minutes, 5 to 60.
	//
	// Default: 15 minutes.
	BootTimeout time.Duration

	// RefreshBakeTime is how long an instance refresh keeps watching its
	// alarms (see WatchRefresh) once every server was replaced, before
	// CloudFormation counts the update as done; an alarm in that time fails
	// the update and rolls it back. Whole minutes, 1 minute to 48 hours.
	//
	// Default: 5 minutes; allowed only in AutoScaling mode.
	RefreshBakeTime time.Duration

	// RefreshCheckpoints are the percentages of the group replaced at which
	// an instance refresh pauses for RefreshCheckpointDelay, e.g. [50, 100]:
	// ascending, unique, 1 to 100, the last one 100.
	//
	// Default: none, no pause; allowed only in AutoScaling mode.
	RefreshCheckpoints []int

	// RefreshCheckpointDelay is the pause at each checkpoint, whole minutes,
	// 1 minute to 48 hours.
	//
	// Default: 1 hour (AWS's); allowed only with RefreshCheckpoints.
	RefreshCheckpointDelay time.Duration

	// NotificationTopic receives the Auto Scaling group's launch and terminate
	// notifications and their errors.
	//
	// Default: a new topic, encrypted with the AWS-managed key alias/aws/sns,
	// TLS only; allowed only in AutoScaling mode.
	NotificationTopic awssns.ITopic
}

func (p Props) mode() Mode {
	if p.Mode == "" {
		return AutoScaling
	}
	return p.Mode
}

// Validate reports what is wrong with p, naming the field and what is allowed.
func (p Props) Validate() error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if p.Vpc == nil {
		add("Vpc: required; the servers run in its PRIVATE_WITH_EGRESS subnets")
	}
	if p.Image == nil {
		add("Image: required; e.g. awsec2.MachineImage_GenericLinux(map of region to AMI id)")
	}
	if p.InstanceType != "" && !instanceTypePattern.MatchString(p.InstanceType) {
		add("InstanceType: %q is not an instance type; allowed: family.size, e.g. t3.small", p.InstanceType)
	}
	switch p.mode() {
	case AutoScaling:
		if p.Instances != 0 {
			add("Instances: set with Mode %s; allowed only with Mode %s (use MinCapacity and MaxCapacity)", AutoScaling, Fixed)
		}
		lo, hi := p.MinCapacity, p.MaxCapacity
		if lo == 0 {
			lo = 2
		}
		if hi == 0 {
			hi = 4
		}
		if p.MinCapacity < 0 || p.MinCapacity > 99 {
			add("MinCapacity: %d is out of range; allowed: 1 to 99 (0 for the default, 2)", p.MinCapacity)
		}
		if p.MaxCapacity < 0 || p.MaxCapacity > 100 {
			add("MaxCapacity: %d is out of range; allowed: 2 to 100 (0 for the default, 4)", p.MaxCapacity)
		} else if hi <= lo {
			add("MaxCapacity: %d is not greater than MinCapacity %d; an instance refresh adds a server before it removes one", hi, lo)
		}
		if p.HealthCheckGrace != 0 && (p.HealthCheckGrace < time.Second || p.HealthCheckGrace > 2*time.Hour || p.HealthCheckGrace%time.Second != 0) {
			add("HealthCheckGrace: %v is out of range; allowed: whole seconds, 1s to 2h (0 for the default, 5m)", p.HealthCheckGrace)
		}
		if p.TargetCPUPercent != 0 && (p.TargetCPUPercent < 10 || p.TargetCPUPercent > 90) {
			add("TargetCPUPercent: %d is out of range; allowed: 10 to 90 (0 for the default, 50)", p.TargetCPUPercent)
		}
		if p.TargetRequestsPerMinute < 0 || p.TargetRequestsPerMinute > 1000000 {
			add("TargetRequestsPerMinute: %d is out of range; allowed: 1 to 1000000 (0 for the default, 1000)", p.TargetRequestsPerMinute)
		}
		if p.RefreshBakeTime != 0 && (p.RefreshBakeTime < time.Minute || p.RefreshBakeTime > 48*time.Hour || p.RefreshBakeTime%time.Minute != 0) {
			add("RefreshBakeTime: %v is out of range; allowed: whole minutes, 1m to 48h (0 for the default, 5m)", p.RefreshBakeTime)
		}
		for i, c := range p.RefreshCheckpoints {
			switch {
			case c < 1 || c > 100:
				add("RefreshCheckpoints[%d]: %d is out of range; allowed: percentages 1 to 100", i, c)
			case i > 0 && c <= p.RefreshCheckpoints[i-1]:
				add("RefreshCheckpoints[%d]: %d does not follow %d; allowed: ascending and unique", i, c, p.RefreshCheckpoints[i-1])
			}
		}
		if n := len(p.RefreshCheckpoints); n > 0 && p.RefreshCheckpoints[n-1] != 100 {
			add("RefreshCheckpoints: the last one is %d; allowed: the last one is 100 (every server replaced)", p.RefreshCheckpoints[n-1])
		}
		switch {
		case p.RefreshCheckpointDelay != 0 && len(p.RefreshCheckpoints) == 0:
			add("RefreshCheckpointDelay: set without RefreshCheckpoints; allowed: only with RefreshCheckpoints")
		case p.RefreshCheckpointDelay != 0 && (p.RefreshCheckpointDelay < time.Minute || p.RefreshCheckpointDelay > 48*time.Hour || p.RefreshCheckpointDelay%time.Minute != 0):
			add("RefreshCheckpointDelay: %v is out of range; allowed: whole minutes, 1m to 48h (0 for the default, 1h)", p.RefreshCheckpointDelay)
		}
		switch p.ScaleOn {
		case "", ScaleOnCPU:
			if p.TargetRequestsPerMinute != 0 {
				add("TargetRequestsPerMinute: set with ScaleOn %s; allowed only with ScaleOn %s", ScaleOnCPU, ScaleOnRequests)
			}
		case ScaleOnRequests:
			if p.TargetCPUPercent != 0 {
				add("TargetCPUPercent: set with ScaleOn %s; allowed only with ScaleOn %s", ScaleOnRequests, ScaleOnCPU)
			}
		default:
			add("ScaleOn: %q is not a metric; allowed: %q, %q (\"\" for the default, %q)", p.ScaleOn, ScaleOnCPU, ScaleOnRequests, ScaleOnCPU)
		}
	case Fixed:
		if p.Instances < 0 || p.Instances > 20 {
			add("Instances: %d is out of range; allowed: 1 to 20 (0 for the default, 2)", p.Instances)
		}
		for field, set := range map[string]bool{
			"MinCapacity": p.MinCapacity != 0, "MaxCapacity": p.MaxCapacity != 0, "HealthCheckGrace": p.HealthCheckGrace != 0,
			"TargetCPUPercent": p.TargetCPUPercent != 0, "NotificationTopic": p.NotificationTopic != nil,
			"ScaleOn": p.ScaleOn != "", "TargetRequestsPerMinute": p.TargetRequestsPerMinute != 0,
			"RefreshBakeTime": p.RefreshBakeTime != 0, "RefreshCheckpoints": len(p.RefreshCheckpoints) > 0,
			"RefreshCheckpointDelay": p.RefreshCheckpointDelay != 0,
		} {
			if set {
				add("%s: set with Mode %s; allowed only with Mode %s", field, Fixed, AutoScaling)
			}
		}
	default:
		add("Mode: %q is not a mode; allowed: %q, %q (\"\" for the default, %q)", p.Mode, AutoScaling, Fixed, AutoScaling)
	}
	if p.BootTimeout != 0 && (p.BootTimeout < 5*time.Minute || p.BootTimeout > time.Hour || p.BootTimeout%time.Minute != 0) {
		add("BootTimeout: %v is out of range; allowed: whole minutes, 5m to 1h (0 for the default, 15m)", p.BootTimeout)
	}
	if p.Port < 0 || p.Port > 65535 {
		add("Port: %d is out of range; allowed: 1 to 65535 (0 for the default, 80)", p.Port)
	}
	if p.RootDeviceName != "" && !deviceNamePattern.MatchString(p.RootDeviceName) {
		add("RootDeviceName: %q is not a device name; allowed: /dev/ and a name, e.g. /dev/sda1 (Ubuntu), /dev/xvda (Amazon Linux)", p.RootDeviceName)
	}
	if p.RootVolumeGiB < 0 || p.RootVolumeGiB > 16384 {
		add("RootVolumeGiB: %d is out of range; allowed: 1 to 16384 (0 for the default, 20)", p.RootVolumeGiB)
	}
	if len(problems) == 0 {
		return nil
	}
	sortProblems(problems)
	return fmt.Errorf("%s", strings.Join(problems, "; "))
}

// fieldOrder is the order of Props' fields, which problems are reported in.
var fieldOrder = []string{"Vpc", "Image", "InstanceType", "Mode", "Instances", "MinCapacity", "MaxCapacity",
	"Port", "RootDeviceName", "RootVolumeGiB", "HealthCheckGrace", "ScaleOn", "TargetCPUPercent", "TargetRequestsPerMinute",
	"BootTimeout", "RefreshBakeTime", "RefreshCheckpoints", "RefreshCheckpointDelay", "NotificationTopic"}

// sortProblems orders problems by their field's place in Props, so that the
// message is the same on every run.
func sortProblems(problems []string) {
	rank := func(problem string) int {
		field, _, _ := strings.Cut(problem, ":")
		if i := slices.Index(fieldOrder, field); i >= 0 {
			return i
		}
		return len(fieldOrder)
	}
	slices.SortStableFunc(problems, func(a, b string) int { return rank(a) - rank(b) })
}

// SingletonTag is the EC2 tag, set to "true", of the fleet's singleton
// server; the launch template turns instance metadata tags on so that the
// server reads it at boot.
const SingletonTag = "tierkit-singleton"

// SignalTag is the EC2 tag naming the logical ID of the resource a server
// signals CloudFormation for: its own instance (Fixed) or its group.
const SignalTag = "tierkit-signal-resource"

// LifecycleHookTag is the EC2 tag naming the launch lifecycle hook of a
// group's server, which its boot completes (CONTINUE or ABANDON).
const LifecycleHookTag = "tierkit-lifecycle-hook"

// LifecycleHookName is the name of every group's launch lifecycle hook.
const LifecycleHookName = "tierkit-boot"

// Defaults of the boot and rollout props.
const (
	defaultBootTimeout     = 15 * time.Minute
	defaultRefreshBakeTime = 5 * time.Minute
)

// Fleet is the servers of a web tier and what they share: the launch
// template, the instance role and profile, and the security group.
type Fleet struct {
	constructs.Construct
	mode           Mode
	port           int
	role           awsiam.Role
	profile        awsiam.InstanceProfile
	sg             awsec2.SecurityGroup
	connections    awsec2.Connections
	template       awsec2.LaunchTemplate
	group          awsautoscaling.AutoScalingGroup
	singletonGroup awsautoscaling.AutoScalingGroup
	workerGroups   []awsautoscaling.AutoScalingGroup
	serverTags     [][2]string
	instances      []awsec2.CfnInstance
	targets        []awselasticloadbalancingv2.IApplicationLoadBalancerTarget
	script         *boot.Script
	topic          awssns.ITopic
	scaleOn        ScaleOn
	targetRequests int
	props          Props
	bootPolicy     awsiam.Policy
	sessionPolicy  awsiam.ManagedPolicy
	bootScope      constructs.Construct
	loader         string
	refreshAlarms  []awscloudwatch.IAlarm
}

// Role returns the servers' instance role. It has Session Manager access
// (SessionManagerPolicy) and its boot's own grants only; tiers and blocks
// grant it what their servers need.
func (f *Fleet) Role() awsiam.IRole { return f.role }

// SessionManagerPolicy returns the customer managed policy attached to Role
// for the SSM agent: Session Manager, Run Command and associations, without
// Parameter Store.
func (f *Fleet) SessionManagerPolicy() awsiam.ManagedPolicy { return f.sessionPolicy }

// InstanceProfile returns the instance profile that carries Role.
func (f *Fleet) InstanceProfile() awsiam.InstanceProfile { return f.profile }

// SecurityGroup returns the servers' security group. It has no ingress rule:
// the edge block opens Port from the load balancer's group.
func (f *Fleet) SecurityGroup() awsec2.SecurityGroup { return f.sg }

// Connections returns the servers' connections, with Port as the default
// port, which makes the Fleet an awsec2.IConnectable: database.AllowFrom(fleet).
func (f *Fleet) Connections() awsec2.Connections { return f.connections }

// LaunchTemplate returns the launch template every server starts from.
func (f *Fleet) LaunchTemplate() awsec2.LaunchTemplate { return f.template }

// AutoScalingGroup returns the Auto Scaling group, or nil in Fixed mode.
func (f *Fleet) AutoScalingGroup() awsautoscaling.AutoScalingGroup { return f.group }

// Instances returns the instances, Server1 to ServerN, or nil in AutoScaling mode.
func (f *Fleet) Instances() []awsec2.CfnInstance {
	return append([]awsec2.CfnInstance(nil), f.instances...)
}

// Targets returns what a target group registers: the Auto Scaling group, or
// each instance on Port.
func (f *Fleet) Targets() []awselasticloadbalancingv2.IApplicationLoadBalancerTarget {
	return append([]awselasticloadbalancingv2.IApplicationLoadBalancerTarget(nil), f.targets...)
}

// Boot returns the servers' boot script; steps added to it before synthesis
// are part of the user data.
func (f *Fleet) Boot() *boot.Script { return f.script }

// Port returns the application port the load balancer reaches (Props.Port
// with its default applied).
func (f *Fleet) Port() int { return f.port }

// SingletonGroup returns the one-server group of the singleton, or nil
// without Singleton or in Fixed mode (where Server1 is the singleton).
func (f *Fleet) SingletonGroup() awsautoscaling.AutoScalingGroup { return f.singletonGroup }

// Mode returns how the servers are run.
func (f *Fleet) Mode() Mode { return f.mode }

// BootTimeout returns how long a new server's boot may take (Props
// BootTimeout with its default, 15 minutes, applied).
func (f *Fleet) BootTimeout() time.Duration { return f.props.BootTimeout }

// TagServers tags every server of the fleet with key and value: each
// group (worker groups added later included), for the servers it launches,
// or each instance in Fixed mode. The launch template and the role are left
// alone, so a changed value updates the tags only.
func (f *Fleet) TagServers(key, value string) {
	f.serverTags = append(f.serverTags, [2]string{key, value})
	for _, g := range f.groups() {
		tagLaunched(g, key, value)
	}
	for _, inst := range f.instances {
		awscdk.Tags_Of(inst).Add(jsii.String(key), jsii.String(value), nil)
	}
}

// ScaleOnRequestCount adds the requests-per-server scaling policy when Props
// ScaleOn is ScaleOnRequests, and does nothing otherwise. Call it once the
// group is registered in an Application Load Balancer's target group (the
// policy's metric names both); webtier calls it after the edge.
func (f *Fleet) ScaleOnRequestCount() {
	if f.group == nil || f.scaleOn != ScaleOnRequests {
		return
	}
	f.group.ScaleOnRequestCount(jsii.String("RequestScaling"), &awsautoscaling.RequestCountScalingProps{
		TargetRequestsPerMinute: jsii.Number(f.targetRequests),
	})
}

// NotificationTopic returns the topic of the Auto Scaling notifications, or
// nil in Fixed mode.
func (f *Fleet) NotificationTopic() awssns.ITopic { return f.topic }

// WatchRefresh makes an instance refresh (AutoScaling mode) fail when one
// of alarms goes into ALARM while it replaces servers or during its bake time
// (RefreshBakeTime); CloudFormation then rolls the update back, which
// refreshes the group back to the previous launch template version. At most
// 10 alarms in all; it does nothing in Fixed mode. The worker groups
// (AddWorkerGroup) watch the same alarms. webtier passes the target 5xx,
// unhealthy hosts and failed boot alarms.
func (f *Fleet) WatchRefresh(alarms ...awscloudwatch.IAlarm) {
	if f.group == nil {
		return
	}
	if len(f.refreshAlarms)+len(alarms) > 10 {
		panic(fmt.Sprintf("fleet %s: WatchRefresh: %d alarms; an instance refresh takes at most 10", *f.Node().Id(), len(f.refreshAlarms)+len(alarms)))
	}
	f.refreshAlarms = append(f.refreshAlarms, alarms...)
	for _, g := range append([]awsautoscaling.AutoScalingGroup{f.group}, f.workerGroups...) {
		f.setRefreshPolicy(g, 100, 200)
	}
}

// setRefreshPolicy renders the group's update policy: an instance refresh
// within minHealthy to maxHealthy percent, with the rollout props and the
// alarms. It replaces the one aws-autoscaling rendered at construction (which
// takes alarms only then, before the monitoring block exists).
func (f *Fleet) setRefreshPolicy(group awsautoscaling.AutoScalingGroup, minHealthy, maxHealthy int) {
	p := f.props
	prefs := &awscdk.CfnAutoScalingInstanceRefreshPreferences{
		MinHealthyPercentage: jsii.Number(minHealthy),
		MaxHealthyPercentage: jsii.Number(maxHealthy),
		InstanceWarmup:       jsii.Number(p.HealthCheckGrace.Seconds()),
		BakeTime:             jsii.Number(p.RefreshBakeTime.Seconds()),
	}
	if len(p.RefreshCheckpoints) > 0 {
		var cps []*float64
		for _, c := range p.RefreshCheckpoints {
			cps = append(cps, jsii.Number(c))
		}
		prefs.CheckpointPercentages = &cps
		prefs.CheckpointDelay = jsii.Number(p.RefreshCheckpointDelay.Seconds())
	}
	if len(f.refreshAlarms) > 0 {
		var names []*string
		for _, a := range f.refreshAlarms {
			names = append(names, a.AlarmName())
		}
		prefs.AlarmSpecification = &awscdk.CfnAutoScalingInstanceRefreshAlarmSpecification{Alarms: &names}
	}
	cfn := group.Node().DefaultChild().(awsautoscaling.CfnAutoScalingGroup)
	cfn.CfnOptions().SetUpdatePolicy(&awscdk.CfnUpdatePolicy{
		AutoScalingInstanceRefresh: &awscdk.CfnAutoScalingInstanceRefresh{
			Strategy:    jsii.String("Rolling"),
			Preferences: prefs,
		},
		AutoScalingScheduledAction: &awscdk.CfnAutoScalingScheduledAction{IgnoreUnmodifiedGroupSizeProperties: jsii.Bool(true)},
	})
}

// newSessionManagerPolicy attaches what the SSM agent needs for Session
// Manager (the servers have no SSH key and no port 22) and for Run Command
// and State Manager associations, and nothing of Parameter Store: AWS's
// AmazonSSMManagedInstanceCore would also let every server read every
// parameter of the account (ssm:GetParameter, ssm:GetParameters).
// Attaching it through the role's ManagedPolicyArns makes the role, and so
// every server (which waits for the role), wait for the policy.
func (f *Fleet) newSessionManagerPolicy() {
	// "SessionManagerPolicy" is part of the policy's logical ID.
	f.sessionPolicy = awsiam.NewManagedPolicy(f, jsii.String("SessionManagerPolicy"), &awsiam.ManagedPolicyProps{
		Description: jsii.String("tierkit fleet servers: the SSM agent's Session Manager, Run Command and associations; no Parameter Store"),
		Statements: &[]awsiam.PolicyStatement{
			// Session Manager's shell: the agent registers and opens the
			// control and data channels of a session. ssmmessages defines no
			// resource types: "*" is the only resource these actions take.
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("SessionChannels"),
				Actions:   jsii.Strings("ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"),
				Resources: jsii.Strings("*"),
			}),
			// Run Command (a restore drill's send-command) and the agent's
			// messages: fetch, acknowledge, answer, fail or delete the
			// messages addressed to this server. ec2messages defines no
			// resource types: "*" is the only resource these actions take.
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid: jsii.String("AgentMessages"),
				Actions: jsii.Strings("ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage", "ec2messages:FailMessage",
					"ec2messages:GetEndpoint", "ec2messages:GetMessages", "ec2messages:SendReply"),
				Resources: jsii.Strings("*"),
			}),
			// UpdateInstanceInformation registers the server as a managed
			// node (heartbeat, agent version, platform): without it neither
			// Session Manager nor Run Command sees the server. The
			// association calls (ListInstanceAssociations,
			// DescribeAssociation, UpdateInstanceAssociationStatus, and
			// ListAssociations, which AWS's policy keeps for older agents)
			// run State Manager associations and report their status. They
			// name the server's own instance, whose ID the group assigns at
			// launch and no template knows, and ListAssociations has no
			// resource-level permissions: "*".
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid: jsii.String("ManagedNode"),
				Actions: jsii.Strings("ssm:UpdateInstanceInformation", "ssm:ListAssociations", "ssm:ListInstanceAssociations",
					"ssm:DescribeAssociation", "ssm:UpdateInstanceAssociationStatus"),
				Resources: jsii.Strings("*"),
			}),
			// An association's document (AWS-owned, without an account, or
			// the account's own), read when the agent runs it: documents of
			// this region only.
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:     jsii.String("AssociationDocuments"),
				Actions: jsii.Strings("ssm:GetDocument", "ssm:DescribeDocument"),
				Resources: &[]*string{awscdk.Fn_Join(jsii.String(""), &[]*string{
					jsii.String("arn:"), awscdk.Aws_PARTITION(), jsii.String(":ssm:"), awscdk.Aws_REGION(), jsii.String(":*:document/*"),
				})},
			}),
		},
	})
	f.role.AddManagedPolicy(f.sessionPolicy)
	appliesTo := []any{"Resource::*", "Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:*:document/*"}
	cdknag.NagSuppressions_AddResourceSuppressions(f.sessionPolicy, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("The SSM agent's minimum for Session Manager, Run Command and associations (AmazonSSMManagedInstanceCore without Parameter Store, inventory, patching and Distributor). " +
			"ssmmessages, ec2messages and ssm:ListAssociations have no resource-level permissions; the other agent calls name the server's own instance, which no template knows; " +
			"documents are limited to this region's (AWS-owned or the account's)."),
		AppliesTo: &appliesTo,
	}}, jsii.Bool(false))
}

// newBootPolicy creates what the boot needs besides the tier's grants:
// signalling its stack, completing its group's launch lifecycle hook, and
// (added by deliver) reading the boot script's object.
func (f *Fleet) newBootPolicy(p Props) {
	// "BootPolicy" is part of the policy's logical ID.
	f.bootPolicy = awsiam.NewPolicy(f, jsii.String("BootPolicy"), &awsiam.PolicyProps{Roles: &[]awsiam.IRole{f.role}})
	if p.Mode != AutoScaling {
		// A group with Signals grants its role cloudformation:SignalResource
		// on the stack itself (in the role's default policy).
		f.bootPolicy.AddStatements(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("cloudformation:SignalResource"),
			Resources: &[]*string{awscdk.Aws_STACK_ID()},
		}))
		return
	}
	f.bootPolicy.AddStatements(
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			// No resource-level permissions: the boot looks up its own group.
			Actions:   jsii.Strings("autoscaling:DescribeAutoScalingInstances"),
			Resources: jsii.Strings("*"),
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("autoscaling:CompleteLifecycleAction"),
			Resources: &[]*string{awscdk.Stack_Of(f).FormatArn(&awscdk.ArnComponents{
				Service: jsii.String("autoscaling"), Resource: jsii.String("autoScalingGroup"), ResourceName: jsii.String("*:autoScalingGroupName/*"),
				ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
			})},
			// The group's name is generated, and naming it here would make the
			// policy wait for the group, which waits for the servers' boots:
			// the stack's own groups are the ones CloudFormation tagged.
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:ResourceTag/aws:cloudformation:stack-id": awscdk.Aws_STACK_ID()}},
		}),
	)
	appliesTo := []any{"Resource::*", &cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::arn:(<AWS::Partition>|[a-z-]+):autoscaling:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|[0-9]{12}):autoScalingGroup:\*:autoScalingGroupName\/\*$/`)}}
	cdknag.NagSuppressions_AddResourceSuppressions(f.bootPolicy, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("autoscaling:DescribeAutoScalingInstances has no resource-level permissions (a server looks up its own group). " +
			"autoscaling:CompleteLifecycleAction names no group because the group waits for its servers' boots; the condition limits it to the groups CloudFormation tagged with this stack's ID."),
		AppliesTo: &appliesTo,
	}}, jsii.Bool(false))
}

// isoMinutes formats d (whole minutes) for CloudFormation, e.g. PT15M.
func isoMinutes(d time.Duration) string { return fmt.Sprintf("PT%dM", int(d/time.Minute)) }

// userData produces the loader, which deliver rendered.
type userData struct{ f *Fleet }

// Produce returns the loader; jsii calls it during synthesis.
func (u *userData) Produce() *string {
	if u.f.loader == "" {
		panic(fmt.Sprintf("fleet %s: the boot was not delivered (the Delivery aspect did not run)", *u.f.Node().Path()))
	}
	return jsii.String(u.f.loader)
}

// delivery is the aspect that delivers the boot once every step is known:
// at synthesis, before the templates are resolved.
type delivery struct {
	f    *Fleet
	done bool
}

// Visit delivers the boot on the first construct visited.
func (d *delivery) Visit(constructs.IConstruct) {
	if !d.done {
		d.done = true
		d.f.deliver()
	}
}

// deliver renders the boot script, turns it into an S3 asset whose
// deploy-time values (CDK tokens) are placeholders, lets the role read
// exactly that object, and renders the loader that carries the values.
func (f *Fleet) deliver() {
	text := f.script.Render()
	var values []string
	seen := map[string]bool{}
	for _, token := range *awscdk.Tokenization_ReverseString(jsii.String(text)).Tokens() {
		if v := *awscdk.Token_AsString(token, nil); !seen[v] {
			seen[v] = true
			values = append(values, v)
		}
	}
	artifact := boot.NewArtifact(text, values)
	dir, err := os.MkdirTemp("", "tierkit-boot-")
	if err != nil {
		panic(fmt.Sprintf("fleet %s: staging the boot script: %v", *f.Node().Id(), err))
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "boot.sh")
	if err := os.WriteFile(file, []byte(artifact.Script), 0o644); err != nil {
		panic(fmt.Sprintf("fleet %s: staging the boot script: %v", *f.Node().Id(), err))
	}
	// Named by its content: a change to any step is a new object and a new
	// user data, so the fleet rolls.
	asset := awss3assets.NewAsset(f.bootScope, jsii.String("Script"), &awss3assets.AssetProps{
		Path:          jsii.String(file),
		AssetHash:     jsii.String(artifact.SHA256),
		AssetHashType: awscdk.AssetHashType_CUSTOM,
	})
	f.bootPolicy.AddStatements(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("s3:GetObject"),
		Resources: jsii.Strings(*awscdk.Fn_Join(jsii.String(""), &[]*string{
			jsii.String("arn:"), awscdk.Aws_PARTITION(), jsii.String(":s3:::"), asset.S3BucketName(), jsii.String("/"), asset.S3ObjectKey(),
		})),
	}))
	f.loader = f.script.Loader(artifact, boot.Location{Bucket: *asset.S3BucketName(), Key: *asset.S3ObjectKey(), Stack: *awscdk.Aws_STACK_ID()})
}

// New creates the fleet. It panics, naming id, when props are invalid.
func New(scope constructs.Construct, id string, props *Props) *Fleet {
	p := Props{}
	if props != nil {
		p = *props
	}
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("fleet %s: %v", id, err))
	}
	p.Mode = p.mode()
	if p.InstanceType == "" {
		p.InstanceType = "t3.small"
	}
	if p.Port == 0 {
		p.Port = 80
	}
	if p.RootDeviceName == "" {
		p.RootDeviceName = "/dev/sda1"
	}
	if p.RootVolumeGiB == 0 {
		p.RootVolumeGiB = 20
	}
	if p.Boot == nil {
		p.Boot = boot.New(nil)
	}
	if p.BootTimeout == 0 {
		p.BootTimeout = defaultBootTimeout
	}
	if p.HealthCheckGrace == 0 {
		p.HealthCheckGrace = 5 * time.Minute
	}
	if p.RefreshBakeTime == 0 {
		p.RefreshBakeTime = defaultRefreshBakeTime
	}
	if len(p.RefreshCheckpoints) > 0 && p.RefreshCheckpointDelay == 0 {
		p.RefreshCheckpointDelay = time.Hour
	}
	p.RefreshCheckpoints = slices.Clone(p.RefreshCheckpoints)

	f := &Fleet{mode: p.Mode, port: p.Port, script: p.Boot, props: p}
	constructs.NewConstruct_Override(f, scope, jsii.String(id))
	// The boot script's asset is created under "Boot" once every step is
	// known, at synthesis; "Boot" is part of its path, not of a logical ID
	// of anything stateful.
	f.bootScope = constructs.NewConstruct(f, jsii.String("Boot"))
	awscdk.Aspects_Of(f.bootScope).Add(&delivery{f: f}, nil)

	f.role = awsiam.NewRole(f, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("ec2.amazonaws.com"), nil),
		Description: jsii.String("tierkit fleet servers: Session Manager, plus the grants of the tier's blocks"),
	})
	f.newSessionManagerPolicy()
	f.profile = awsiam.NewInstanceProfile(f, jsii.String("InstanceProfile"), &awsiam.InstanceProfileProps{Role: f.role})
	f.newBootPolicy(p)

	f.sg = awsec2.NewSecurityGroup(f, jsii.String("SecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:         p.Vpc,
		Description: jsii.String("tierkit fleet servers: no ingress of their own; the load balancer group is let in on the app port"),
		// Outbound stays open: Session Manager, CloudWatch, S3, the database
		// and package mirrors are reached through the NAT gateway and VPC
		// routes; the data stores' own groups decide who gets in.
		AllowAllOutbound: jsii.Bool(true),
	})
	f.connections = awsec2.NewConnections(&awsec2.ConnectionsProps{
		SecurityGroups: &[]awsec2.ISecurityGroup{f.sg},
		DefaultPort:    awsec2.Port_Tcp(jsii.Number(p.Port)),
	})

	f.template = awsec2.NewLaunchTemplate(f, jsii.String("LaunchTemplate"), &awsec2.LaunchTemplateProps{
		MachineImage:    p.Image,
		InstanceType:    awsec2.NewInstanceType(jsii.String(p.InstanceType)),
		InstanceProfile: f.profile,
		SecurityGroup:   f.sg,
		UserData:        awsec2.UserData_Custom(awscdk.Lazy_String(&userData{f}, nil)),
		// IMDSv2 only, and a hop limit of 1 so that a container on the server
		// cannot reach the instance role's credentials.
		HttpEndpoint:            jsii.Bool(true),
		HttpTokens:              awsec2.LaunchTemplateHttpTokens_REQUIRED,
		HttpPutResponseHopLimit: jsii.Number(1),
		// The boot reads its tags (SignalTag, LifecycleHookTag, SingletonTag)
		// from the metadata.
		InstanceMetadataTags: jsii.Bool(true),
		DetailedMonitoring:   jsii.Bool(true),
		BlockDevices: &[]*awsec2.BlockDevice{{
			DeviceName: jsii.String(p.RootDeviceName),
			Volume: awsec2.BlockDeviceVolume_Ebs(jsii.Number(p.RootVolumeGiB), &awsec2.EbsDeviceOptions{
				Encrypted:           jsii.Bool(true),
				VolumeType:          awsec2.EbsDeviceVolumeType_GP3,
				DeleteOnTermination: jsii.Bool(true),
			}),
		}},
	})

	private := &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS}
	if p.Mode == Fixed {
		f.newInstances(p)
	} else {
		f.newGroup(p, private)
	}
	return f
}

func (f *Fleet) newInstances(p Props) {
	n := p.Instances
	if n == 0 {
		n = 2
	}
	subnets := *p.Vpc.SelectSubnets(&awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS, OnePerAz: jsii.Bool(true)}).Subnets
	for i := range n {
		// "ServerN" is part of the logical ID: growing the fleet adds the next
		// server, shrinking it removes the last one, the others stay.
		id := fmt.Sprintf("Server%d", i+1)
		tags := &[]*awscdk.CfnTag{{Key: jsii.String("Name"), Value: jsii.String(*f.Node().Path() + "/" + id)}}
		if p.Singleton && i == 0 {
			*tags = append(*tags, &awscdk.CfnTag{Key: jsii.String(SingletonTag), Value: jsii.String("true")})
		}
		inst := awsec2.NewCfnInstance(f, jsii.String(id), &awsec2.CfnInstanceProps{
			// The launch template carries the AMI, type, security group, root
			// volume, metadata options and user data; a new template version
			// replaces the instance.
			LaunchTemplate: &awsec2.CfnInstance_LaunchTemplateSpecificationProperty{
				LaunchTemplateId: f.template.LaunchTemplateId(),
				Version:          f.template.LatestVersionNumber(),
			},
			SubnetId:           subnets[i%len(subnets)].SubnetId(),
			Monitoring:         jsii.Bool(true),
			IamInstanceProfile: f.profile.InstanceProfileName(),
			Tags:               tags,
		})
		// The server names itself for its signal: its own logical ID.
		awscdk.Tags_Of(inst).Add(jsii.String(SignalTag), awscdk.Stack_Of(f).GetLogicalId(inst), nil)
		// CloudFormation waits for the server's own signal: a new server (a
		// new launch template version replaces them all) is proven before
		// the target group moves to it, and a failed one fails the update,
		// which rolls back to the servers that still run.
		inst.CfnOptions().SetCreationPolicy(&awscdk.CfnCreationPolicy{ResourceSignal: &awscdk.CfnResourceSignal{
			Count: jsii.Number(1), Timeout: jsii.String(isoMinutes(p.BootTimeout)),
		}})
		// The role's grants (its default policy) exist before the server
		// boots: its boot steps may read secrets or the bucket.
		inst.Node().AddDependency(f.role, f.bootPolicy)
		cdknag.NagSuppressions_AddResourceSuppressions(inst, &[]*cdknag.NagPackSuppression{{
			Id:     jsii.String("AwsSolutions-EC29"),
			Reason: jsii.String("CloudFormation replaces a fixed server whenever the AMI or launch template changes; termination protection would leave the old server running outside the stack. Servers are stateless (sessions, uploads and data live in shared stores)."),
		}}, jsii.Bool(false))
		f.instances = append(f.instances, inst)
		f.targets = append(f.targets, awselasticloadbalancingv2targets.NewInstanceIdTarget(inst.Ref(), jsii.Number(p.Port)))
	}
}

func (f *Fleet) newGroup(p Props, private *awsec2.SubnetSelection) {
	grace := awscdk.Duration_Minutes(jsii.Number(5))
	if p.HealthCheckGrace != 0 {
		grace = awscdk.Duration_Seconds(jsii.Number(p.HealthCheckGrace.Seconds()))
	}
	minimum, maximum, cpu := p.MinCapacity, p.MaxCapacity, p.TargetCPUPercent
	if minimum == 0 {
		minimum = 2
	}
	if maximum == 0 {
		maximum = 4
	}
	if cpu == 0 {
		cpu = 50
	}
	f.topic = p.NotificationTopic
	if f.topic == nil {
		// "Notifications" is part of the topic's logical ID (and ARN): renaming
		// it drops the subscriptions.
		f.topic = awssns.NewTopic(f, jsii.String("Notifications"), &awssns.TopicProps{
			MasterKey:  awskms.Alias_FromAliasName(f, jsii.String("NotificationsKey"), jsii.String("alias/aws/sns")),
			EnforceSSL: jsii.Bool(true),
		})
	}
	// Every AMI or launch template change rolls the group, and every
	// unhealthy server is replaced, launch first: a new server is added and
	// healthy before an old one goes (100% stays in service). A stall of
	// what every server shares (the database) makes the replacements fail
	// their boot's health check too, so the servers in place are kept.
	f.group = f.newAutoScalingGroup("Group", p, private, grace, minimum, maximum, 100, 200, true)
	f.scaleOn, f.targetRequests = p.ScaleOn, p.TargetRequestsPerMinute
	if f.targetRequests == 0 {
		f.targetRequests = 1000
	}
	if p.ScaleOn != ScaleOnRequests {
		f.group.ScaleOnCpuUtilization(jsii.String("CpuScaling"), &awsautoscaling.CpuUtilizationScalingProps{
			TargetUtilizationPercent: jsii.Number(cpu),
		})
	}
	f.targets = []awselasticloadbalancingv2.IApplicationLoadBalancerTarget{f.group}
	if p.Singleton {
		// A group of exactly one, never scaled: scaling the main group in or
		// out never touches the singleton, and a failed singleton is replaced.
		// Its refresh and its maintenance policy stop the old server before
		// they start the new one (0 to 100%, the exception to launch first),
		// so there is never a moment with two.
		f.singletonGroup = f.newAutoScalingGroup("Singleton", p, private, grace, 1, 1, 0, 100, true)
		awscdk.Tags_Of(f.singletonGroup).Add(jsii.String(SingletonTag), jsii.String("true"), &awscdk.TagProps{ApplyToLaunchedInstances: jsii.Bool(true)})
		f.targets = append(f.targets, f.singletonGroup)
	}
}

// newAutoScalingGroup creates a group of the fleet's servers that rolls by
// instance refresh within minHealthy to maxHealthy percent of its capacity.
// A group that serves is registered in the load balancer and replaces the
// servers its health check fails; one that does not (a worker group) knows
// EC2's status checks only.
func (f *Fleet) newAutoScalingGroup(id string, p Props, private *awsec2.SubnetSelection, grace awscdk.Duration, minimum, maximum, minHealthy, maxHealthy int, serves bool) awsautoscaling.AutoScalingGroup {
	// The load balancer's health check is the one that knows whether PHP
	// answers; EC2's only knows the machine runs.
	health := awsautoscaling.HealthChecks_WithAdditionalChecks(&awsautoscaling.AdditionalHealthChecksOptions{
		AdditionalTypes: &[]awsautoscaling.AdditionalHealthCheckType{awsautoscaling.AdditionalHealthCheckType_ELB},
		GracePeriod:     grace,
	})
	if !serves {
		health = awsautoscaling.HealthChecks_Ec2(&awsautoscaling.Ec2HealthChecksOptions{GracePeriod: grace})
	}
	// No DesiredCapacity: CloudFormation would reset the group to it on every
	// deployment, undoing the scaling policy's work.
	group := awsautoscaling.NewAutoScalingGroup(f, jsii.String(id), &awsautoscaling.AutoScalingGroupProps{
		Vpc:            p.Vpc,
		VpcSubnets:     private,
		LaunchTemplate: f.template,
		MinCapacity:    jsii.Number(minimum),
		MaxCapacity:    jsii.Number(maximum),
		// The load balancer's, or EC2's for a group that does not serve.
		HealthChecks:          health,
		DefaultInstanceWarmup: grace,
		// The instance maintenance policy: replacing an unhealthy server
		// (and rebalancing) stays within the same bounds as a refresh.
		MinHealthyPercentage: jsii.Number(minHealthy),
		MaxHealthyPercentage: jsii.Number(maxHealthy),
		// The group's creation waits for MinCapacity servers whose boot
		// signalled success; one failure or the timeout fails the stack.
		Signals: awsautoscaling.Signals_WaitForMinCapacity(&awsautoscaling.SignalsOptions{
			Timeout: awscdk.Duration_Minutes(jsii.Number(p.BootTimeout.Minutes())),
		}),
		// Group metrics (free at one-minute granularity) let an alarm compare
		// the servers in service with the desired capacity.
		GroupMetrics: &[]awsautoscaling.GroupMetrics{awsautoscaling.GroupMetrics_All()},
		Notifications: &[]*awsautoscaling.NotificationConfiguration{{
			Topic: f.topic,
			ScalingEvents: awsautoscaling.NewScalingEvents(
				awsautoscaling.ScalingEvent_INSTANCE_LAUNCH, awsautoscaling.ScalingEvent_INSTANCE_LAUNCH_ERROR,
				awsautoscaling.ScalingEvent_INSTANCE_TERMINATE, awsautoscaling.ScalingEvent_INSTANCE_TERMINATE_ERROR,
			),
		}},
	})
	// A new server stays out of the load balancer (Pending:Wait) until its
	// boot completes this hook: CONTINUE once the boot succeeded and the
	// health path answered locally, ABANDON (terminated, replaced) when it
	// failed or BootTimeout passed. A refresh therefore never counts a
	// booting server as unhealthy, and a broken boot never takes traffic.
	// The hook is part of the group, so the first servers wait too.
	cfn := group.Node().DefaultChild().(awsautoscaling.CfnAutoScalingGroup)
	cfn.SetLifecycleHookSpecificationList(&[]any{&awsautoscaling.CfnAutoScalingGroup_LifecycleHookSpecificationProperty{
		LifecycleHookName:   jsii.String(LifecycleHookName),
		LifecycleTransition: jsii.String("autoscaling:EC2_INSTANCE_LAUNCHING"),
		HeartbeatTimeout:    jsii.Number(p.BootTimeout.Seconds()),
		DefaultResult:       jsii.String("ABANDON"),
	}})
	tag := func(key string, value *string) {
		awscdk.Tags_Of(group).Add(jsii.String(key), value, &awscdk.TagProps{ApplyToLaunchedInstances: jsii.Bool(true)})
	}
	tag(SignalTag, awscdk.Stack_Of(f).GetLogicalId(cfn))
	tag(LifecycleHookTag, jsii.String(LifecycleHookName))
	f.setRefreshPolicy(group, minHealthy, maxHealthy)
	group.Node().AddDependency(f.role, f.bootPolicy)
	return group
}
