package webtier_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/constructs/fleet"
	"github.com/tierkit/tierkit/constructs/webtier"
	"github.com/tierkit/tierkit/internal/cdktest"
	"github.com/tierkit/tierkit/internal/fakeaws"
)

// What the web tier does for every profile: the caller's props over the
// profile's defaults, the job on one server, the AMI's cron entries off,
// the golden IP rewritten, the outputs.

func TestTheProfilesHealthPathUnlessTheCallerSetsOne(t *testing.T) {
	template(t).HasResourceProperties(t, "AWS::ElasticLoadBalancingV2::TargetGroup", map[string]any{"HealthCheckPath": "/up"})
	variant(t).HasResourceProperties(t, "AWS::ElasticLoadBalancingV2::TargetGroup", map[string]any{"HealthCheckPath": "/health"})
}

// tagged reports whether CloudFormation tags hold key=true.
func tagged(tags any, key string) bool {
	for _, tag := range cdktest.AsList(tags) {
		if tag, ok := tag.(map[string]any); ok && tag["Key"] == key && tag["Value"] == "true" {
			return true
		}
	}
	return false
}

func TestOneJobServerInAnAutoScalingFleet(t *testing.T) {
	tpl := template(t)
	var singletons, others []string
	for id, g := range tpl.Resources("AWS::AutoScaling::AutoScalingGroup") {
		p := cdktest.Props(g)
		if tagged(p["Tags"], fleet.SingletonTag) {
			singletons = append(singletons, id)
			if p["MinSize"] != "1" || p["MaxSize"] != "1" || !strings.Contains(cdktest.JSON(p["Tags"]), `"PropagateAtLaunch":true`) {
				t.Errorf("%s: MinSize %v, MaxSize %v, tags %s; want one server that carries the tag", id, p["MinSize"], p["MaxSize"], cdktest.JSON(p["Tags"]))
			}
		} else {
			others = append(others, id)
		}
	}
	if len(singletons) != 1 || len(others) != 1 {
		t.Errorf("singleton groups %v, other groups %v; want one of each", singletons, others)
	}
	tpl.HasResourceProperties(t, "AWS::EC2::LaunchTemplate", map[string]any{
		"LaunchTemplateData": assertions.Match_ObjectLike(&map[string]any{
			"MetadataOptions": assertions.Match_ObjectLike(&map[string]any{"InstanceMetadataTags": "enabled", "HttpTokens": "required"}),
		}),
	})
}

// Two more tiers in one app, synthesized without validation: fixed is two
// fixed servers without any AMI cron file (CronFiles []); off has the job
// off and lists its own cron files.
var (
	fixedTier, offTier *webtier.Tier[*testApp]
	fixed              = cdktest.Shared(func(tb testing.TB) awscdk.Stack {
		app := cdktest.NewApp(tb)
		stack := cdktest.NewStack(app, "Fixed")
		p := props(stack)
		p.Fleet, p.CronFiles = fleet.Props{Mode: fleet.Fixed, Instances: 2}, []string{}
		fixedTier = webtier.New(stack, "Tier", p, &testApp{})
		offStack := cdktest.NewStack(app, "Off")
		p = props(offStack)
		p.CronFiles = []string{"/etc/cron.d/app-schedule", "/var/spool/cron/crontabs/www-data"}
		offTier = webtier.New(offStack, "Tier", p, &testApp{Job: webtier.JobOff})
		rhelStack := cdktest.NewStack(app, "RHEL")
		rhelTier = webtier.New(rhelStack, "Tier", rhelProps(rhelStack), &testApp{})
		return stack
	})
	off = cdktest.Shared(func(tb testing.TB) awscdk.Stack {
		fixed(tb)
		return awscdk.Stack_Of(offTier)
	})
)

func TestOneJobServerInAFixedFleet(t *testing.T) {
	var singletons []string
	instances := fixed(t).Resources("AWS::EC2::Instance")
	for id, i := range instances {
		if tagged(cdktest.Props(i)["Tags"], fleet.SingletonTag) {
			singletons = append(singletons, id)
		}
	}
	if len(instances) != 2 || len(singletons) != 1 || !strings.HasPrefix(singletons[0], "TierFleetServer1") {
		t.Errorf("%d instances, singletons %v; want Server1 only", len(instances), singletons)
	}
}

func TestNoJobServerWhenTheJobIsOff(t *testing.T) {
	tpl := off(t)
	tpl.ResourceCountIs(t, "AWS::AutoScaling::AutoScalingGroup", 1)
	if strings.Contains(cdktest.JSON(tpl.Resources("AWS::AutoScaling::AutoScalingGroup")), fleet.SingletonTag) {
		t.Errorf("job off: a group carries the singleton tag")
	}
}

func TestWebServerLogsFollowTheWebServer(t *testing.T) {
	ud := cdktest.BootScript(t, variant(t))
	for _, want := range []string{"WEB_SERVER='nginx'", "/var/log/nginx/*access.log", "/var/log/nginx/*error.log"} {
		if !strings.Contains(ud, want) {
			t.Errorf("the nginx variant's user data lacks %s", want)
		}
	}
}

func TestOutputsNameWhatATeamLooksUp(t *testing.T) {
	outputs := (*template(t).ToJSON())["Outputs"].(map[string]any)
	want := map[string]string{
		"TierServiceURL":      `"https://app.example.com"`,
		"TierLoadBalancerDNS": `{"Fn::GetAtt":["TierEdgeLoadBalancer`,
		"TierUploadsBucket":   `{"Ref":"TierUploadsBucket903CB65E"}`,
		"TierDashboardURL":    `#dashboards:name=",{"Ref":"TierMonitoringDashboard`,
		"TierLogGroups":       `{"Ref":"TierLogsAppEA94A56D"}`,
	}
	for prefix, value := range want {
		found := false
		for id, o := range outputs {
			if strings.HasPrefix(id, prefix) {
				found = true
				if got := cdktest.JSON(o.(map[string]any)["Value"]); !strings.Contains(got, value) {
					t.Errorf("output %s = %s, want it to hold %s", id, got, value)
				}
			}
		}
		if !found {
			t.Errorf("no output %s*: %v", prefix, outputs)
		}
	}
}

func TestRenderedUserDataPassesShellcheckAndFits(t *testing.T) {
	cdktest.CheckUserData(t, map[string]*cdktest.Template{"default": template(t), "variant": variant(t)})
}

// The boot script, run as deployed (references resolved) on a copy of the
// golden server.

func newMachine(t *testing.T, singleton bool) *fakeaws.Machine {
	t.Helper()
	m := fakeaws.NewGoldenMachine(t, singleton, nil, fakeaws.Golden{
		Host: "app.example.com", Vhost: vhost, DocumentRoot: "/var/www/app",
		CronFile: "/etc/cron.d/app", CronLine: "* * * * * www-data php /var/www/app/job.php",
	})
	cdktest.WriteFile(t, filepath.Join(m.Root, "var/www/app/job.php"), "<?php\n", 0o644)
	return m
}

func bootOn(t *testing.T, m *fakeaws.Machine, tpl *cdktest.Template) fakeaws.Result {
	t.Helper()
	r := m.Boot(t, tpl)
	if r.Err != nil {
		t.Fatalf("boot failed: %v\n%s", r.Err, r.Console)
	}
	return r
}

func TestGoldenIPIsReplacedByTheServersOwn(t *testing.T) {
	m := newMachine(t, false)
	bootOn(t, m, template(t))
	if got := m.Read(t, "etc/hosts"); got != "127.0.0.1 localhost\n10.0.2.33 app.example.com app\n" {
		t.Errorf("/etc/hosts: %q", got)
	}
	if got := m.Read(t, vhost); !strings.HasPrefix(got, "<VirtualHost 10.0.2.33:80>") {
		t.Errorf("vhost: %q", got)
	}
}

func TestJobRunsOnTheSingletonOnly(t *testing.T) {
	m := newMachine(t, true)
	r := bootOn(t, m, template(t))
	want := `# Written at boot by tierkit: the app's job on this server only.
SHELL=/bin/sh
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
* * * * * www-data [ -e /var/lib/tierkit/boot-ok ] && cd /var/www/app && php job.php >> /dev/null 2>&1
`
	if got := m.Read(t, "etc/cron.d/tierkit-app"); got != want {
		t.Errorf("singleton's cron entry:\n%s\nwant:\n%s", got, want)
	}
	if m.Exists("etc/cron.d/app") || !m.Exists("etc/cron.d/.app.disabled-by-tierkit") {
		t.Errorf("the AMI's /etc/cron.d/app is not disabled on the singleton")
	}
	for _, c := range []string{"systemctl enable cron", "systemctl reload-or-restart cron"} {
		if !slices.Contains(r.Calls, c) {
			t.Errorf("calls %q lack %q", r.Calls, c)
		}
	}
	if got := m.Read(t, "var/www/app/settings"); got != "app settings\n" {
		t.Errorf("the profile's step did not run: %q", got)
	}

	// A server made from an AMI of the singleton carries its entry: gone too.
	other := newMachine(t, false)
	cdktest.WriteFile(t, filepath.Join(other.Root, "etc/cron.d/tierkit-app"), want, 0o644)
	r = bootOn(t, other, template(t))
	if other.Exists("etc/cron.d/tierkit-app") || other.Exists("etc/cron.d/app") || !other.Exists("etc/cron.d/.app.disabled-by-tierkit") {
		t.Errorf("a server that is not the singleton still has a job entry")
	}
	if !strings.Contains(r.Log, "not the singleton: the app's job not run here") {
		t.Errorf("the log does not say why the job is off:\n%s", r.Log)
	}
}

func TestJobOnEveryNodeRunsOnAServerThatIsNotTheSingleton(t *testing.T) {
	m := newMachine(t, false)
	r := bootOn(t, m, variant(t))
	if got := m.Read(t, "etc/cron.d/tierkit-app"); !strings.Contains(got, "* * * * * nginx [ -e /var/lib/tierkit/boot-ok ] && cd /var/www/app && php job.php") {
		t.Errorf("every-node: cron entry %q", got)
	}
	if r.Calls[0] != "systemctl stop nginx" || r.Calls[len(r.Calls)-1] != "systemctl restart nginx" {
		t.Errorf("calls %q: want nginx stopped first and started last", r.Calls)
	}
}

func TestBootFailsWhenTheJobsFileIsMissing(t *testing.T) {
	m := newMachine(t, true)
	if err := removeFile(m, "var/www/app/job.php"); err != nil {
		t.Fatal(err)
	}
	r := m.Boot(t, template(t))
	if r.Err == nil || !strings.Contains(r.Log, "no /var/www/app/job.php: not the app's root") {
		t.Errorf("want the boot to fail in the job's step (err %v):\n%s", r.Err, r.Log)
	}
}

func removeFile(m *fakeaws.Machine, rel string) error { return os.Remove(filepath.Join(m.Root, rel)) }

func TestBootKeepsTheAMIsCABundleWhenTheTruststoreIsDown(t *testing.T) {
	m := newMachine(t, false)
	m.AWS.NoBundle = true
	if r := m.Boot(t, template(t)); r.Err == nil || !strings.Contains(r.Log, "rds-ca: no RDS CA bundle") {
		t.Errorf("without a bundle, want the boot to fail in rds-ca (err %v):\n%s", r.Err, r.Log)
	}
	m = newMachine(t, false)
	m.AWS.NoBundle = true
	cdktest.WriteFile(t, filepath.Join(m.Root, "etc/ssl/certs/rds-global-bundle.pem"), fakeaws.CABundle, 0o644)
	if r := m.Boot(t, template(t)); r.Err != nil || !strings.Contains(r.Log, "failed; keeping the AMI's bundle") {
		t.Errorf("with the AMI's bundle, want the boot to go on (err %v):\n%s", r.Err, r.Log)
	}
	if got := m.Read(t, "etc/ssl/certs/rds-global-bundle.pem"); got != fakeaws.CABundle {
		t.Errorf("the AMI's bundle changed: %q", got)
	}
}

func TestRDSCABundleIsFetchedBeforeTheApplicationsSteps(t *testing.T) {
	m := newMachine(t, false)
	r := bootOn(t, m, template(t))
	if got := m.Read(t, "etc/ssl/certs/rds-global-bundle.pem"); got != fakeaws.CABundle {
		t.Errorf("RDS CA bundle %q, want the truststore's", got)
	}
	if ca, app := strings.Index(r.Log, "step rds-ca"), strings.Index(r.Log, "step app-settings"); ca < 0 || app < ca {
		t.Errorf("want rds-ca before the application's steps:\n%s", r.Log)
	}
}

// TestCronFilesReplaceTheProfilesDefault: the caller's list replaces the
// profile's (its default file stays untouched), an empty list disables
// nothing and adds no step.
func TestCronFilesReplaceTheProfilesDefault(t *testing.T) {
	tpl := off(t)
	if got := fixedTier.BootSteps(); slices.Contains(got, "cron-off") {
		t.Errorf("CronFiles []: steps %q, want no cron-off", got)
	}
	m := newMachine(t, false)
	cdktest.WriteFile(t, filepath.Join(m.Root, "etc/cron.d/app-schedule"), "* * * * * www-data true\n", 0o644)
	cdktest.WriteFile(t, filepath.Join(m.Root, "var/spool/cron/crontabs/www-data"), "* * * * * true\n", 0o600)
	bootOn(t, m, tpl)
	for _, f := range []string{"etc/cron.d/.app-schedule.disabled-by-tierkit", "var/spool/cron/crontabs/.www-data.disabled-by-tierkit"} {
		if !m.Exists(f) {
			t.Errorf("%s missing: a listed cron entry is not disabled", f)
		}
	}
	if !m.Exists("etc/cron.d/app") {
		t.Errorf("/etc/cron.d/app, the profile's default but not listed, was touched")
	}
	if got := offTier.BootSteps(); got[0] != "cron-off" {
		t.Errorf("steps %q: want cron-off first", got)
	}
}

func TestRolloutStopsOnTheTiersAlarms(t *testing.T) {
	tpl := template(t)
	var want []any
	for _, prefix := range []string{"TierMonitoringUnhealthyHosts", "TierMonitoringTarget5xx", "TierMonitoringBootFailed"} {
		want = append(want, map[string]any{"Ref": cdktest.LogicalID(t, tpl, "AWS::CloudWatch::Alarm", prefix)})
	}
	groups := tpl.Resources("AWS::AutoScaling::AutoScalingGroup")
	for id, g := range groups {
		if !strings.HasPrefix(id, "TierFleetGroup") {
			continue
		}
		prefs := g["UpdatePolicy"].(map[string]any)["AutoScalingInstanceRefresh"].(map[string]any)["Preferences"].(map[string]any)
		if got := cdktest.JSON(prefs["AlarmSpecification"]); got != cdktest.JSON(map[string]any{"Alarms": want}) {
			t.Errorf("%s: the instance refresh watches %s, want the unhealthy hosts, target 5xx and failed boot alarms", id, got)
		}
	}
}

func TestBootChecksTheHealthPathBeforeItSignals(t *testing.T) {
	if bs := cdktest.BootScript(t, template(t)); !strings.Contains(bs, `health_url="${TIERKIT_HEALTH_BASE:-http://$LOCAL_IP:80}"'/up'`) {
		t.Errorf("the boot script does not request the tier's health path on the server's own address and port")
	}
}

func TestBootSignalsSuccessOnceItAnswersTheHealthPath(t *testing.T) {
	m := newMachine(t, false)
	bootOn(t, m, template(t))
	var got []string
	for _, s := range m.AWS.Signals() {
		got = append(got, s.Action+" "+s.Status)
	}
	if want := []string{"SignalResource SUCCESS", "CompleteLifecycleAction CONTINUE"}; !slices.Equal(got, want) {
		t.Errorf("signals %v, want %v", got, want)
	}
}

func TestBootSignalsFailureWhenAStepFails(t *testing.T) {
	m := newMachine(t, true)
	if err := removeFile(m, "var/www/app/job.php"); err != nil {
		t.Fatal(err)
	}
	if r := m.Boot(t, template(t)); r.Err == nil {
		t.Fatalf("the boot succeeded without the job's file:\n%s", r.Log)
	}
	var got []string
	for _, s := range m.AWS.Signals() {
		got = append(got, s.Action+" "+s.Status)
	}
	if want := []string{"SignalResource FAILURE", "CompleteLifecycleAction ABANDON"}; !slices.Equal(got, want) {
		t.Errorf("signals %v, want %v", got, want)
	}
	if got := m.Read(t, "var/lib/tierkit/boot-failed"); !strings.Contains(got, "step app-job failed") {
		t.Errorf("boot-failed %q, want the failed step's name", got)
	}
}

func TestAFixedFleetsSingletonIsWatched(t *testing.T) {
	tpl := fixed(t)
	server1 := cdktest.LogicalID(t, tpl, "AWS::EC2::Instance", "TierFleetServer1")
	tpl.HasResourceProperties(t, "AWS::CloudWatch::Alarm", map[string]any{
		"MetricName": "StatusCheckFailed", "Dimensions": []any{map[string]any{"Name": "InstanceId", "Value": map[string]any{"Ref": server1}}},
	})
}

// TestAnImportersExtraStepsFitAtWorstCase: an importer's step with 20
// deploy-time values of its own (a bucket, a queue, endpoints...) on top of
// the tier's still fits EC2's user data limit with every value at its worst
// case; past about 25, synthesis refuses (the fleet's tests).
func TestAnImportersExtraStepsFitAtWorstCase(t *testing.T) {
	app := cdktest.NewApp(t)
	stack := cdktest.NewStack(app, "Importer")
	tier := webtier.New(stack, "Tier", variantProps(stack), &testApp{Job: webtier.JobEveryNode})
	values := []string{}
	for i := range 20 {
		values = append(values, boot.Quote(*awscdk.Fn_ImportValue(jsii.String(fmt.Sprintf("importer-value-%02d", i)))))
	}
	tier.Fleet().Boot().AddStep("importer", `printf '%s\n' `+strings.Join(values, " ")+` >"$ROOT/etc/importer"`)
	tpl := &cdktest.Template{Template: assertions.Template_FromStack(stack, nil), Outdir: *app.Outdir()}
	if got := len(cdktest.BootOf(t, tpl, cdktest.FakeValue).Values); got < 20 {
		t.Fatalf("%d deploy-time values, want the importer's 20 and the tier's", got)
	}
	cdktest.CheckUserData(t, map[string]*cdktest.Template{"importer": tpl})
}
