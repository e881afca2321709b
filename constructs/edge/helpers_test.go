package edge_test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/tierkit/tierkit/internal/cdktest"
)

const (
	zoneID   = "Z0123456789ABCDEFGHIJ"
	zoneName = "example.com"
	certARN  = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
	// elbAccount is the ELB log-delivery account of us-east-1, the test stack's region.
	elbAccount = "127311923021"
)

// newVpc returns a VPC with public and private subnets in two AZs, like the
// network block's; a test fixture, so its flow logs are not this block's.
func newVpc(stack awscdk.Stack, protocol awsec2.IpProtocol) awsec2.Vpc {
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

func newZone(stack awscdk.Stack) awsroute53.IHostedZone {
	return awsroute53.HostedZone_FromHostedZoneAttributes(stack, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
		HostedZoneId: jsii.String(zoneID),
		ZoneName:     jsii.String(zoneName),
	})
}

// newFleet returns a small Auto Scaling group in the private subnets: a
// stand-in for the fleet block, whose own controls are not under test here.
func newFleet(stack awscdk.Stack, vpc awsec2.IVpc) awsautoscaling.AutoScalingGroup {
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

// resources returns the template's resources of type typ, by logical ID.
func resources(t *testing.T, tpl *cdktest.Template, typ string) map[string]map[string]any {
	t.Helper()
	found := map[string]map[string]any{}
	for id, r := range *tpl.FindResources(jsii.String(typ), nil) {
		found[id] = *r
	}
	return found
}

// props returns a resource's Properties.
func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// logicalID returns the logical ID of the only resource of type typ whose
// logical ID starts with prefix.
func logicalID(t *testing.T, tpl *cdktest.Template, typ, prefix string) string {
	t.Helper()
	var ids []string
	for id := range resources(t, tpl, typ) {
		if len(id) >= len(prefix) && id[:len(prefix)] == prefix {
			ids = append(ids, id)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("resources of type %s with logical ID prefix %s: %v, want exactly one", typ, prefix, ids)
	}
	return ids[0]
}

// attributes turns a [{Key, Value}] list into a map.
func attributes(list any) map[string]any {
	m := map[string]any{}
	l, _ := list.([]any)
	for _, e := range l {
		kv := e.(map[string]any)
		m[kv["Key"].(string)] = kv["Value"]
	}
	return m
}
