package webtier_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/fleet"
	"github.com/tierkit/tierkit/constructs/webtier"
	"github.com/tierkit/tierkit/constructs/webtier/webtiertest"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// props are the tests' tier props in a stack (webtiertest.Props).
var props = webtiertest.Props

// testApp is the profile of the tests: an application in /var/www/app with
// a log file, a boot step and a job on one server (Mode from Job).
type testApp = webtiertest.App

// variantProps takes the other branches (webtiertest.VariantProps): a fixed
// fleet of one, nginx with PHP-FPM, no health path of the caller's (the
// profile's), another web user, the shortest wait for the health path.
var variantProps = webtiertest.VariantProps

// vhost is the golden server's vhost.
const vhost = webtiertest.Vhost

// tiers builds the package's test stacks (webtiertest) in one app,
// synthesized once in strict mode (validation warnings fail);
// internal/conformance checks the same stacks with CloudFormation
// validation and cdk-nag.
var tiers = cdktest.Variants(func(tb testing.TB) map[string]awscdk.Stack {
	f := webtiertest.New(cdktest.NewApp(tb, cdktest.Strict()))
	broughtWarnings, releasedTier = f.BroughtWarnings, f.Released
	return f.Stacks
})

var (
	// template is a tier with defaults and the test profile.
	template = tiers("Test")
	// variant is the tier of variantProps with the job on every server.
	variant = tiers("Variant")
	// keyed is the tier with its own customer-managed key.
	keyed = tiers("Keyed")
	// brought is the tier with its own key, the team's uploads bucket and a
	// database restored from their snapshot, with an application that adds
	// a CORS origin.
	brought = tiers("Brought")
	// broughtWarnings are the warnings on the brought tier's uploads block.
	broughtWarnings []string
)

const teamBucket = webtiertest.TeamBucket

func TestAnExistingBucketIsNotCreatedNorGivenTheTiersKey(t *testing.T) {
	tpl := brought(t)
	for id := range tpl.Resources("AWS::S3::Bucket") {
		if id != "TierAccessLogs1908E510" {
			t.Errorf("bucket %s created; want only the access log bucket", id)
		}
	}
	for id, p := range tpl.Resources("AWS::IAM::Policy") {
		if s := cdktest.JSON(p); strings.Contains(s, "kms:ViaService") && strings.Contains(s, "s3.") {
			t.Errorf("policy %s grants the tier's key through S3: %s", id, s)
		}
	}
}

func TestAnExistingBucketIsBackedUpAndOutput(t *testing.T) {
	tpl := brought(t)
	if selection := cdktest.JSON(tpl.Resources("AWS::Backup::BackupSelection")); !strings.Contains(selection, `arn:aws:s3:::`+teamBucket) {
		t.Errorf("the backup selection does not cover the team's bucket:\n%s", selection)
	}
	cdktest.Check(t, func() {
		tpl.HasOutput(jsii.String("*"), map[string]any{"Description": "The uploads bucket", "Value": teamBucket})
	})
}

func TestAnExistingBucketWarnsOfTheApplicationsCORSOrigins(t *testing.T) {
	brought(t)
	want := regexp.MustCompile(`team-uploads is an existing one.*allow GET, HEAD, PUT and POST from https://example\.com on it yourself.*\[ack: tierkit-webtier:uploadsCors\]`)
	if len(broughtWarnings) != 1 || !want.MatchString(broughtWarnings[0]) {
		t.Errorf("warnings on the uploads block: %q; want one matching %s", broughtWarnings, want)
	}
}

func TestARestoredDatabaseIsBackedUpAndItsSecretUsesTheTiersKey(t *testing.T) {
	tpl := brought(t)
	tpl.HasResourceProperties(t, "AWS::RDS::DBInstance", map[string]any{"DBSnapshotIdentifier": "app-final", "KmsKeyId": assertions.Match_Absent()})
	key := cdktest.LogicalID(t, tpl, "AWS::KMS::Key", "TierKey")
	tpl.HasResourceProperties(t, "AWS::SecretsManager::Secret", map[string]any{"KmsKeyId": map[string]any{"Fn::GetAtt": []any{key, "Arn"}}})
	if selection := cdktest.JSON(tpl.Resources("AWS::Backup::BackupSelection")); !strings.Contains(selection, `{"Ref":"TierDatabaseInstanceAC06CB03"}`) {
		t.Errorf("the backup selection does not cover the restored database:\n%s", selection)
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
		"TierBackupVault9E9E8D74":                                        "Retain",
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

func TestACustomerManagedKeyEncryptsTheTiersData(t *testing.T) {
	tpl := keyed(t)
	key := cdktest.LogicalID(t, tpl, "AWS::KMS::Key", "TierKey")
	keyArn := `{"Fn::GetAtt":["` + key + `","Arn"]}`
	tpl.HasResource(t, "AWS::KMS::Key", map[string]any{
		"Properties":     assertions.Match_ObjectLike(&map[string]any{"EnableKeyRotation": true}),
		"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
	})
	checks := map[string]string{
		"AWS::Logs::LogGroup":         `"KmsKeyId":` + keyArn,
		"AWS::RDS::DBInstance":        `"KmsKeyId":` + keyArn,
		"AWS::SecretsManager::Secret": `"KmsKeyId":` + keyArn,
		"AWS::Backup::BackupVault":    `"EncryptionKeyArn":` + keyArn,
		"AWS::SNS::Topic":             `"KmsMasterKeyId":` + keyArn,
		"AWS::S3::Bucket":             `"KMSMasterKeyID":` + keyArn,
	}
	for typ, want := range checks {
		found := false
		for _, r := range tpl.Resources(typ) {
			if strings.Contains(cdktest.JSON(r), want) {
				found = true
			}
		}
		if !found {
			t.Errorf("no %s encrypted with the tier's key (%s)", typ, want)
		}
	}
	for id, g := range tpl.Resources("AWS::Logs::LogGroup") {
		if strings.HasPrefix(id, "TierLogs") && !strings.Contains(cdktest.JSON(g), keyArn) {
			t.Errorf("log group %s is not encrypted with the tier's key", id)
		}
	}
}

func TestTheDatabaseAndTheUploadsAreBackedUp(t *testing.T) {
	tpl := template(t)
	selection := cdktest.JSON(tpl.Resources("AWS::Backup::BackupSelection"))
	for _, want := range []string{`{"Ref":"TierDatabaseInstanceAC06CB03"}`, `{"Fn::GetAtt":["TierUploadsBucket903CB65E","Arn"]}`} {
		if !strings.Contains(selection, want) {
			t.Errorf("the backup selection does not cover %s:\n%s", want, selection)
		}
	}
	tpl.ResourceCountIs(t, "AWS::Backup::BackupPlan", 1)
}

func TestBackupCanBeDisabled(t *testing.T) {
	stack := cdktest.NewStack(cdktest.NewApp(t), "Test")
	p := props(stack)
	p.DisableBackup = true
	webtier.New(stack, "Tier", p, &testApp{})
	tpl := &cdktest.Template{Template: assertions.Template_FromStack(stack, nil)}
	tpl.ResourceCountIs(t, "AWS::Backup::BackupPlan", 0)
	tpl.ResourceCountIs(t, "AWS::Backup::BackupVault", 0)
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

func TestAgentShipsTheBootWebAndLaterAddedLogs(t *testing.T) {
	ud := cdktest.BootScript(t, template(t))
	for _, want := range []string{"/var/log/tierkit-boot.log", "/var/log/apache2/*access.log", "/var/log/apache2/*error.log", "/var/www/app/storage/logs/*.log", `"log_group_name":"` + cdktest.RefValue("TierLogsAppEA94A56D") + `"`} {
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
	tier := webtier.New(stack, "Tier", props(stack), &testApp{})
	awscdk.Tags_Of(tier).Add(jsii.String("team"), jsii.String("api"), nil)
	other := awscdk.NewCfnWaitConditionHandle(tier, jsii.String("Child"), nil)
	other.Node().AddDependency(tier.Fleet())
	tpl := &cdktest.Template{Template: assertions.Template_FromStack(stack, nil)}
	tpl.HasResourceProperties(t, "AWS::S3::Bucket", map[string]any{
		"Tags": assertions.Match_ArrayWith(&[]any{map[string]any{"Key": "team", "Value": "api"}}),
	})
	tpl.HasResource(t, "AWS::CloudFormation::WaitConditionHandle", map[string]any{"DependsOn": assertions.Match_ArrayWith(&[]any{"TierFleetRole87C45DF5"})})
	if tier.App().Attached == nil || tier.App().Attached.Props().HealthCheckPath != "/up" {
		t.Errorf("the profile was not attached to the tier with its resolved props")
	}
	if tier.LoadBalancer() == nil || tier.Database() == nil || tier.Uploads() == nil || tier.Logs() == nil || tier.Edge() == nil ||
		tier.Network() == nil || tier.Monitoring() == nil || tier.MonitoringTopic() == nil || tier.Firewall() == nil || tier.AccessLogBucket() == nil ||
		tier.AppLogGroup("App") == nil {
		t.Errorf("an accessor returned nil")
	}
	if got := tier.BootSteps(); !slices.Equal(got, []string{"cron-off", "rds-ca", "app-settings", "app-job"}) {
		t.Errorf("BootSteps() = %q; want the AMI's cron off first, the CA bundle, the app's steps, its job last", got)
	}
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
	webtier.New(stack, "Tier", p, &testApp{})
	tpl := &cdktest.Template{Template: assertions.Template_FromStack(stack, nil)}
	tpl.ResourceCountIs(t, "AWS::WAFv2::WebACL", 0)
	tpl.ResourceCountIs(t, "AWS::CloudWatch::Alarm", 10)
}

func TestAlarmsAndGroupNotificationsGoToOneTopic(t *testing.T) {
	topic := map[string]any{"Ref": logicalID(t, "AWS::SNS::Topic", "TierAlertsTopic")}
	alarms := template(t).Resources("AWS::CloudWatch::Alarm")
	if len(alarms) != 10 {
		t.Errorf("%d alarms, want 10", len(alarms))
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
	webtier.New(stack, "Tier", p, &testApp{})
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
		{"web server set in Boot", func(p *webtier.Props) { p.Boot.WebServer = "nginx" }, "Boot.WebServer: set by the tier"},
		{"unknown web server", func(p *webtier.Props) { p.WebServer = "caddy" }, `WebServer: "caddy" is not supported; allowed: apache2, httpd, nginx`},
		{"php-fpm unit", func(p *webtier.Props) { p.PHPFPMUnit = "php fpm" }, `PHPFPMUnit: "php fpm" is not a systemd unit name`},
		{"php-fpm is the web server", func(p *webtier.Props) { p.PHPFPMUnit = "apache2" }, `PHPFPMUnit: "apache2" is the web server`},
		{"web user", func(p *webtier.Props) { p.WebUser = "Www Data" }, `WebUser: "Www Data" is not a user name`},
		{"relative cron file", func(p *webtier.Props) { p.CronFiles = []string{"cron.d/app"} }, `CronFiles[0]: "cron.d/app" is not a clean absolute file path`},
		{"cron file with %", func(p *webtier.Props) { p.CronFiles = []string{"/etc/cron.d/100%"} }, `CronFiles[0]: "/etc/cron.d/100%" is not a clean absolute file path`},
		{"cron file twice", func(p *webtier.Props) { p.CronFiles = []string{"/etc/cron.d/a", "/etc/cron.d/a"} }, `CronFiles[1]: "/etc/cron.d/a" is listed twice`},
		{"the job's own cron file", func(p *webtier.Props) { p.CronFiles = []string{"/etc/cron.d/tierkit-app"} }, `CronFiles[0]: "/etc/cron.d/tierkit-app" is the tier's own entry for the app's job`},
		{"emails with a topic", func(p *webtier.Props) { p.AlarmEmails, p.Monitoring.Topic = []string{"ops@example.com"}, topic(stack) }, "AlarmEmails: set with Monitoring.Topic"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := *valid
			c.patch(&p)
			if err := webtier.Validate(&p, &testApp{}); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestJobModes(t *testing.T) {
	valid := props(awscdk.NewStack(nil, nil, nil))
	for _, c := range []struct {
		name, mode string
		fleet      fleet.Props
		want       string
	}{
		{"unknown", "all", fleet.Props{}, `Jobs: "all" is not supported; allowed: single-node, off, every-node`},
		{"every node in an Auto Scaling group", webtier.JobEveryNode, fleet.Props{}, `Jobs: "every-node" runs the app's job on each of several servers (an Auto Scaling group always can scale to more than one); allowed: single-node, off`},
		{"every node on two servers", webtier.JobEveryNode, fleet.Props{Mode: fleet.Fixed}, `Jobs: "every-node" runs the app's job on each of several servers (Fleet Mode fixed with 2 instances)`},
		{"every node on one server", webtier.JobEveryNode, fleet.Props{Mode: fleet.Fixed, Instances: 1}, ""},
		{"off", webtier.JobOff, fleet.Props{}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := *valid
			p.Fleet = c.fleet
			err := webtier.Validate(&p, &testApp{Job: c.mode})
			if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
				t.Errorf("got %v, want %q", err, c.want)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	err := webtier.Validate(&webtier.Props{WebServer: "caddy", CronFiles: []string{"x"}}, &testApp{Job: "all"})
	for _, field := range []string{"DomainName: ", "; Zone: ", "; Image: ", "; WebServer: ", "; CronFiles[0]: ", "; Jobs: "} {
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("got %v, want a problem with %s", err, strings.Trim(field, "; "))
		}
	}
	if err := webtier.Validate(props(awscdk.NewStack(nil, nil, nil)), nil); err == nil || !strings.Contains(err.Error(), "App: required") {
		t.Errorf("without a profile: got %v", err)
	}
	if err := webtier.Validate(props(awscdk.NewStack(nil, nil, nil)), (*testApp)(nil)); err == nil || !strings.Contains(err.Error(), "App: required") {
		t.Errorf("with a nil profile pointer: got %v", err)
	}
}

func TestNewPanicsWithTheApplicationAndTheConstructID(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "testapp Tier: DomainName: required") {
			t.Errorf("got %v, want a panic naming the application, the tier and the field", r)
		}
	}()
	webtier.New(awscdk.NewStack(nil, nil, nil), "Tier", &webtier.Props{}, &testApp{})
}

func topic(stack awscdk.Stack) awssns.ITopic {
	return awssns.Topic_FromTopicArn(stack, jsii.String("Topic"), jsii.String("arn:aws:sns:us-east-1:123456789012:ops"))
}
