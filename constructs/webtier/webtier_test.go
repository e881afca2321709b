package webtier_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/fleet"
	"github.com/tierkit/tierkit/constructs/webtier"
	"github.com/tierkit/tierkit/internal/cdktest"
)

func props(stack awscdk.Stack) *webtier.Props {
	return &webtier.Props{
		DomainName: "app.example.com",
		Zone: awsroute53.HostedZone_FromHostedZoneAttributes(stack, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
			HostedZoneId: jsii.String("Z0123456789ABCDEFGHIJ"), ZoneName: jsii.String("example.com"),
		}),
		Image:           awsec2.MachineImage_GenericLinux(&map[string]*string{"us-east-1": jsii.String("ami-0123456789abcdef0")}, nil),
		HealthCheckPath: "/up",
	}
}

// template is a tier with defaults, plus a log file added after New, as a
// tier adds its application's logs; strict validation and cdk-nag.
var template = cdktest.Shared(func(tb testing.TB) awscdk.Stack {
	app := cdktest.Validated(cdktest.Nagged(cdktest.NewApp(tb, cdktest.Strict())))
	stack := cdktest.NewStack(app, "Test")
	tier := webtier.New(stack, "Tier", props(stack))
	tier.Monitoring().LinkLogGroups(tier.Logs().AddFile("App", "/var/www/app/storage/logs/*.log"))
	return stack
})

func TestNoValidationOrNagFindings(t *testing.T) {
	if findings := cdktest.Findings(t, template(t).Outdir); len(findings) > 0 {
		t.Errorf("%d findings:\n%s", len(findings), strings.Join(findings, "\n"))
	}
}

func logicalID(t *testing.T, typ, prefix string) string {
	t.Helper()
	var found []string
	for id := range *template(t).FindResources(jsii.String(typ), nil) {
		if strings.HasPrefix(id, prefix) {
			found = append(found, id)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s resources starting with %s: %v, want exactly one", typ, prefix, found)
	}
	return found[0]
}

func TestStatefulLogicalIDsArePinned(t *testing.T) {
	want := map[string]string{
		"TierDatabaseInstanceAC06CB03":                                   "Snapshot",
		"TestTierDatabaseSecret123FAFE13fdaad7efa858a3daf9490cf0a702aeb": "Retain",
		"TierAccessLogs1908E510":                                         "Retain",
		"TierUploadsBucket903CB65E":                                      "Retain",
		"TierNetworkFlowLogs52CECBBC":                                    "Retain",
		"TierLogsBoot60317C66":                                           "Retain",
		"TierLogsWebAccess37BEA118":                                      "Retain",
		"TierLogsWebError5EF9F0A7":                                       "Retain",
		"TierLogsAppEA94A56D":                                            "Retain",
		"TierFirewallLogsB95E5F11":                                       "Retain",
		"TierAlertsKey087F2F1E":                                          "Retain",
	}
	resources := template(t).ToJSON()
	for id, policy := range want {
		r, ok := (*resources)["Resources"].(map[string]any)[id].(map[string]any)
		if !ok {
			t.Errorf("no resource %s: renaming a construct of the tier replaces it, and its data", id)
			continue
		}
		if r["DeletionPolicy"] != policy || r["UpdateReplacePolicy"] != policy {
			t.Errorf("%s: DeletionPolicy %v, UpdateReplacePolicy %v; want %s", id, r["DeletionPolicy"], r["UpdateReplacePolicy"], policy)
		}
	}
}

func TestFleetAcceptsOnlyTheLoadBalancerOnTheAppPort(t *testing.T) {
	tpl := template(t)
	cdktest.Check(t, func() {
		tpl.ResourcePropertiesCountIs(jsii.String("AWS::EC2::SecurityGroupIngress"), map[string]any{
			"GroupId": map[string]any{"Fn::GetAtt": []any{"TierFleetSecurityGroup48EC2F86", "GroupId"}},
		}, jsii.Number(1))
	})
	tpl.HasResourceProperties(t, "AWS::EC2::SecurityGroupIngress", map[string]any{
		"GroupId":               map[string]any{"Fn::GetAtt": []any{"TierFleetSecurityGroup48EC2F86", "GroupId"}},
		"SourceSecurityGroupId": map[string]any{"Fn::GetAtt": []any{"TierEdgeSecurityGroupF10D4BE5", "GroupId"}},
		"FromPort":              80, "ToPort": 80, "IpProtocol": "tcp",
	})
}

func TestDatabaseAcceptsOnlyTheFleet(t *testing.T) {
	tpl := template(t)
	cdktest.Check(t, func() {
		tpl.ResourcePropertiesCountIs(jsii.String("AWS::EC2::SecurityGroupIngress"), map[string]any{
			"GroupId": map[string]any{"Fn::GetAtt": []any{"TierDatabaseSecurityGroup0D6BDB49", "GroupId"}},
		}, jsii.Number(1))
	})
	tpl.HasResourceProperties(t, "AWS::EC2::SecurityGroupIngress", map[string]any{
		"GroupId":               map[string]any{"Fn::GetAtt": []any{"TierDatabaseSecurityGroup0D6BDB49", "GroupId"}},
		"SourceSecurityGroupId": map[string]any{"Fn::GetAtt": []any{"TierFleetSecurityGroup48EC2F86", "GroupId"}},
		"FromPort":              3307, "ToPort": 3307,
	})
}

// roleStatements returns the statements of every policy attached to the
// fleet's role, as JSON.
func roleStatements(t *testing.T) string {
	t.Helper()
	var all []any
	for _, p := range *template(t).FindResources(jsii.String("AWS::IAM::Policy"), nil) {
		props := (*p)["Properties"].(map[string]any)
		if !strings.Contains(cdktest.JSON(props["Roles"]), "TierFleetRole87C45DF5") {
			continue
		}
		all = append(all, props["PolicyDocument"].(map[string]any)["Statement"].([]any)...)
	}
	return cdktest.JSON(all)
}

func TestServersCanReadTheDatabaseSecret(t *testing.T) {
	// The attachment's Ref is the secret's ARN, once it holds the instance's host and port.
	if s := roleStatements(t); !strings.Contains(s, `{"Action":["secretsmanager:DescribeSecret","secretsmanager:GetSecretValue"],"Effect":"Allow","Resource":{"Ref":"TierDatabaseSecretAttachmentA7A0BC8F"}}`) {
		t.Errorf("the fleet's role cannot read the database secret:\n%s", s)
	}
}

func TestServersHaveObjectAccessToTheUploadsBucket(t *testing.T) {
	if s := roleStatements(t); !strings.Contains(s, `"s3:PutObject"`) || !strings.Contains(s, `"TierUploadsBucket903CB65E","Arn"`) {
		t.Errorf("the fleet's role has no object access to the uploads bucket:\n%s", s)
	}
}

func TestServersWriteToTheLogGroupsOnly(t *testing.T) {
	s := roleStatements(t)
	for _, group := range []string{"TierLogsBoot60317C66", "TierLogsWebAccess37BEA118", "TierLogsAppEA94A56D"} {
		if !strings.Contains(s, group) {
			t.Errorf("the fleet's role cannot write to %s", group)
		}
	}
	if strings.Contains(s, `"logs:*"`) || strings.Contains(s, `"Action":"*"`) {
		t.Errorf("the fleet's role has wildcard actions:\n%s", s)
	}
}

// userData returns the fleet's boot script as synthesized (CDK tokens as
// CloudFormation expressions).
func userData(t *testing.T) string {
	t.Helper()
	for _, lt := range *template(t).FindResources(jsii.String("AWS::EC2::LaunchTemplate"), nil) {
		return cdktest.JSON((*lt)["Properties"].(map[string]any)["LaunchTemplateData"].(map[string]any)["UserData"])
	}
	t.Fatal("no launch template")
	return ""
}

func TestAgentShipsTheBootWebAndLaterAddedLogs(t *testing.T) {
	ud := userData(t)
	for _, want := range []string{"/var/log/tierkit-boot.log", "/var/log/apache2/*access.log", "/var/log/apache2/*error.log", "/var/www/app/storage/logs/*.log", `{"Ref":"TierLogsAppEA94A56D"}`} {
		if !strings.Contains(ud, want) {
			t.Errorf("the boot script's agent configuration lacks %s", want)
		}
	}
}

func TestLoadBalancerChecksTheTiersHealthPath(t *testing.T) {
	template(t).HasResourceProperties(t, "AWS::ElasticLoadBalancingV2::TargetGroup", map[string]any{"HealthCheckPath": "/up", "Port": 80})
}

func TestLoadBalancerAndUploadsLogToOneLogBucket(t *testing.T) {
	tpl := template(t)
	tpl.HasResourceProperties(t, "AWS::S3::Bucket", map[string]any{
		"LoggingConfiguration": map[string]any{"DestinationBucketName": map[string]any{"Ref": "TierAccessLogs1908E510"}, "LogFilePrefix": "uploads/"},
	})
	tpl.HasResourceProperties(t, "AWS::ElasticLoadBalancingV2::LoadBalancer", map[string]any{
		"LoadBalancerAttributes": assertions.Match_ArrayWith(&[]any{map[string]any{"Key": "access_logs.s3.bucket", "Value": map[string]any{"Ref": "TierAccessLogs1908E510"}}}),
	})
	tpl.ResourceCountIs(t, "AWS::S3::Bucket", 2)
}

func TestTierWorksAsAScopeAndCanBeTaggedAndDependedOn(t *testing.T) {
	app := cdktest.NewApp(t)
	stack := cdktest.NewStack(app, "Test")
	tier := webtier.New(stack, "Tier", props(stack))
	awscdk.Tags_Of(tier).Add(jsii.String("team"), jsii.String("api"), nil)
	other := awscdk.NewCfnWaitConditionHandle(tier, jsii.String("Child"), nil)
	other.Node().AddDependency(tier.Fleet())
	tpl := &cdktest.Template{Template: assertions.Template_FromStack(stack, nil)}
	tpl.HasResourceProperties(t, "AWS::S3::Bucket", map[string]any{
		"Tags": assertions.Match_ArrayWith(&[]any{map[string]any{"Key": "team", "Value": "api"}}),
	})
	tpl.HasResource(t, "AWS::CloudFormation::WaitConditionHandle", map[string]any{"DependsOn": assertions.Match_ArrayWith(&[]any{"TierFleetRole87C45DF5"})})
}

func TestLoadBalancerIsBehindTheWebACL(t *testing.T) {
	template(t).HasResourceProperties(t, "AWS::WAFv2::WebACLAssociation", map[string]any{
		"ResourceArn": map[string]any{"Ref": logicalID(t, "AWS::ElasticLoadBalancingV2::LoadBalancer", "TierEdgeLoadBalancer")},
		"WebACLArn":   map[string]any{"Fn::GetAtt": []any{logicalID(t, "AWS::WAFv2::WebACL", "TierFirewallWebACL"), "Arn"}},
	})
}

func TestFirewallCanBeDisabled(t *testing.T) {
	stack := cdktest.NewStack(cdktest.NewApp(t), "Test")
	p := props(stack)
	p.DisableFirewall = true
	webtier.New(stack, "Tier", p)
	tpl := &cdktest.Template{Template: assertions.Template_FromStack(stack, nil)}
	tpl.ResourceCountIs(t, "AWS::WAFv2::WebACL", 0)
	tpl.ResourceCountIs(t, "AWS::CloudWatch::Alarm", 8)
}

func TestAlarmsAndGroupNotificationsGoToOneTopic(t *testing.T) {
	topic := map[string]any{"Ref": logicalID(t, "AWS::SNS::Topic", "TierAlertsTopic")}
	alarms := template(t).Resources("AWS::CloudWatch::Alarm")
	if len(alarms) != 8 {
		t.Errorf("%d alarms, want 8", len(alarms))
	}
	for id, a := range alarms {
		if got := cdktest.JSON(a["Properties"].(map[string]any)["AlarmActions"]); got != cdktest.JSON([]any{topic}) {
			t.Errorf("%s: AlarmActions %s, want the tier's topic", id, got)
		}
	}
	template(t).HasResourceProperties(t, "AWS::AutoScaling::AutoScalingGroup", map[string]any{
		"NotificationConfigurations": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{"TopicARN": topic})}),
	})
	template(t).ResourceCountIs(t, "AWS::SNS::Topic", 1)
}

func TestDashboardLinksTheLogGroupsOfTheTierAndTheFirewall(t *testing.T) {
	body := cdktest.JSON(template(t).Resources("AWS::CloudWatch::Dashboard"))
	for _, prefix := range []string{"TierLogsBoot", "TierLogsApp", "TierFirewallLogs"} {
		if id := logicalID(t, "AWS::Logs::LogGroup", prefix); !strings.Contains(body, `{"Ref":"`+id+`"}`) {
			t.Errorf("the dashboard does not link %s", id)
		}
	}
}

func TestFleetCanScaleOnRequestsPerServer(t *testing.T) {
	stack := cdktest.NewStack(cdktest.NewApp(t), "Test")
	p := props(stack)
	p.Fleet.ScaleOn, p.Fleet.TargetRequestsPerMinute = fleet.ScaleOnRequests, 600
	webtier.New(stack, "Tier", p)
	tpl := &cdktest.Template{Template: assertions.Template_FromStack(stack, nil)}
	tpl.HasResourceProperties(t, "AWS::AutoScaling::ScalingPolicy", map[string]any{
		"TargetTrackingConfiguration": map[string]any{
			"PredefinedMetricSpecification": assertions.Match_ObjectLike(&map[string]any{"PredefinedMetricType": "ALBRequestCountPerTarget"}),
			"TargetValue":                   600,
		},
	})
	tpl.ResourceCountIs(t, "AWS::AutoScaling::ScalingPolicy", 1)
}

func TestInvalidProps(t *testing.T) {
	stack := awscdk.NewStack(nil, nil, nil)
	valid := props(stack)
	cases := []struct {
		name  string
		patch func(p *webtier.Props)
		want  string
	}{
		{"no domain", func(p *webtier.Props) { p.DomainName = "" }, "DomainName: required"},
		{"no zone", func(p *webtier.Props) { p.Zone = nil }, "Zone: required"},
		{"no image", func(p *webtier.Props) { p.Image = nil }, "Image: required"},
		{"relative health path", func(p *webtier.Props) { p.HealthCheckPath = "up" }, `HealthCheckPath: "up" must start with /`},
		{"wired fleet field", func(p *webtier.Props) { p.Fleet.Image = valid.Image }, "Fleet.Image: set by the tier; leave it empty"},
		{"wired edge field", func(p *webtier.Props) { p.Edge.DomainName = "x.example.com" }, "Edge.DomainName: set by the tier"},
		{"wired boot field", func(p *webtier.Props) { p.Boot.AgentConfig = "{}" }, "Boot.AgentConfig: set by the tier"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := *valid
			c.patch(&p)
			if err := p.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestNewPanicsWithTheConstructID(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "webtier Tier: DomainName: required") {
			t.Errorf("got %v, want a panic naming the tier and the field", r)
		}
	}()
	webtier.New(awscdk.NewStack(nil, nil, nil), "Tier", &webtier.Props{})
}
