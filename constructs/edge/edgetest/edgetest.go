// Package edgetest builds the edge block's test fixtures: the stacks the
// block's own tests assert on, which internal/conformance also builds, with
// every other block's, into one app checked by aws-cdk-lib's CloudFormation
// validation and cdk-nag (one validation engine for all the blocks, instead
// of one per test process).
package edgetest

import (
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2targets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/tierkit/tierkit/constructs/edge"
	"github.com/tierkit/tierkit/constructs/storage"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// The hosted zone the fixtures import (NewZone) and the certificate the
// dual-stack fixture is given.
const (
	ZoneID   = "Z0123456789ABCDEFGHIJ"
	ZoneName = "example.com"
	CertARN  = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
)

// Fixtures are the block's test stacks, by name, and the edges in them.
type Fixtures struct {
	// Stacks are "default" (stack "Test": IPv4, new certificate, new log
	// bucket, two fixed instances as targets with their security group; the
	// edge tagged and depended on, as a tier does with its blocks),
	// "dual-stack" (stack "DualStack": dual-stack, sticky, a given
	// certificate and log bucket, an Auto Scaling group as target and as
	// TargetConnections, deletion protection off, a raised idle timeout) and
	// "internal" (stack "Internal": an internal, dual-stack load balancer
	// open to an office's IPv4 and IPv6 ranges only).
	Stacks map[string]awscdk.Stack
	// Default and Internal are the edges of "default" and "internal".
	Default, Internal *edge.Edge
}

// New builds the fixtures' stacks in scope, an app or a construct of one.
func New(scope constructs.Construct) *Fixtures {
	f := &Fixtures{Stacks: map[string]awscdk.Stack{}}
	stack := cdktest.NewStack(scope, "Test")
	vpc := NewVpc(stack, awsec2.IpProtocol_IPV4_ONLY)
	fleet := awsec2.NewSecurityGroup(stack, jsii.String("FleetSecurityGroup"), &awsec2.SecurityGroupProps{Vpc: vpc})
	f.Default = edge.New(stack, "Edge", &edge.Props{
		Vpc: vpc, DomainName: "api.example.com", Zone: NewZone(stack),
		Targets: []awselasticloadbalancingv2.IApplicationLoadBalancerTarget{
			awselasticloadbalancingv2targets.NewInstanceIdTarget(jsii.String("i-0123456789abcdef0"), nil),
			awselasticloadbalancingv2targets.NewInstanceIdTarget(jsii.String("i-0fedcba9876543210"), nil),
		},
		TargetConnections: fleet,
		HealthCheckPath:   "/up",
	})
	awscdk.Tags_Of(f.Default).Add(jsii.String("tierkit:block"), jsii.String("edge"), nil)
	awscdk.NewCfnWaitConditionHandle(stack, jsii.String("AfterEdge"), nil).Node().AddDependency(f.Default)
	f.Stacks["default"] = stack

	stack = cdktest.NewStack(scope, "DualStack")
	dualVpc := NewVpc(stack, awsec2.IpProtocol_DUAL_STACK)
	asg := NewFleet(stack, dualVpc)
	edge.New(stack, "Edge", &edge.Props{
		Vpc: dualVpc, DomainName: "cloud.example.com", Zone: NewZone(stack),
		Certificate:               awscertificatemanager.Certificate_FromCertificateArn(stack, jsii.String("Certificate"), jsii.String(CertARN)),
		Targets:                   []awselasticloadbalancingv2.IApplicationLoadBalancerTarget{asg},
		TargetConnections:         asg,
		HealthCheckPath:           "/status.php",
		Stickiness:                time.Hour,
		DualStack:                 true,
		IdleTimeout:               300 * time.Second,
		DisableDeletionProtection: true,
		AccessLogBucket:           storage.NewLogBucket(stack, "Logs", nil),
		AccessLogPrefix:           "edge/cloud",
	})
	f.Stacks["dual-stack"] = stack

	stack = cdktest.NewStack(scope, "Internal")
	dualVpc = NewVpc(stack, awsec2.IpProtocol_DUAL_STACK)
	asg = NewFleet(stack, dualVpc)
	f.Internal = edge.New(stack, "Edge", &edge.Props{
		Vpc: dualVpc, DomainName: "cloud.example.com", Zone: NewZone(stack),
		Targets:            []awselasticloadbalancingv2.IApplicationLoadBalancerTarget{asg},
		TargetConnections:  asg,
		DualStack:          true,
		Internal:           true,
		AllowedSourceCIDRs: []string{"203.0.113.0/24", "2001:db8:1234::/48"},
	})
	f.Stacks["internal"] = stack
	return f
}

// NewVpc returns a VPC with public and private subnets in two AZs, like the
// network block's; a test fixture, so its flow logs are not this block's.
func NewVpc(stack awscdk.Stack, protocol awsec2.IpProtocol) awsec2.Vpc {
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{
		MaxAzs:      jsii.Number(2),
		NatGateways: jsii.Number(1),
		IpProtocol:  protocol,
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
			{Name: jsii.String("Public"), SubnetType: awsec2.SubnetType_PUBLIC, CidrMask: jsii.Number(24)},
			{Name: jsii.String("Private"), SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS, CidrMask: jsii.Number(24)},
		},
		// Leaves out the custom resource that restricts the default group: not under test here.
		RestrictDefaultSecurityGroup: jsii.Bool(false),
	})
	cdknag.NagSuppressions_AddResourceSuppressions(vpc, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-VPC7"),
		Reason: jsii.String("Test fixture: flow logs belong to the network block, not to the edge block under test."),
	}}, jsii.Bool(false))
	return vpc
}

// NewZone imports the hosted zone ZoneID (ZoneName) into stack.
func NewZone(stack awscdk.Stack) awsroute53.IHostedZone {
	return awsroute53.HostedZone_FromHostedZoneAttributes(stack, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
		HostedZoneId: jsii.String(ZoneID),
		ZoneName:     jsii.String(ZoneName),
	})
}

// NewFleet returns a small Auto Scaling group in the private subnets: a
// stand-in for the fleet block, whose own controls are not under test here.
func NewFleet(stack awscdk.Stack, vpc awsec2.IVpc) awsautoscaling.AutoScalingGroup {
	asg := awsautoscaling.NewAutoScalingGroup(stack, jsii.String("Fleet"), &awsautoscaling.AutoScalingGroupProps{
		Vpc:           vpc,
		VpcSubnets:    &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS},
		InstanceType:  awsec2.NewInstanceType(jsii.String("t3.micro")),
		MachineImage:  awsec2.MachineImage_GenericLinux(&map[string]*string{"us-east-1": jsii.String("ami-0123456789abcdef0")}, nil),
		RequireImdsv2: jsii.Bool(true),
		HealthChecks: awsautoscaling.HealthChecks_WithAdditionalChecks(&awsautoscaling.AdditionalHealthChecksOptions{
			AdditionalTypes: &[]awsautoscaling.AdditionalHealthCheckType{awsautoscaling.AdditionalHealthCheckType_ELB},
			GracePeriod:     awscdk.Duration_Minutes(jsii.Number(5)),
		}),
		BlockDevices: &[]*awsautoscaling.BlockDevice{{
			DeviceName: jsii.String("/dev/xvda"),
			Volume:     awsautoscaling.BlockDeviceVolume_Ebs(jsii.Number(8), &awsautoscaling.EbsDeviceOptions{Encrypted: jsii.Bool(true)}),
		}},
		MinCapacity: jsii.Number(2),
	})
	cdknag.NagSuppressions_AddResourceSuppressions(asg, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-AS3"),
		Reason: jsii.String("Test fixture: scaling notifications belong to the fleet block, not to the edge block under test."),
	}}, jsii.Bool(false))
	return asg
}
