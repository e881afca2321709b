package monitoring_test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// Resource types the tests read.
const (
	alarmType = "AWS::CloudWatch::Alarm"
	keyType   = "AWS::KMS::Key"
	topicType = "AWS::SNS::Topic"
)

// importedVpc stands in for the network block's VPC: public, private and
// isolated subnets in two AZs, imported by attributes (no VPC resources of
// its own to synthesize or nag).
func importedVpc(scope awscdk.Stack) awsec2.IVpc {
	return awsec2.Vpc_FromVpcAttributes(scope, jsii.String("Vpc"), &awsec2.VpcAttributes{
		VpcId:                       jsii.String("vpc-0123456789abcdef0"),
		VpcCidrBlock:                jsii.String("10.0.0.0/16"),
		AvailabilityZones:           jsii.Strings("us-east-1a", "us-east-1b"),
		PublicSubnetIds:             jsii.Strings("subnet-0eeeeeeeeeeeeeeee", "subnet-0ffffffffffffffff"),
		PublicSubnetRouteTableIds:   jsii.Strings("rtb-0eeeeeeeeeeeeeeee", "rtb-0ffffffffffffffff"),
		PrivateSubnetIds:            jsii.Strings("subnet-0cccccccccccccccc", "subnet-0dddddddddddddddd"),
		PrivateSubnetRouteTableIds:  jsii.Strings("rtb-0cccccccccccccccc", "rtb-0dddddddddddddddd"),
		IsolatedSubnetIds:           jsii.Strings("subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"),
		IsolatedSubnetRouteTableIds: jsii.Strings("rtb-0aaaaaaaaaaaaaaaa", "rtb-0bbbbbbbbbbbbbbbb"),
	})
}

// newLoadBalancer stands in for the edge block: an internal ALB with an HTTP
// listener forwarding to the fleet's target group. Its own controls (HTTPS,
// access logs, WAF) are the edge block's, not under test here.
func newLoadBalancer(stack awscdk.Stack, vpc awsec2.IVpc) (awselasticloadbalancingv2.ApplicationLoadBalancer, awselasticloadbalancingv2.ApplicationTargetGroup) {
	lb := awselasticloadbalancingv2.NewApplicationLoadBalancer(stack, jsii.String("LoadBalancer"), &awselasticloadbalancingv2.ApplicationLoadBalancerProps{
		Vpc:                     vpc,
		VpcSubnets:              &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS},
		DropInvalidHeaderFields: jsii.Bool(true),
		DeletionProtection:      jsii.Bool(true),
		DesyncMitigationMode:    awselasticloadbalancingv2.DesyncMitigationMode_DEFENSIVE,
		InternetFacing:          jsii.Bool(false),
	})
	cdknag.NagSuppressions_AddResourceSuppressions(lb, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-ELB2"),
		Reason: jsii.String("Test fixture: access logs belong to the edge block, not to the monitoring block under test."),
	}}, jsii.Bool(false))
	tg := awselasticloadbalancingv2.NewApplicationTargetGroup(stack, jsii.String("Targets"), &awselasticloadbalancingv2.ApplicationTargetGroupProps{
		Vpc:        vpc,
		Port:       jsii.Number(80),
		Protocol:   awselasticloadbalancingv2.ApplicationProtocol_HTTP,
		TargetType: awselasticloadbalancingv2.TargetType_INSTANCE,
	})
	lb.AddListener(jsii.String("Http"), &awselasticloadbalancingv2.BaseApplicationListenerProps{
		Port:                jsii.Number(80),
		Open:                jsii.Bool(false),
		DefaultTargetGroups: &[]awselasticloadbalancingv2.IApplicationTargetGroup{tg},
	})
	return lb, tg
}

// newGroup stands in for the fleet block's Auto Scaling group: it collects
// group metrics and notifies topic, as the fleet's does.
func newGroup(stack awscdk.Stack, vpc awsec2.IVpc, topic awssns.ITopic) awsautoscaling.AutoScalingGroup {
	return awsautoscaling.NewAutoScalingGroup(stack, jsii.String("Fleet"), &awsautoscaling.AutoScalingGroupProps{
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
		MinCapacity:   jsii.Number(2),
		GroupMetrics:  &[]awsautoscaling.GroupMetrics{awsautoscaling.GroupMetrics_All()},
		Notifications: &[]*awsautoscaling.NotificationConfiguration{{Topic: topic}},
	})
}

// newDatabase stands in for the database block: a small MySQL instance that
// meets the database controls, so that nag has nothing to say about it but
// the secret's rotation (the database block's decision).
func newDatabase(stack awscdk.Stack, vpc awsec2.IVpc) awsrds.DatabaseInstance {
	db := awsrds.NewDatabaseInstance(stack, jsii.String("Database"), &awsrds.DatabaseInstanceProps{
		Engine:                    awsrds.DatabaseInstanceEngine_Mysql(&awsrds.MySqlInstanceEngineProps{Version: awsrds.MysqlEngineVersion_VER_8_4_7()}),
		InstanceType:              awsec2.NewInstanceType(jsii.String("t4g.micro")),
		Vpc:                       vpc,
		VpcSubnets:                &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED},
		Credentials:               awsrds.Credentials_FromGeneratedSecret(jsii.String("tierkit"), nil),
		Port:                      jsii.Number(3307),
		MultiAz:                   jsii.Bool(true),
		StorageEncrypted:          jsii.Bool(true),
		DeletionProtection:        jsii.Bool(true),
		BackupRetention:           awscdk.Duration_Days(jsii.Number(7)),
		CloudwatchLogsExports:     jsii.Strings("error", "general", "slowquery", "audit"),
		IamAuthentication:         jsii.Bool(true),
		RemovalPolicy:             awscdk.RemovalPolicy_SNAPSHOT,
		AllocatedStorage:          jsii.Number(20),
		AutoMinorVersionUpgrade:   jsii.Bool(true),
		EnablePerformanceInsights: jsii.Bool(false),
	})
	cdknag.NagSuppressions_AddResourceSuppressions(db.Node().FindChild(jsii.String("Secret")).Node().DefaultChild(), &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-SMG4"),
		Reason: jsii.String("Test fixture: the secret's rotation is the database block's decision, not the monitoring block's."),
	}}, jsii.Bool(false))
	return db
}

// scratch returns a stack that is never synthesized, for props that need a construct.
func scratch(tb testing.TB) awscdk.Stack {
	tb.Helper()
	return awscdk.NewStack(awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(tb.TempDir())}), jsii.String("Scratch"), nil)
}
