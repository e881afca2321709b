package monitoring_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/monitoring"
)

func ExampleNewTopic() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Web"), nil)

	// One topic for the alarms and the Auto Scaling group's notifications.
	topic := monitoring.NewTopic(stack, "Alarms", []string{"ops@example.com"})
	_ = topic
}

func ExampleNewTopicWithKey() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Web"), nil)

	// The tier's key, shared by its blocks: NewTopicWithKey adds what
	// CloudWatch alarms and Auto Scaling need to its policy.
	key := awskms.NewKey(stack, jsii.String("Key"), &awskms.KeyProps{
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
	})
	topic := monitoring.NewTopicWithKey(stack, "Alarms", []string{"ops@example.com"}, key)
	_ = topic
}

func ExampleNew() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Web"), nil)

	// The tier's pieces, made by the network, edge, fleet and database blocks.
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), nil)
	lb := awselasticloadbalancingv2.NewApplicationLoadBalancer(stack, jsii.String("LoadBalancer"), &awselasticloadbalancingv2.ApplicationLoadBalancerProps{Vpc: vpc})
	topic := monitoring.NewTopic(stack, "Alarms", []string{"ops@example.com"})
	group := awsautoscaling.NewAutoScalingGroup(stack, jsii.String("Fleet"), &awsautoscaling.AutoScalingGroupProps{
		Vpc:           vpc,
		InstanceType:  awsec2.NewInstanceType(jsii.String("t3.small")),
		MachineImage:  awsec2.MachineImage_LatestAmazonLinux2023(nil),
		GroupMetrics:  &[]awsautoscaling.GroupMetrics{awsautoscaling.GroupMetrics_All()},
		Notifications: &[]*awsautoscaling.NotificationConfiguration{{Topic: topic}},
	})
	listener := lb.AddListener(jsii.String("Http"), &awselasticloadbalancingv2.BaseApplicationListenerProps{Port: jsii.Number(80)})
	targets := listener.AddTargets(jsii.String("Fleet"), &awselasticloadbalancingv2.AddApplicationTargetsProps{
		Port: jsii.Number(80), Targets: &[]awselasticloadbalancingv2.IApplicationLoadBalancerTarget{group},
	})
	db := awsrds.NewDatabaseInstance(stack, jsii.String("Database"), &awsrds.DatabaseInstanceProps{
		Engine: awsrds.DatabaseInstanceEngine_Mysql(&awsrds.MySqlInstanceEngineProps{Version: awsrds.MysqlEngineVersion_VER_8_4_7()}),
		Vpc:    vpc,
	})
	logs := awslogs.NewLogGroup(stack, jsii.String("AppLogs"), nil)

	m := monitoring.New(stack, "Monitoring", &monitoring.Props{
		Topic:            topic,
		LoadBalancer:     lb,
		TargetGroup:      targets,
		Database:         db,
		AutoScalingGroup: group,
		LogGroups:        []awslogs.ILogGroup{logs},
		Thresholds:       monitoring.Thresholds{ResponseTimeSeconds: 1},
	})
	// A Valkey replication group of a primary and a replica.
	m.WatchCache(jsii.String("web-cache"), 2)
}
