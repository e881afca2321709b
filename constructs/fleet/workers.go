package fleet

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/boot"
)

// WorkerTag is the EC2 tag, set to "true", of the servers of a worker group
// (AddWorkerGroup); their boot reads it (boot.WorkerTag).
const WorkerTag = boot.WorkerTag

// Defaults of a worker group's size.
const (
	// defaultWorkerMin is two servers: the group's subnets span two
	// Availability Zones or more, and Auto Scaling spreads them, so losing
	// one server or one zone leaves a worker running.
	defaultWorkerMin = 2
	maxWorkerGroup   = 100
)

// workerGroupID is a construct id AddWorkerGroup accepts.
var workerGroupID = regexp.MustCompile(`^[A-Z][A-Za-z0-9]{0,63}$`)

// WorkerGroupProps configures a worker group of a fleet (AddWorkerGroup).
type WorkerGroupProps struct {
	// MinCapacity is the group's minimum size, 1 to 99; it is also its size
	// after the first deployment.
	//
	// Default: 2, spread over two Availability Zones.
	MinCapacity int

	// MaxCapacity is the group's maximum size, greater than MinCapacity (an
	// instance refresh adds a server before it removes one) and at most 100.
	//
	// Default: twice MinCapacity, at most 100 (4 with the default minimum).
	MaxCapacity int
}

// sizes returns the group's minimum and maximum with their defaults.
func (p WorkerGroupProps) sizes() (lo, hi int) {
	lo, hi = p.MinCapacity, p.MaxCapacity
	if lo == 0 {
		lo = defaultWorkerMin
	}
	if hi == 0 {
		hi = min(2*lo, maxWorkerGroup)
	}
	return lo, hi
}

// Validate reports what is wrong with p, naming the field and what is allowed.
func (p WorkerGroupProps) Validate() error {
	var problems []string
	lo, hi := p.sizes()
	if p.MinCapacity < 0 || p.MinCapacity > maxWorkerGroup-1 {
		problems = append(problems, fmt.Sprintf("MinCapacity: %d is out of range; allowed: 1 to %d (0 for the default, %d)", p.MinCapacity, maxWorkerGroup-1, defaultWorkerMin))
	}
	switch {
	case p.MaxCapacity < 0 || p.MaxCapacity > maxWorkerGroup:
		problems = append(problems, fmt.Sprintf("MaxCapacity: %d is out of range; allowed: 2 to %d (0 for the default, twice MinCapacity)", p.MaxCapacity, maxWorkerGroup))
	case hi <= lo:
		problems = append(problems, fmt.Sprintf("MaxCapacity: %d is not greater than MinCapacity %d; an instance refresh adds a server before it removes one", hi, lo))
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(problems, "; "))
}

// AddWorkerGroup adds a worker group to a fleet in AutoScaling mode: an
// Auto Scaling group of the fleet's servers (the same launch template, so
// the same AMI, instance type, role, security group and boot) in the
// private subnets, that serves no requests. It is in no target group
// (Targets never lists it), its health is EC2's status checks, and its
// servers carry WorkerTag=true: their boot leaves the web server stopped,
// makes no health check and names their log streams as a worker's
// (boot.WorkerTag); a boot step tests is_worker to run only what a worker
// needs there, or to skip it. It never holds the singleton. Like the main
// group, it waits for MinCapacity signals at creation, new servers wait in
// the launch lifecycle hook until their boot succeeded, it keeps
// TargetCPUPercent (default 50) of CPU by scaling between its sizes,
// notifies the NotificationTopic, and every launch template change (an AMI,
// a boot step, a release) rolls it by instance refresh, launch first, with
// the alarms of WatchRefresh; the tags of TagServers reach its servers too.
// id is the group's construct id, part of its
// logical ID: an upper-case letter, then up to 63 letters or digits. It
// panics on a bad id or props, or on a fleet of Fixed servers.
func (f *Fleet) AddWorkerGroup(id string, props *WorkerGroupProps) awsautoscaling.AutoScalingGroup {
	p := WorkerGroupProps{}
	if props != nil {
		p = *props
	}
	switch {
	case f.group == nil:
		panic(fmt.Sprintf("fleet %s: AddWorkerGroup: the fleet is of %s servers; allowed only with Mode %s", *f.Node().Path(), Fixed, AutoScaling))
	case !workerGroupID.MatchString(id) || id == "Group" || id == "Singleton":
		panic(fmt.Sprintf("fleet %s: AddWorkerGroup: id %q; allowed: an upper-case letter, then up to 63 letters or digits, not Group or Singleton", *f.Node().Path(), id))
	}
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("fleet %s: AddWorkerGroup %s: %v", *f.Node().Path(), id, err))
	}
	lo, hi := p.sizes()
	grace := awscdk.Duration_Seconds(jsii.Number(f.props.HealthCheckGrace.Seconds()))
	private := &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS}
	group := f.newAutoScalingGroup(id, f.props, private, grace, lo, hi, 100, 200, false)
	tagLaunched(group, WorkerTag, "true")
	for _, tag := range f.serverTags {
		tagLaunched(group, tag[0], tag[1])
	}
	cpu := f.props.TargetCPUPercent
	if cpu == 0 {
		cpu = 50
	}
	group.ScaleOnCpuUtilization(jsii.String("CpuScaling"), &awsautoscaling.CpuUtilizationScalingProps{
		TargetUtilizationPercent: jsii.Number(cpu),
	})
	f.workerGroups = append(f.workerGroups, group)
	return group
}

// tagLaunched tags group and the servers it launches.
func tagLaunched(group awsautoscaling.AutoScalingGroup, key, value string) {
	awscdk.Tags_Of(group).Add(jsii.String(key), jsii.String(value), &awscdk.TagProps{ApplyToLaunchedInstances: jsii.Bool(true)})
}

// WorkerGroups returns the worker groups (AddWorkerGroup), in the order added.
func (f *Fleet) WorkerGroups() []awsautoscaling.AutoScalingGroup {
	return append([]awsautoscaling.AutoScalingGroup(nil), f.workerGroups...)
}

// groups returns every Auto Scaling group of the fleet: the main one, the
// singleton's and the worker groups.
func (f *Fleet) groups() []awsautoscaling.AutoScalingGroup {
	var all []awsautoscaling.AutoScalingGroup
	for _, g := range append([]awsautoscaling.AutoScalingGroup{f.group, f.singletonGroup}, f.workerGroups...) {
		if g != nil {
			all = append(all, g)
		}
	}
	return all
}
