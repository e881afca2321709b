// Package monitoringtest builds the monitoring block's test fixtures: the
// stacks the block's own tests assert on, which internal/conformance also
// builds, with every other block's, into one app checked by aws-cdk-lib's
// CloudFormation validation and cdk-nag (one validation engine for all the
// blocks, instead of one per test process).
package monitoringtest

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2targets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/tierkit/tierkit/constructs/monitoring"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// The names the fixtures give what they import.
const (
	// SlowQueryLog is a log group named by a literal, to see its slashes
	// escaped in the console link.
	SlowQueryLog = "/aws/rds/instance/tierkit/slowquery"
	// FixedTopicARN is the "fixed" stack's topic, owned elsewhere.
	FixedTopicARN = "arn:aws:sns:us-east-1:123456789012:ops"
	// SingletonGroupName is the name of the "autoscaling" stack's singleton
	// group.
	SingletonGroupName = "web-singleton"
	// WorkerGroupName is the group the "autoscaling" stack watches with
	// WatchGroup.
	WorkerGroupName = "api-queue-workers"
)

// Fixtures are the block's test stacks, by name, and what the tests read of
// the "autoscaling" stack's Monitoring.
type Fixtures struct {
	// Stacks are "autoscaling" (stack "Test"), "fixed" (stack "Fixed") and
	// "keyed" (stack "Keyed"); see New.
	Stacks map[string]awscdk.Stack
	// Rollout is what the "autoscaling" stack's RolloutAlarms returned.
	Rollout []awscloudwatch.IAlarm
	// Watched is the "autoscaling" stack's Monitoring.
	Watched *monitoring.Monitoring
}

// New builds the fixtures' stacks in scope, an app or a construct of one:
//   - "autoscaling": the Auto Scaling variant with default thresholds: a
//     topic with two subscriptions, an ALB, a target group, an Auto Scaling
//     group, a database, three log groups and a two-node cache watched;
//   - "fixed": the fixed-servers variant: two instances registered by id,
//     custom thresholds, a topic owned elsewhere, no log groups, no cache;
//   - "keyed": NewTopicWithKey with the tier's key, a customer managed key of
//     the same stack (rotated, retained).
func New(scope constructs.Construct) *Fixtures {
	f := &Fixtures{Stacks: map[string]awscdk.Stack{}}

	stack := cdktest.NewStack(scope, "Test")
	vpc := importedVpc(stack)
	topic := monitoring.NewTopic(stack, "Alarms", []string{"ops@example.com", "oncall@example.com"})
	lb, tg := newLoadBalancer(stack, vpc)
	group := newGroup(stack, vpc, topic)
	tg.AddTarget(group)
	app1 := awslogs.NewLogGroup(stack, jsii.String("AppLogs"), &awslogs.LogGroupProps{Retention: awslogs.RetentionDays_ONE_YEAR})
	boot := awslogs.NewLogGroup(stack, jsii.String("BootLogs"), &awslogs.LogGroupProps{Retention: awslogs.RetentionDays_ONE_YEAR})
	slow := awslogs.LogGroup_FromLogGroupName(stack, jsii.String("SlowQueryLogs"), jsii.String(SlowQueryLog))
	m := monitoring.New(stack, "Monitoring", &monitoring.Props{
		Topic:            topic,
		LoadBalancer:     lb,
		TargetGroup:      tg,
		Database:         newDatabase(stack, vpc),
		AutoScalingGroup: group,
		LogGroups:        []awslogs.ILogGroup{app1, boot, slow},
		BootLog:          boot,
		SingletonGroup:   awsautoscaling.AutoScalingGroup_FromAutoScalingGroupName(stack, jsii.String("Singleton"), jsii.String(SingletonGroupName)),
	})
	f.Rollout, f.Watched = m.RolloutAlarms(), m
	m.WatchCache(jsii.String("tierkit-cache"), 2)
	m.WatchGroup("Workers", "Queue workers", "queue worker", awsautoscaling.AutoScalingGroup_FromAutoScalingGroupName(stack, jsii.String("Workers"), jsii.String(WorkerGroupName)))
	f.Stacks["autoscaling"] = stack

	stack = cdktest.NewStack(scope, "Fixed")
	vpc = importedVpc(stack)
	lb, tg = newLoadBalancer(stack, vpc)
	for _, id := range []string{"i-0123456789abcdef0", "i-0123456789abcdef1"} {
		tg.AddTarget(awselasticloadbalancingv2targets.NewInstanceIdTarget(jsii.String(id), jsii.Number(80)))
	}
	monitoring.New(stack, "Monitoring", &monitoring.Props{
		Topic:             awssns.Topic_FromTopicArn(stack, jsii.String("Topic"), jsii.String(FixedTopicARN)),
		LoadBalancer:      lb,
		TargetGroup:       tg,
		Database:          newDatabase(stack, vpc),
		Instances:         2,
		SingletonInstance: jsii.String("i-0123456789abcdef0"),
		Thresholds: monitoring.Thresholds{
			UnhealthyHosts: 2, Target5xxPerMinute: 50, LoadBalancer5xxPerMinute: 20, ResponseTimeSeconds: 1.5,
			DatabaseCPUPercent: 70, DatabaseFreeStorageGiB: 5, DatabaseFreeMemoryMiB: 512,
		},
	})
	f.Stacks["fixed"] = stack

	stack = cdktest.NewStack(scope, "Keyed")
	key := awskms.NewKey(stack, jsii.String("TierKey"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true), RemovalPolicy: awscdk.RemovalPolicy_RETAIN})
	monitoring.NewTopicWithKey(stack, "Alarms", []string{"ops@example.com"}, key)
	f.Stacks["keyed"] = stack
	return f
}

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
