package monitoring_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/monitoring"
	"github.com/tierkit/tierkit/constructs/monitoring/monitoringtest"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// variant builds the fixtures' stacks (monitoringtest) in one app,
// synthesized once in strict mode; internal/conformance checks the same
// stacks with CloudFormation validation and cdk-nag.
var variant = cdktest.Variants(func(tb testing.TB) map[string]awscdk.Stack {
	f := monitoringtest.New(cdktest.NewApp(tb, cdktest.Strict()))
	rollout, watched = f.Rollout, f.Watched
	return f.Stacks
})

var (
	// template is the Auto Scaling variant with default thresholds: a topic
	// with two subscriptions, an ALB, a target group, an Auto Scaling group,
	// a database, three log groups and a two-node cache watched.
	template = variant("autoscaling")
	// fixed is the fixed-servers variant: two instances registered by id,
	// custom thresholds, a topic owned elsewhere, no log groups, no cache.
	fixed = variant("fixed")
	// keyed is NewTopicWithKey with the tier's key, a customer managed key of
	// the same stack (rotated, retained).
	keyed = variant("keyed")
)

// The fixtures' names, as the tests compare them.
const (
	// slowQueryLog is a log group named by a literal, to see its slashes
	// escaped in the console link.
	slowQueryLog = monitoringtest.SlowQueryLog
	// fixedTopicARN is the fixed variant's topic, owned elsewhere.
	fixedTopicARN = monitoringtest.FixedTopicARN
	// singletonGroupName is the name of the template's singleton group.
	singletonGroupName = monitoringtest.SingletonGroupName
	// workerGroupName is the group template watches with WatchGroup.
	workerGroupName = monitoringtest.WorkerGroupName
)

// tierKeyID is the logical ID of the keyed template's key.
const tierKeyID = "TierKey0D030C44"

// rollout is what the template's RolloutAlarms returned.
var rollout []awscloudwatch.IAlarm

// watched is template's Monitoring.
var watched *monitoring.Monitoring

// The logical IDs the contract's construct ids give.
const (
	keyID   = "AlarmsKey3C2381B3"
	topicID = "AlarmsTopic3A2DFEBA"
)

var topicRef = map[string]any{"Ref": topicID}

// albDimensions are the dimensions of a target group metric: its target group
// and its load balancer.
var albDimensions = assertions.Match_ArrayWith(&[]any{
	assertions.Match_ObjectLike(&map[string]any{"Name": "LoadBalancer"}),
	assertions.Match_ObjectLike(&map[string]any{"Name": "TargetGroup"}),
})

// Alarms

func TestUnhealthyHostsAlarmFiresWhenOneTargetIsUnhealthyFor2Minutes(t *testing.T) {
	template(t).HasResourceProperties(t, alarmType, map[string]any{
		"Namespace": "AWS/ApplicationELB", "MetricName": "UnHealthyHostCount", "Dimensions": albDimensions,
		"Statistic": "Maximum", "Period": 60, "EvaluationPeriods": 2,
		"Threshold": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
		"AlarmActions": []any{topicRef}, "OKActions": []any{topicRef},
	})
}

func TestTarget5xxAlarmFiresAt10PerMinuteIn2Of3Minutes(t *testing.T) {
	template(t).HasResourceProperties(t, alarmType, map[string]any{
		"Namespace": "AWS/ApplicationELB", "MetricName": "HTTPCode_Target_5XX_Count", "Dimensions": albDimensions,
		"Statistic": "Sum", "Period": 60, "EvaluationPeriods": 3, "DatapointsToAlarm": 2,
		"Threshold": 10, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
		"AlarmActions": []any{topicRef}, "OKActions": []any{topicRef},
	})
}

func TestLoadBalancer5xxAlarmFiresAt10PerMinuteIn2Of3Minutes(t *testing.T) {
	template(t).HasResourceProperties(t, alarmType, map[string]any{
		"Namespace": "AWS/ApplicationELB", "MetricName": "HTTPCode_ELB_5XX_Count",
		"Dimensions": []any{map[string]any{"Name": "LoadBalancer", "Value": assertions.Match_AnyValue()}},
		"Statistic":  "Sum", "Period": 60, "EvaluationPeriods": 3, "DatapointsToAlarm": 2,
		"Threshold": 10, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
		"AlarmActions": []any{topicRef}, "OKActions": []any{topicRef},
	})
}

func Test5xxAlarmsTreatMissingDataAsNotBreaching(t *testing.T) {
	for _, metric := range []string{"HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count"} {
		template(t).HasResourceProperties(t, alarmType, map[string]any{"MetricName": metric, "TreatMissingData": "notBreaching"})
	}
}

func TestResponseTimeAlarmFiresWhenP95IsOver2SecondsFor5Minutes(t *testing.T) {
	template(t).HasResourceProperties(t, alarmType, map[string]any{
		"Namespace": "AWS/ApplicationELB", "MetricName": "TargetResponseTime", "Dimensions": albDimensions,
		"ExtendedStatistic": "p95", "Period": 60, "EvaluationPeriods": 5,
		"Threshold": 2, "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching",
		"AlarmActions": []any{topicRef}, "OKActions": []any{topicRef},
	})
}

func TestDatabaseCPUAlarmFiresOver80PercentFor3PeriodsOf5Minutes(t *testing.T) {
	template(t).HasResourceProperties(t, alarmType, map[string]any{
		"Namespace": "AWS/RDS", "MetricName": "CPUUtilization", "Dimensions": []any{map[string]any{"Name": "DBInstanceIdentifier", "Value": map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^Database"))}}},
		"Statistic": "Average", "Period": 300, "EvaluationPeriods": 3,
		"Threshold": 80, "ComparisonOperator": "GreaterThanThreshold",
		"AlarmActions": []any{topicRef}, "OKActions": []any{topicRef},
	})
}

func TestDatabaseFreeStorageAlarmFiresBelow2GiB(t *testing.T) {
	template(t).HasResourceProperties(t, alarmType, map[string]any{
		"Namespace": "AWS/RDS", "MetricName": "FreeStorageSpace",
		"Statistic": "Minimum", "Period": 300, "EvaluationPeriods": 1,
		"Threshold": 2 << 30, "ComparisonOperator": "LessThanThreshold",
		"AlarmActions": []any{topicRef}, "OKActions": []any{topicRef},
	})
}

func TestDatabaseFreeMemoryAlarmFiresBelow256MiBFor3PeriodsOf5Minutes(t *testing.T) {
	template(t).HasResourceProperties(t, alarmType, map[string]any{
		"Namespace": "AWS/RDS", "MetricName": "FreeableMemory",
		"Statistic": "Average", "Period": 300, "EvaluationPeriods": 3,
		"Threshold": 256 << 20, "ComparisonOperator": "LessThanThreshold",
		"AlarmActions": []any{topicRef}, "OKActions": []any{topicRef},
	})
}

func TestFleetBelowDesiredSubtractsInServiceFromDesiredFor10Minutes(t *testing.T) {
	group := map[string]any{"Ref": cdktest.LogicalID(t, template(t), "AWS::AutoScaling::AutoScalingGroup", "FleetASG")}
	groupMetric := func(id, name string) any {
		return assertions.Match_ObjectLike(&map[string]any{
			"Id": id, "ReturnData": false,
			"MetricStat": map[string]any{
				"Metric": map[string]any{
					"Namespace": "AWS/AutoScaling", "MetricName": name,
					"Dimensions": []any{map[string]any{"Name": "AutoScalingGroupName", "Value": group}},
				},
				"Period": 60, "Stat": "Average",
			},
		})
	}
	template(t).HasResourceProperties(t, alarmType, map[string]any{
		"Metrics": assertions.Match_ArrayWith(&[]any{
			assertions.Match_ObjectLike(&map[string]any{"Expression": "desired - inService", "ReturnData": true}),
			groupMetric("desired", "GroupDesiredCapacity"),
			groupMetric("inService", "GroupInServiceInstances"),
		}),
		"EvaluationPeriods": 10, "Threshold": 0, "ComparisonOperator": "GreaterThanThreshold",
		"AlarmActions": []any{topicRef}, "OKActions": []any{topicRef},
	})
}

func TestCacheAlarmsWatchEachNode(t *testing.T) {
	for _, node := range []string{"tierkit-cache-001", "tierkit-cache-002"} {
		for _, metric := range []string{"EngineCPUUtilization", "DatabaseMemoryUsagePercentage"} {
			template(t).HasResourceProperties(t, alarmType, map[string]any{
				"Namespace": "AWS/ElastiCache", "MetricName": metric,
				"Dimensions": []any{map[string]any{"Name": "CacheClusterId", "Value": node}},
				"Statistic":  "Average", "Period": 300, "EvaluationPeriods": 3,
				"Threshold": 90, "ComparisonOperator": "GreaterThanThreshold",
				"AlarmActions": []any{topicRef}, "OKActions": []any{topicRef},
			})
		}
	}
}

func TestAlarmsKeepTheirConstructIDs(t *testing.T) {
	alarms := template(t).Resources(alarmType)
	for _, id := range []string{
		"UnhealthyHosts", "Target5xx", "LoadBalancer5xx", "ResponseTime", "DatabaseCPU", "DatabaseFreeStorage",
		"DatabaseFreeMemory", "FleetBelowDesired", "CacheCPU1", "CacheMemory1", "CacheCPU2", "CacheMemory2",
		"BootFailed", "SingletonDown", "WorkersBelowDesired",
	} {
		found := 0
		for logicalID := range alarms {
			// The 8 hex digits after the id are CDK's hash of the path.
			if strings.HasPrefix(logicalID, "Monitoring"+id) && len(logicalID) == len("Monitoring"+id)+8 {
				found++
			}
		}
		if found != 1 {
			t.Errorf("alarm %s: found %d, want 1", id, found)
		}
	}
	if len(alarms) != 15 {
		t.Errorf("%d alarms, want 15", len(alarms))
	}
}

func TestFailedBootsAreCountedFromTheBootLog(t *testing.T) {
	tpl := template(t)
	bootLog := cdktest.LogicalID(t, tpl, "AWS::Logs::LogGroup", "BootLogs")
	tpl.HasResourceProperties(t, "AWS::Logs::MetricFilter", map[string]any{
		"LogGroupName":  map[string]any{"Ref": bootLog},
		"FilterPattern": `"tierkit-boot:" "step" "failed"`,
		"MetricTransformations": []any{map[string]any{
			"MetricNamespace": "tierkit", "MetricName": monitoring.BootFailuresMetric, "MetricValue": "1",
		}},
	})
}

func TestBootFailedAlarmFiresOnTheFirstFailedBoot(t *testing.T) {
	template(t).HasResourceProperties(t, alarmType, map[string]any{
		"Namespace": "tierkit", "MetricName": monitoring.BootFailuresMetric, "Statistic": "Sum", "Period": 60,
		"EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
		"TreatMissingData": "notBreaching", "AlarmActions": []any{topicRef},
	})
}

func TestSingletonDownAlarmFiresWhenItsGroupHasNoServerFor10Minutes(t *testing.T) {
	template(t).HasResourceProperties(t, alarmType, map[string]any{
		"Namespace": "AWS/AutoScaling", "MetricName": "GroupInServiceInstances",
		"Dimensions": []any{map[string]any{"Name": "AutoScalingGroupName", "Value": singletonGroupName}},
		"Statistic":  "Maximum", "Period": 60, "EvaluationPeriods": 10,
		"Threshold": 1, "ComparisonOperator": "LessThanThreshold", "TreatMissingData": "breaching",
	})
}

func TestSingletonDownAlarmFiresWhenServer1ReportsNoStatusFor10Minutes(t *testing.T) {
	fixed(t).HasResourceProperties(t, alarmType, map[string]any{
		"Namespace": "AWS/EC2", "MetricName": "StatusCheckFailed",
		"Dimensions": []any{map[string]any{"Name": "InstanceId", "Value": "i-0123456789abcdef0"}},
		"Statistic":  "Maximum", "Period": 60, "EvaluationPeriods": 10,
		"Threshold": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "breaching",
	})
}

func TestRolloutAlarmsAreUnhealthyHostsTarget5xxAndFailedBoots(t *testing.T) {
	tpl := template(t)
	var got []string
	for _, a := range rollout {
		got = append(got, awscdk.Stack_Of(a).Resolve(a.AlarmName()).(map[string]any)["Ref"].(string))
	}
	want := []string{
		cdktest.LogicalID(t, tpl, alarmType, "MonitoringUnhealthyHosts"), cdktest.LogicalID(t, tpl, alarmType, "MonitoringTarget5xx"),
		cdktest.LogicalID(t, tpl, alarmType, "MonitoringBootFailed"),
	}
	if !slices.Equal(got, want) {
		t.Errorf("rollout alarms %v, want %v", got, want)
	}
}

func TestEveryAlarmNotifiesTheTopicWhenItFiresAndWhenItRecovers(t *testing.T) {
	for id, alarm := range template(t).Resources(alarmType) {
		p := cdktest.Props(alarm)
		for _, actions := range []string{"AlarmActions", "OKActions"} {
			if got := cdktest.JSON(p[actions]); got != cdktest.JSON([]any{topicRef}) {
				t.Errorf("%s: %s %s, want the topic", id, actions, got)
			}
		}
	}
}

func TestEveryAlarmSaysWhatItMeansAndWhereToLook(t *testing.T) {
	for _, tpl := range []*cdktest.Template{template(t), fixed(t)} {
		for id, alarm := range tpl.Resources(alarmType) {
			d, _ := cdktest.Props(alarm)["AlarmDescription"].(string)
			if !strings.Contains(d, "Look at") {
				t.Errorf("%s: description %q does not say where to look", id, d)
			}
		}
	}
}

func TestFixedFleetAlarmsWhenFewerTargetsThanServersAreHealthyFor5Minutes(t *testing.T) {
	fixed(t).HasResourceProperties(t, alarmType, map[string]any{
		"Namespace": "AWS/ApplicationELB", "MetricName": "HealthyHostCount", "Dimensions": albDimensions,
		"Statistic": "Minimum", "Period": 60, "EvaluationPeriods": 5,
		"Threshold": 2, "ComparisonOperator": "LessThanThreshold",
		"AlarmActions": []any{fixedTopicARN}, "OKActions": []any{fixedTopicARN},
	})
}

func TestFixedFleetHasNoGroupAlarmAndNoCacheAlarms(t *testing.T) {
	tpl := fixed(t)
	tpl.ResourceCountIs(t, alarmType, 9)
	if body := cdktest.JSON(tpl.Resources(alarmType)); strings.Contains(body, "AWS/AutoScaling") || strings.Contains(body, "AWS/ElastiCache") {
		t.Errorf("fixed fleet alarms read Auto Scaling or cache metrics")
	}
}

func TestThresholdsReplaceTheDefaults(t *testing.T) {
	tpl := fixed(t)
	for metric, want := range map[string]map[string]any{
		"UnHealthyHostCount":        {"Threshold": 2},
		"HTTPCode_Target_5XX_Count": {"Threshold": 50},
		"HTTPCode_ELB_5XX_Count":    {"Threshold": 20},
		"TargetResponseTime":        {"Threshold": 1.5},
		"CPUUtilization":            {"Threshold": 70},
		"FreeStorageSpace":          {"Threshold": 5 << 30},
		"FreeableMemory":            {"Threshold": 512 << 20},
	} {
		want["MetricName"] = metric
		tpl.HasResourceProperties(t, alarmType, want)
	}
}

// Topic and key

func TestKeyKeepsItsLogicalIDAndIsRetained(t *testing.T) {
	keys := template(t).Resources(keyType)
	k, ok := keys[keyID]
	if !ok {
		t.Fatalf("no key with logical ID %s (have %v): renaming NewTopic's id or its child \"Key\" replaces the key", keyID, keys)
	}
	if k["DeletionPolicy"] != "Retain" || k["UpdateReplacePolicy"] != "Retain" {
		t.Errorf("%s: DeletionPolicy %v, UpdateReplacePolicy %v; want Retain", keyID, k["DeletionPolicy"], k["UpdateReplacePolicy"])
	}
}

func TestKeyRotates(t *testing.T) {
	template(t).HasResourceProperties(t, keyType, map[string]any{"EnableKeyRotation": true})
}

func TestKeyPolicyLetsCloudWatchEncryptNotifications(t *testing.T) {
	template(t).HasResourceProperties(t, keyType, map[string]any{
		"KeyPolicy": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
			"Effect": "Allow", "Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"},
			"Action": []any{"kms:Decrypt", "kms:GenerateDataKey*"},
		})})},
	})
}

func TestKeyPolicyLetsAutoScalingsServiceLinkedRoleEncryptNotifications(t *testing.T) {
	template(t).HasResourceProperties(t, keyType, map[string]any{
		"KeyPolicy": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
			"Effect": "Allow", "Action": []any{"kms:Decrypt", "kms:GenerateDataKey*"},
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:PrincipalArn": map[string]any{"Fn::Join": []any{"", []any{
				"arn:aws:iam::", map[string]any{"Ref": "AWS::AccountId"}, ":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
			}}}}},
		})})},
	})
}

func TestTopicIsEncryptedWithTheKey(t *testing.T) {
	template(t).HasResourceProperties(t, topicType, map[string]any{
		"KmsMasterKeyId": map[string]any{"Fn::GetAtt": []any{keyID, "Arn"}},
	})
}

func TestTopicDeniesPublishingWithoutTLS(t *testing.T) {
	template(t).HasResourceProperties(t, "AWS::SNS::TopicPolicy", map[string]any{
		"Topics": []any{topicRef},
		"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
			"Effect": "Deny", "Action": "sns:Publish", "Principal": "*",
			"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
		})})},
	})
}

func TestTopicLetsThisAccountsAlarmsPublish(t *testing.T) {
	account := map[string]any{"Ref": "AWS::AccountId"}
	template(t).HasResourceProperties(t, "AWS::SNS::TopicPolicy", map[string]any{
		"Topics": []any{topicRef},
		"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
			"Effect": "Allow", "Action": "sns:Publish", "Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"},
			"Resource": topicRef,
			"Condition": map[string]any{
				"ArnLike":      map[string]any{"aws:SourceArn": map[string]any{"Fn::Join": []any{"", []any{"arn:aws:cloudwatch:us-east-1:", account, ":alarm:*"}}}},
				"StringEquals": map[string]any{"aws:SourceAccount": account},
			},
		})})},
	})
}

func TestTopicHasAnEmailSubscriptionPerAddress(t *testing.T) {
	tpl := template(t)
	tpl.ResourceCountIs(t, "AWS::SNS::Subscription", 2)
	for _, address := range []string{"ops@example.com", "oncall@example.com"} {
		tpl.HasResourceProperties(t, "AWS::SNS::Subscription", map[string]any{
			"Protocol": "email", "Endpoint": address, "TopicArn": topicRef,
		})
	}
}

func TestNewTopicPanicsOnAnAddressThatIsNotOne(t *testing.T) {
	defer func() {
		want := `monitoring Alarms: emails[1]: "ops.example.com" is not an e-mail address`
		if r, _ := recover().(string); !strings.HasPrefix(r, want) {
			t.Errorf("got %q, want a panic starting with %q", r, want)
		}
	}()
	monitoring.NewTopic(scratch(t), "Alarms", []string{"ops@example.com", "ops.example.com"})
}

// Topic with the tier's key

func TestNewTopicWithKeyEncryptsTheTopicWithThatKeyAndMakesNone(t *testing.T) {
	tpl := keyed(t)
	tpl.HasResourceProperties(t, topicType, map[string]any{"KmsMasterKeyId": map[string]any{"Fn::GetAtt": []any{tierKeyID, "Arn"}}})
	tpl.ResourceCountIs(t, keyType, 1)
}

func TestNewTopicWithKeyKeepsNewTopicsTopicLogicalID(t *testing.T) {
	if _, ok := keyed(t).Resources(topicType)[topicID]; !ok {
		t.Errorf("no topic %s: switching from NewTopic would replace the topic and drop its subscriptions", topicID)
	}
}

func TestNewTopicWithKeyLetsCloudWatchAndAutoScalingUseAKeyOfTheStack(t *testing.T) {
	keyed(t).HasResourceProperties(t, keyType, map[string]any{
		"KeyPolicy": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{
			assertions.Match_ObjectLike(&map[string]any{
				"Sid": "AllowCloudWatchAlarmsToPublish", "Effect": "Allow", "Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"},
				"Action": []any{"kms:Decrypt", "kms:GenerateDataKey*"}, "Resource": "*",
			}),
			assertions.Match_ObjectLike(&map[string]any{
				"Sid": "AllowAutoScalingNotifications", "Effect": "Allow", "Action": []any{"kms:Decrypt", "kms:GenerateDataKey*"}, "Resource": "*",
				"Condition": map[string]any{"StringEquals": map[string]any{"aws:PrincipalArn": map[string]any{"Fn::Join": []any{"", []any{
					"arn:aws:iam::", map[string]any{"Ref": "AWS::AccountId"}, ":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
				}}}}},
			}),
		})},
	})
}

func TestNewTopicWithKeyKeepsTheTopicPolicy(t *testing.T) {
	tpl := keyed(t)
	for _, statement := range []map[string]any{
		{"Effect": "Deny", "Action": "sns:Publish", "Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}},
		{"Effect": "Allow", "Action": "sns:Publish", "Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"}},
	} {
		tpl.HasResourceProperties(t, "AWS::SNS::TopicPolicy", map[string]any{
			"Topics":         []any{topicRef},
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&statement)})},
		})
	}
	tpl.HasResourceProperties(t, "AWS::SNS::Subscription", map[string]any{"Protocol": "email", "Endpoint": "ops@example.com", "TopicArn": topicRef})
}

func TestNewTopicWithKeyLeavesAnImportedKeysPolicyToItsOwner(t *testing.T) {
	const arn = "arn:aws:kms:us-east-1:123456789012:key/0123abcd-12ab-34cd-56ef-1234567890ab"
	stack := scratch(t)
	topic := monitoring.NewTopicWithKey(stack, "Alarms", nil, awskms.Key_FromKeyArn(stack, jsii.String("TierKey"), jsii.String(arn)))
	if got := *topic.Node().DefaultChild().(awssns.CfnTopic).KmsMasterKeyId(); got != arn {
		t.Errorf("KmsMasterKeyId %s; want the imported key's ARN", got)
	}
}

func TestNewTopicWithKeyLeavesAKeyOfAnotherStackAlone(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	keys := awscdk.NewStack(app, jsii.String("Keys"), nil)
	key := awskms.NewKey(keys, jsii.String("TierKey"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)})
	monitoring.NewTopicWithKey(awscdk.NewStack(app, jsii.String("Web"), nil), "Alarms", nil, key)
	if doc := cdktest.JSON(keys.Resolve(key.Policy())); strings.Contains(doc, "cloudwatch") || strings.Contains(doc, "autoscaling") {
		t.Errorf("a key of another stack got statements: %s; its own stack grants what it allows", doc)
	}
}

func TestTopicsSharingAKeyAddTheStatementsOnce(t *testing.T) {
	stack := scratch(t)
	key := awskms.NewKey(stack, jsii.String("TierKey"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)})
	monitoring.NewTopicWithKey(stack, "Alarms", nil, key)
	monitoring.NewTopicWithKey(stack, "Deploys", nil, key)
	doc := cdktest.JSON(stack.Resolve(key.Policy()))
	for _, sid := range []string{"AllowCloudWatchAlarmsToPublish", "AllowAutoScalingNotifications"} {
		if n := strings.Count(doc, `"Sid":"`+sid+`"`); n != 1 {
			t.Errorf("%d statements %s in %s; want 1", n, sid, doc)
		}
	}
}

func TestNewTopicWithKeyPanicsWithoutAKey(t *testing.T) {
	defer func() {
		want := "monitoring Alarms: key: missing; allowed: a symmetric KMS key (awskms.IKey), or NewTopic"
		if r, _ := recover().(string); !strings.HasPrefix(r, want) {
			t.Errorf("got %q, want a panic starting with %q", r, want)
		}
	}()
	monitoring.NewTopicWithKey(scratch(t), "Alarms", []string{"ops@example.com"}, nil)
}

// Dashboard

// dashboardBody returns the dashboard's JSON with each CloudFormation
// expression in it written as compact JSON.
func dashboardBody(t *testing.T, tpl *cdktest.Template) string {
	t.Helper()
	boards := tpl.Resources("AWS::CloudWatch::Dashboard")
	if len(boards) != 1 {
		t.Fatalf("%d dashboards, want 1", len(boards))
	}
	for _, d := range boards {
		body := cdktest.Props(d)["DashboardBody"]
		join, ok := body.(map[string]any)["Fn::Join"].([]any)
		if !ok {
			return cdktest.JSON(body)
		}
		var b strings.Builder
		for _, part := range join[1].([]any) {
			if s, ok := part.(string); ok {
				b.WriteString(s)
			} else {
				b.WriteString(cdktest.JSON(part))
			}
		}
		return b.String()
	}
	return ""
}

func TestOneDashboardNamedByCloudFormation(t *testing.T) {
	tpl := template(t)
	tpl.ResourceCountIs(t, "AWS::CloudWatch::Dashboard", 1)
	for id, d := range tpl.Resources("AWS::CloudWatch::Dashboard") {
		if name, ok := cdktest.Props(d)["DashboardName"]; ok {
			t.Errorf("%s: DashboardName %v; want none, so that two tiers never collide", id, name)
		}
	}
}

func TestDashboardAlarmWidgetListsEveryAlarm(t *testing.T) {
	tpl := template(t)
	body := dashboardBody(t, tpl)
	start := strings.Index(body, `{"type":"alarm"`)
	if start < 0 {
		t.Fatalf("no alarm status widget in %s", body)
	}
	widget := body[start:]
	widget = widget[:strings.Index(widget, `]}}`)]
	for id := range tpl.Resources(alarmType) {
		if !strings.Contains(widget, cdktest.JSON(map[string]any{"Fn::GetAtt": []any{id, "Arn"}})) {
			t.Errorf("alarm %s is not in the alarm status widget", id)
		}
	}
}

func TestDashboardLinksEachLogGroupInTheConsole(t *testing.T) {
	tpl := template(t)
	body := dashboardBody(t, tpl)
	const console = "](https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:log-groups/log-group/"
	for _, prefix := range []string{"AppLogs", "BootLogs"} {
		ref := cdktest.JSON(map[string]any{"Ref": cdktest.LogicalID(t, tpl, "AWS::Logs::LogGroup", prefix)})
		escaped := cdktest.JSON(map[string]any{"Fn::Join": []any{"$252F", map[string]any{"Fn::Split": []any{"/", map[string]any{"Ref": cdktest.LogicalID(t, tpl, "AWS::Logs::LogGroup", prefix)}}}}})
		if want := "[" + ref + console + escaped + ")"; !strings.Contains(body, want) {
			t.Errorf("no link %s in the dashboard", want)
		}
	}
}

func TestDashboardLinksEscapeTheSlashesOfLogGroupNames(t *testing.T) {
	want := `[` + slowQueryLog + `](https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:log-groups/log-group/$252Faws$252Frds$252Finstance$252Ftierkit$252Fslowquery)`
	if body := dashboardBody(t, template(t)); !strings.Contains(body, want) {
		t.Errorf("no link %s in the dashboard", want)
	}
}

func TestDashboardGraphsTheTier(t *testing.T) {
	body := dashboardBody(t, template(t))
	for _, want := range []string{
		`"AWS/ApplicationELB","RequestCount"`,
		`"AWS/ApplicationELB","HTTPCode_ELB_5XX_Count"`, `"AWS/ApplicationELB","HTTPCode_Target_5XX_Count"`, `"AWS/ApplicationELB","HTTPCode_Target_4XX_Count"`,
		`"AWS/ApplicationELB","TargetResponseTime"`, `"stat":"p50"`, `"stat":"p95"`,
		`"AWS/ApplicationELB","HealthyHostCount"`, `"AWS/ApplicationELB","UnHealthyHostCount"`,
		`"AWS/AutoScaling","GroupDesiredCapacity"`, `"AWS/AutoScaling","GroupInServiceInstances"`,
		`"AWS/RDS","CPUUtilization"`, `"AWS/RDS","FreeStorageSpace"`, `"AWS/RDS","FreeableMemory"`, `"AWS/RDS","DatabaseConnections"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the dashboard has no graph of %s", want)
		}
	}
}

func TestWatchCacheGraphsCacheCPUAndMemoryPerNode(t *testing.T) {
	body := dashboardBody(t, template(t))
	for _, node := range []string{"tierkit-cache-001", "tierkit-cache-002"} {
		for _, metric := range []string{"EngineCPUUtilization", "DatabaseMemoryUsagePercentage"} {
			if want := `"AWS/ElastiCache","` + metric + `","CacheClusterId","` + node + `"`; !strings.Contains(body, want) {
				t.Errorf("the dashboard has no graph of %s", want)
			}
		}
	}
}

func TestFixedDashboardHasNoLogWidgetWithoutLogGroups(t *testing.T) {
	if body := dashboardBody(t, fixed(t)); strings.Contains(body, `"type":"text"`) {
		t.Errorf("a log widget without log groups")
	}
}

// Props

// validProps returns props that pass Validate, with resources imported into a
// stack that is never synthesized.
func validProps(tb testing.TB) monitoring.Props {
	stack := scratch(tb)
	lbARN := "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/0123456789abcdef"
	return monitoring.Props{
		Topic: awssns.Topic_FromTopicArn(stack, jsii.String("Topic"), jsii.String(fixedTopicARN)),
		LoadBalancer: awselasticloadbalancingv2.ApplicationLoadBalancer_FromApplicationLoadBalancerAttributes(stack, jsii.String("LoadBalancer"), &awselasticloadbalancingv2.ApplicationLoadBalancerAttributes{
			LoadBalancerArn: jsii.String(lbARN), SecurityGroupId: jsii.String("sg-0123456789abcdef0"),
		}),
		TargetGroup: awselasticloadbalancingv2.ApplicationTargetGroup_FromTargetGroupAttributes(stack, jsii.String("Targets"), &awselasticloadbalancingv2.TargetGroupAttributes{
			TargetGroupArn:   jsii.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"),
			LoadBalancerArns: jsii.String(lbARN),
		}),
		Database: awsrds.DatabaseInstance_FromDatabaseInstanceAttributes(stack, jsii.String("Database"), &awsrds.DatabaseInstanceAttributes{
			InstanceIdentifier: jsii.String("tierkit"), InstanceEndpointAddress: jsii.String("tierkit.example.com"), Port: jsii.Number(3307),
			SecurityGroups: &[]awsec2.ISecurityGroup{},
		}),
		AutoScalingGroup: awsautoscaling.AutoScalingGroup_FromAutoScalingGroupName(stack, jsii.String("Fleet"), jsii.String("web")),
	}
}

func TestValidPropsPass(t *testing.T) {
	if err := validProps(t).Validate(); err != nil {
		t.Errorf("valid props: %v", err)
	}
}

func TestInvalidProps(t *testing.T) {
	cases := []struct {
		name   string
		change func(*monitoring.Props)
		want   string
	}{
		{"no topic", func(p *monitoring.Props) { p.Topic = nil }, "Topic: missing; allowed: the SNS topic alarms notify, e.g. monitoring.NewTopic"},
		{"no load balancer", func(p *monitoring.Props) { p.LoadBalancer = nil }, "LoadBalancer: missing; allowed: the tier's application load balancer"},
		{"no target group", func(p *monitoring.Props) { p.TargetGroup = nil }, "TargetGroup: missing; allowed: the fleet's application target group"},
		{"no database", func(p *monitoring.Props) { p.Database = nil }, "Database: missing; allowed: the tier's RDS database instance"},
		{"group and instances", func(p *monitoring.Props) { p.Instances = 2 }, "AutoScalingGroup and Instances: both set; allowed: exactly one, the group or the number of fixed servers"},
		{"neither group nor instances", func(p *monitoring.Props) { p.AutoScalingGroup = nil }, "AutoScalingGroup and Instances: neither set; allowed: exactly one, the group or the number of fixed servers"},
		{"negative instances", func(p *monitoring.Props) { p.AutoScalingGroup, p.Instances = nil, -1 }, "Instances: -1 is negative; allowed: the number of fixed servers, or 0 with AutoScalingGroup"},
		{"missing log group", func(p *monitoring.Props) { p.LogGroups = []awslogs.ILogGroup{nil} }, "LogGroups[0]: missing; allowed: a log group"},
		{"singleton group and instance", func(p *monitoring.Props) {
			p.SingletonGroup = p.AutoScalingGroup
			p.SingletonInstance = jsii.String("i-0123456789abcdef0")
		}, "SingletonGroup and SingletonInstance: both set; allowed: at most one, the singleton's group or its instance"},
		{"negative unhealthy hosts", func(p *monitoring.Props) { p.Thresholds.UnhealthyHosts = -1 }, "Thresholds.UnhealthyHosts: -1 is negative; allowed: 1 or more (0 for the default, 1)"},
		{"negative target 5xx", func(p *monitoring.Props) { p.Thresholds.Target5xxPerMinute = -3 }, "Thresholds.Target5xxPerMinute: -3 is negative; allowed: 1 or more (0 for the default, 10)"},
		{"negative free storage", func(p *monitoring.Props) { p.Thresholds.DatabaseFreeStorageGiB = -2 }, "Thresholds.DatabaseFreeStorageGiB: -2 is negative; allowed: 1 or more (0 for the default, 2)"},
		{"database CPU over 100", func(p *monitoring.Props) { p.Thresholds.DatabaseCPUPercent = 101 }, "Thresholds.DatabaseCPUPercent: 101 is over 100; allowed: 1 to 100 (0 for the default, 80)"},
		{"cache CPU over 100", func(p *monitoring.Props) { p.Thresholds.CacheCPUPercent = 150 }, "Thresholds.CacheCPUPercent: 150 is over 100; allowed: 1 to 100 (0 for the default, 90)"},
		{"negative cache memory", func(p *monitoring.Props) { p.Thresholds.CacheMemoryPercent = -5 }, "Thresholds.CacheMemoryPercent: -5 is negative; allowed: 1 to 100 (0 for the default, 90)"},
		{"negative response time", func(p *monitoring.Props) { p.Thresholds.ResponseTimeSeconds = -0.5 }, "Thresholds.ResponseTimeSeconds: -0.5 is not a duration; allowed: more than 0 seconds (0 for the default, 2)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := validProps(t)
			c.change(&p)
			if err := p.Validate(); err == nil || err.Error() != c.want {
				t.Errorf("got %v, want %q", err, c.want)
			}
		})
	}
}

func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	err := monitoring.Props{Thresholds: monitoring.Thresholds{DatabaseCPUPercent: 200}}.Validate()
	for _, field := range []string{"Topic:", "LoadBalancer:", "TargetGroup:", "Database:", "AutoScalingGroup and Instances:", "Thresholds.DatabaseCPUPercent:"} {
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("got %v, want it to name %s", err, field)
		}
	}
}

func TestNewPanicsWithTheConstructIDOnInvalidProps(t *testing.T) {
	defer func() {
		if r, _ := recover().(string); !strings.HasPrefix(r, "monitoring Monitoring: Topic: missing") {
			t.Errorf("got %q, want a panic naming the construct and the field", r)
		}
	}()
	monitoring.New(scratch(t), "Monitoring", &monitoring.Props{})
}

func TestWatchCachePanicsWhenCalledTwice(t *testing.T) {
	p := validProps(t)
	m := monitoring.New(awscdk.Stack_Of(p.Topic), "Monitoring", &p)
	m.WatchCache(jsii.String("tierkit-cache"), 2)
	defer func() {
		if r, _ := recover().(string); !strings.HasPrefix(r, "monitoring Monitoring: WatchCache: called twice") {
			t.Errorf("got %q, want a panic naming the construct", r)
		}
	}()
	m.WatchCache(jsii.String("other-cache"), 2)
}
