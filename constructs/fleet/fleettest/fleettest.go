// Package fleettest builds the fleet block's test fixtures: the stacks the
// block's own tests assert on, which internal/conformance also builds, with
// every other block's, into one app checked by aws-cdk-lib's CloudFormation
// validation and cdk-nag (one validation engine for all the blocks, instead
// of one per test process).
package fleettest

import (
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/constructs/fleet"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// AMI is the servers' image ID in us-east-1 (see Image).
const AMI = "ami-0123456789abcdef0"

// Fixtures are the block's test stacks, by name, and the fleets, scripts and
// groups in them.
type Fixtures struct {
	// Stacks are "autoscaling" (stack "Test"), "fixed" (stack "Fixed"),
	// "autoscaling singleton" (stack "SingletonGroup") and "fixed singleton"
	// (stack "SingletonFixed"); see New.
	Stacks map[string]awscdk.Stack
	// GroupFleet and FixedFleet are the fleets of "autoscaling" and "fixed",
	// GroupScript and FixedScript their boot scripts.
	GroupFleet, FixedFleet   *fleet.Fleet
	GroupScript, FixedScript *boot.Script
	// SingletonFleets are the fleets of the two singleton stacks, by mode.
	SingletonFleets map[fleet.Mode]*fleet.Fleet
	// WorkerGroup is the worker group of the AutoScaling singleton fleet.
	WorkerGroup awsautoscaling.AutoScalingGroup
}

// New builds the fixtures' stacks in scope, an app or a construct of one:
//   - "autoscaling": the default fleet (an Auto Scaling group) with a step
//     added after New, a database group that admits it and a target group
//     for it;
//   - "fixed": a Fixed fleet of three servers on port 8080, tagged, with a
//     target group for them; its boot script rewrites the golden IP and
//     carries an agent configuration with a deploy-time value (a CDK token);
//   - "autoscaling singleton" and "fixed singleton": the Singleton variants of
//     both modes, each with a target group for all its targets, and their
//     servers tagged release=r1; the AutoScaling one has a worker group too
//     (WorkerGroup, added after the tag), whose servers drain through a
//     termination hook.
func New(scope constructs.Construct) *Fixtures {
	f := &Fixtures{Stacks: map[string]awscdk.Stack{}, SingletonFleets: map[fleet.Mode]*fleet.Fleet{}}

	stack := cdktest.NewStack(scope, "Test")
	vpc := NewVpc(stack)
	f.GroupScript = boot.New(nil)
	f.GroupFleet = fleet.New(stack, "Fleet", &fleet.Props{Vpc: vpc, Image: Image(), Boot: f.GroupScript})
	f.GroupFleet.Boot().AddStep("late", `echo "added after fleet.New"`)
	db := awsec2.NewSecurityGroup(stack, jsii.String("Database"), &awsec2.SecurityGroupProps{Vpc: vpc, Description: jsii.String("database"), AllowAllOutbound: jsii.Bool(false)})
	db.Connections().AllowFrom(f.GroupFleet, awsec2.Port_Tcp(jsii.Number(3306)), jsii.String("MySQL from the fleet"))
	awselasticloadbalancingv2.NewApplicationTargetGroup(stack, jsii.String("Targets"), &awselasticloadbalancingv2.ApplicationTargetGroupProps{
		Vpc: vpc, Port: jsii.Number(80), Protocol: awselasticloadbalancingv2.ApplicationProtocol_HTTP, Targets: &[]awselasticloadbalancingv2.IApplicationLoadBalancerTarget{f.GroupFleet.Targets()[0]},
	})
	f.Stacks["autoscaling"] = stack

	stack = cdktest.NewStack(scope, "Fixed")
	vpc = NewVpc(stack)
	f.FixedScript = boot.New(&boot.Props{
		GoldenIP: "10.0.0.1", IPFiles: []string{"/etc/hosts", "/etc/apache2/sites-available/api.example.com.conf"},
		AgentConfig: `{"agent":{"region":"us-east-1"},"logs":{"logs_collected":{"files":{"collect_list":[{"file_path":"/var/log/apache2/error.log","log_group_name":"web-` + *awscdk.Aws_ACCOUNT_ID() + `"}]}}}}`,
	})
	f.FixedFleet = fleet.New(stack, "Fleet", &fleet.Props{
		Vpc: vpc, Image: Image(), Mode: fleet.Fixed, Instances: 3, Port: 8080, Boot: f.FixedScript,
	})
	awscdk.Tags_Of(f.FixedFleet).Add(jsii.String("team"), jsii.String("web"), nil)
	targets := f.FixedFleet.Targets()
	awselasticloadbalancingv2.NewApplicationTargetGroup(stack, jsii.String("Targets"), &awselasticloadbalancingv2.ApplicationTargetGroupProps{
		Vpc: vpc, Port: jsii.Number(8080), Protocol: awselasticloadbalancingv2.ApplicationProtocol_HTTP, TargetType: awselasticloadbalancingv2.TargetType_INSTANCE, Targets: &targets,
	})
	f.Stacks["fixed"] = stack

	f.Stacks["autoscaling singleton"] = f.singleton(scope, "SingletonGroup", fleet.AutoScaling)
	f.Stacks["fixed singleton"] = f.singleton(scope, "SingletonFixed", fleet.Fixed)
	return f
}

// singleton builds the Singleton fleet of mode in a stack of its own.
func (f *Fixtures) singleton(scope constructs.Construct, id string, mode fleet.Mode) awscdk.Stack {
	stack := cdktest.NewStack(scope, id)
	vpc := NewVpc(stack)
	props := &fleet.Props{Vpc: vpc, Image: Image(), Mode: mode, Singleton: true}
	if mode == fleet.Fixed {
		props.Instances = 2
	}
	s := fleet.New(stack, "Fleet", props)
	s.TagServers("release", "r1")
	f.SingletonFleets[mode] = s
	if mode == fleet.AutoScaling {
		f.WorkerGroup = s.AddWorkerGroup("Workers", &fleet.WorkerGroupProps{MinCapacity: 3})
		s.AddTerminationHook("drain-workers", 2*time.Minute, f.WorkerGroup)
	}
	targets := s.Targets()
	awselasticloadbalancingv2.NewApplicationTargetGroup(stack, jsii.String("Targets"), &awselasticloadbalancingv2.ApplicationTargetGroupProps{
		Vpc: vpc, Port: jsii.Number(80), Protocol: awselasticloadbalancingv2.ApplicationProtocol_HTTP, TargetType: awselasticloadbalancingv2.TargetType_INSTANCE, Targets: &targets,
	})
	return stack
}

// NewVpc is the network the tiers hand the fleet: public and private
// subnets in two Availability Zones, one NAT gateway to keep it small.
func NewVpc(stack awscdk.Stack) awsec2.Vpc {
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{
		MaxAzs:      jsii.Number(2),
		NatGateways: jsii.Number(1),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
			{Name: jsii.String("Public"), SubnetType: awsec2.SubnetType_PUBLIC, CidrMask: jsii.Number(24)},
			{Name: jsii.String("Private"), SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS, CidrMask: jsii.Number(24)},
		},
	})
	cdknag.NagSuppressions_AddResourceSuppressions(vpc, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-VPC7"),
		Reason: jsii.String("Test scaffolding: the network block owns flow logs."),
	}}, jsii.Bool(false))
	return vpc
}

// Image is AMI as the servers' machine image, in us-east-1 only.
func Image() awsec2.IMachineImage {
	return awsec2.MachineImage_GenericLinux(&map[string]*string{"us-east-1": jsii.String(AMI)}, nil)
}
