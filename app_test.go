package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/internal/cdktest"
	"github.com/tierkit/tierkit/internal/config"
	"github.com/tierkit/tierkit/internal/review"
)

// runMainEnv makes the test binary run the app's main instead of the tests,
// so that tests can check what a real synth process prints and returns.
const runMainEnv = "TIERKIT_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) != "" {
		os.Exit(run(os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// twoTiers is an environment that deploys both tiers to a pinned account.
const twoTiers = `{"prod": {
  "account": "123456789012", "region": "eu-west-1", "availabilityZones": ["eu-west-1a", "eu-west-1b"],
  "domainName": "example.org", "hostedZone": {"id": "Z0123456789ABCDEFGHIJ", "name": "example.org"},
  "ami": {"eu-west-1": "ami-0123456789abcdef0"},
  "tiers": {"laravel": {}, "nextcloud": {}}}}`

// selectEnv returns the environment that app's context selects.
func selectEnv(t *testing.T, app awscdk.App) config.Environment {
	t.Helper()
	env, err := selectEnvironment(app)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func withEnvironments(t *testing.T, environments string) cdktest.Option {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(environments), &v); err != nil {
		t.Fatal(err)
	}
	return cdktest.WithContext(map[string]any{config.EnvironmentsKey: v})
}

var (
	defaultOnce    sync.Once
	defaultFound   []string
	defaultFailure any
	defaultOutdir  string
)

// defaultFindings synthesizes the default app once, as `cdk synth` does, with
// CloudFormation validation and cdk-nag's AwsSolutions checks, and returns the
// findings of one plugin ("CloudFormation Validate", or "Construct
// Annotations" for cdk-nag and construct warnings).
func defaultFindings(t *testing.T, plugin string) []string {
	t.Helper()
	defaultOnce.Do(func() {
		defer func() { defaultFailure = recover() }()
		// The CLI asks for construct paths in the template's metadata.
		app := cdktest.Validated(cdktest.NewApp(cdktest.Lasting(t), cdktest.WithContext(map[string]any{"aws:cdk:enable-path-metadata": true})))
		holdToAwsSolutions(app)
		build(app, selectEnv(t, app))
		app.Synth(nil)
		defaultOutdir = *app.Outdir()
		defaultFound = cdktest.Findings(t, defaultOutdir)
	})
	if defaultFailure != nil {
		t.Fatalf("synthesizing the default app: %v", defaultFailure)
	}
	var found []string
	for _, f := range defaultFound {
		if strings.HasPrefix(f, plugin+" ") {
			found = append(found, f)
		}
	}
	return found
}

func TestDefaultAppHasNoCloudFormationValidationFindings(t *testing.T) {
	if findings := defaultFindings(t, "CloudFormation Validate"); len(findings) > 0 {
		t.Errorf("%d findings:\n%s", len(findings), strings.Join(findings, "\n"))
	}
}

// TestDefaultAppHasNoNagFindingsOrConstructWarnings reads the annotations:
// unsuppressed cdk-nag findings, and the warnings constructs attach.
func TestDefaultAppHasNoNagFindingsOrConstructWarnings(t *testing.T) {
	if findings := defaultFindings(t, "Construct Annotations"); len(findings) > 0 {
		t.Errorf("%d findings:\n%s", len(findings), strings.Join(findings, "\n"))
	}
}

// TestValidationFindingsAreReported proves that the check above can fail: a
// security group open to the world on port 22 is a finding.
func TestValidationFindingsAreReported(t *testing.T) {
	app := cdktest.Validated(cdktest.NewApp(t))
	stack := awscdk.NewStack(app, jsii.String("Canary"), nil)
	awsec2.NewCfnSecurityGroup(stack, jsii.String("OpenSSH"), &awsec2.CfnSecurityGroupProps{
		GroupDescription: jsii.String("ssh from anywhere"),
		SecurityGroupIngress: &[]any{&awsec2.CfnSecurityGroup_IngressProperty{
			IpProtocol: jsii.String("tcp"), FromPort: jsii.Number(22), ToPort: jsii.Number(22), CidrIp: jsii.String("0.0.0.0/0"),
		}},
	})
	cdktest.Check(t, func() { app.Synth(nil) })
	findings := strings.Join(cdktest.Findings(t, *app.Outdir()), "\n")
	if !strings.Contains(findings, "W2508 at Canary/OpenSSH") {
		t.Errorf("findings do not name rule W2508 on Canary/OpenSSH:\n%s", findings)
	}
}

// TestNagErrorsFailTheSynth proves the app's nag check can fail: a bucket
// without server access logs is an AwsSolutions-S1 error.
func TestNagErrorsFailTheSynth(t *testing.T) {
	app := cdktest.NewApp(t)
	holdToAwsSolutions(app)
	awss3.NewBucket(awscdk.NewStack(app, jsii.String("Canary"), nil), jsii.String("Unlogged"), &awss3.BucketProps{EnforceSSL: jsii.Bool(true)})
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "Validation failed") {
			t.Errorf("synth: got %v, want a validation failure", r)
		}
		if findings := strings.Join(cdktest.Findings(t, *app.Outdir()), "\n"); !strings.Contains(findings, "at Canary/Unlogged/Resource: AwsSolutions-S1: ") {
			t.Errorf("findings do not name the bucket and AwsSolutions-S1:\n%s", findings)
		}
	}()
	app.Synth(nil)
}

// TestNagRunsUnlessTheContextTurnsItOff: cdk-nag is on in every synth (the
// deploy's included) unless "-c nag=false" says otherwise; other values are refused.
func TestNagRunsUnlessTheContextTurnsItOff(t *testing.T) {
	for _, c := range []struct {
		value any
		want  bool
	}{{nil, true}, {"true", true}, {true, true}, {"false", false}, {false, false}} {
		ctx := map[string]any{}
		if c.value != nil {
			ctx[nagKey] = c.value
		}
		got, err := nagEnabled(cdktest.NewApp(t, cdktest.WithContext(ctx)))
		if err != nil || got != c.want {
			t.Errorf("nag=%v: got %v, %v; want %v", c.value, got, err, c.want)
		}
	}
	_, err := nagEnabled(cdktest.NewApp(t, cdktest.WithContext(map[string]any{nagKey: "yes"})))
	if err == nil || !strings.Contains(err.Error(), "nag: must be true or false, got yes") {
		t.Errorf("nag=yes: got %v, want an error naming the key and the allowed values", err)
	}
}

// twoEnvironments share an account and a region but not their zones.
const twoEnvironments = `{
  "dev": {"account": "123456789012", "region": "eu-west-1", "availabilityZones": ["eu-west-1a", "eu-west-1b"],
    "domainName": "example.org", "hostedZone": {"id": "Z0123456789ABCDEFGHIJ", "name": "example.org"},
    "ami": {"eu-west-1": "ami-0123456789abcdef0"}, "tiers": {"laravel": {"domainName": "dev.example.org"}}},
  "prod": {"account": "123456789012", "region": "eu-west-1", "availabilityZones": ["eu-west-1b", "eu-west-1c"],
    "domainName": "example.org", "hostedZone": {"id": "Z0123456789ABCDEFGHIJ", "name": "example.org"},
    "ami": {"eu-west-1": "ami-0123456789abcdef0"}, "tiers": {"laravel": {}}}}`

// TestAllEnvironmentsSynthesizeAsEachDoesAlone: the review synthesizes every
// environment in one app; each stack must be the one its own synth deploys.
func TestAllEnvironmentsSynthesizeAsEachDoesAlone(t *testing.T) {
	all := cdktest.NewApp(t, withEnvironments(t, twoEnvironments), cdktest.WithContext(map[string]any{allEnvironmentsKey: "true"}))
	envs, err := selectEnvironments(all)
	if err != nil {
		t.Fatal(err)
	}
	var together []awscdk.Stack
	cdktest.Check(t, func() { together = build(all, envs...) })
	if len(together) != 2 {
		t.Fatalf("got %d stacks, want dev-laravel and prod-laravel", len(together))
	}
	for _, stack := range together {
		env := strings.TrimSuffix(*stack.StackName(), "-laravel")
		alone := cdktest.NewApp(t, withEnvironments(t, twoEnvironments), cdktest.WithContext(map[string]any{config.EnvKey: env}))
		want := cdktest.JSON(assertions.Template_FromStack(build(alone, selectEnv(t, alone))[0], nil).ToJSON())
		if got := cdktest.JSON(assertions.Template_FromStack(stack, nil).ToJSON()); got != want {
			t.Errorf("%s differs when synthesized with every environment", *stack.StackName())
		}
	}
}

func TestAllEnvironmentsIsTrueOrFalse(t *testing.T) {
	app := cdktest.NewApp(t, cdktest.WithContext(map[string]any{allEnvironmentsKey: "yes"}))
	if _, err := selectEnvironments(app); err == nil || !strings.Contains(err.Error(), "all-environments: must be true or false") {
		t.Errorf("got %v, want an error naming all-environments and what it allows", err)
	}
}

func TestOneStackPerTierNamedAfterTheEnvironment(t *testing.T) {
	app := cdktest.NewApp(t, withEnvironments(t, twoTiers))
	var names []string
	for _, s := range build(app, selectEnv(t, app)) {
		names = append(names, *s.StackName())
	}
	if got := strings.Join(names, " "); got != "prod-laravel prod-nextcloud" {
		t.Errorf("stacks: got %q, want %q", got, "prod-laravel prod-nextcloud")
	}
}

func TestEachTierStackHoldsItsTier(t *testing.T) {
	app := cdktest.NewApp(t, withEnvironments(t, twoTiers))
	stacks := build(app, selectEnv(t, app))
	laravelStack := assertions.Template_FromStack(stacks[0], nil)
	nextcloudStack := assertions.Template_FromStack(stacks[1], nil)
	cdktest.Check(t, func() {
		nextcloudStack.ResourceCountIs(jsii.String("AWS::ElastiCache::ReplicationGroup"), jsii.Number(1))
	})
	cdktest.Check(t, func() {
		nextcloudStack.HasResourceProperties(jsii.String("AWS::ElasticLoadBalancingV2::TargetGroup"), map[string]any{"HealthCheckPath": "/status.php"})
	})
	cdktest.Check(t, func() {
		laravelStack.HasResourceProperties(jsii.String("AWS::ElasticLoadBalancingV2::TargetGroup"), map[string]any{"HealthCheckPath": "/up"})
	})
	cdktest.Check(t, func() {
		laravelStack.ResourceCountIs(jsii.String("AWS::ElastiCache::ReplicationGroup"), jsii.Number(0))
	})
}

func TestStacksDeployToTheEnvironmentsAccountAndRegion(t *testing.T) {
	app := cdktest.NewApp(t, withEnvironments(t, twoTiers))
	for _, s := range build(app, selectEnv(t, app)) {
		if *s.Account() != "123456789012" || *s.Region() != "eu-west-1" {
			t.Errorf("%s: got %s/%s, want 123456789012/eu-west-1", *s.StackName(), *s.Account(), *s.Region())
		}
	}
}

func TestGoldenIPFromTheConfigurationReachesTheBootScript(t *testing.T) {
	env := strings.Replace(twoTiers, `"tiers": {"laravel": {}, "nextcloud": {}}`,
		`"tiers": {"laravel": {}}, "fleet": {"goldenIp": "172.31.5.10", "ipFiles": ["/etc/hosts", "/etc/apache2/sites-available/api.conf"]}`, 1)
	app := cdktest.NewApp(t, withEnvironments(t, env))
	tpl := &cdktest.Template{Template: assertions.Template_FromStack(build(app, selectEnv(t, app))[0], nil), Outdir: *app.Outdir()}
	userData := cdktest.BootScript(t, tpl)
	for _, want := range []string{"GOLDEN_IP='172.31.5.10'", "'/etc/apache2/sites-available/api.conf'"} {
		if !strings.Contains(userData, want) {
			t.Errorf("the boot script does not hold %s", want)
		}
	}
}

func TestLaravelSettingsTheTierRefusesNameTheirConfigurationPath(t *testing.T) {
	env := strings.Replace(twoTiers, `"tiers": {"laravel": {}, "nextcloud": {}}`,
		`"tiers": {"laravel": {"sessionDriver": "file", "cronFiles": ["/etc/cron.d/tierkit-scheduler"]}}`, 1)
	app := cdktest.NewApp(t, withEnvironments(t, env))
	defer func() {
		msg := errorMessage(recover())
		for _, want := range []string{
			`environments.prod.tiers.laravel.cronFiles[0]: "/etc/cron.d/tierkit-scheduler" is the tier's own entry`,
			`environments.prod.tiers.laravel.sessionDriver: "file" keeps sessions on one server`,
		} {
			if !strings.HasPrefix(msg, "invalid configuration: ") || !strings.Contains(msg, want) {
				t.Errorf("got %q, want the tier's refusal under its configuration path: %s", msg, want)
			}
		}
	}()
	build(app, selectEnv(t, app))
}

func TestStacksAreTaggedWithTheEnvironment(t *testing.T) {
	app := cdktest.NewApp(t)
	stack := build(app, selectEnv(t, app))[0]
	// Stack tags, which CloudFormation copies to every resource that takes tags.
	if got := (*stack.Tags().TagValues())["tierkit:environment"]; got == nil || *got != "example" {
		t.Errorf("stack tag tierkit:environment: got %v, want example", got)
	}
}

// synthProcess runs the app's main in a child process, as the CDK CLI does:
// context in CDK_CONTEXT_JSON, output directory in CDK_OUTDIR.
func synthProcess(t *testing.T, context map[string]any) (stdout, stderr string, exitCode int, outdir string) {
	t.Helper()
	merged := map[string]any{}
	for k, v := range cdktest.Context(t) {
		merged[k] = v
	}
	for k, v := range context {
		merged[k] = v
	}
	ctx, _ := json.Marshal(merged)
	outdir = t.TempDir()
	cmd := exec.Command(os.Args[0])
	// jsii's Node.js child must not keep Wait waiting on the output pipes.
	cmd.WaitDelay = 10 * time.Second
	cmd.Env = append(os.Environ(), runMainEnv+"=1", "CDK_CONTEXT_JSON="+string(ctx), "CDK_OUTDIR="+outdir, summaryEnv+"=cdk.out")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		exitCode = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), exitCode, outdir
}

func TestSynthPrintsOnlyTheSummaryAndExitsZero(t *testing.T) {
	stdout, stderr, code, outdir := synthProcess(t, nil)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q; want exit 0 and nothing on stderr", code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(outdir, "example-laravel.template.json"))
	var tpl struct{ Resources map[string]any }
	if err != nil || json.Unmarshal(b, &tpl) != nil || len(tpl.Resources) == 0 {
		t.Fatalf("reading the synthesized template: %v", err)
	}
	want := regexp.MustCompile(fmt.Sprintf(`(?m)^  example-laravel +%d resources  cdk.out/example-laravel.template.json$`, len(tpl.Resources)))
	if !want.MatchString(stdout) {
		t.Errorf("summary does not match %s:\n%s", want, stdout)
	}
	// cdk-nag ran without being asked for: its report on the stack is there.
	if reports, _ := filepath.Glob(filepath.Join(outdir, "AwsSolutions-*example-laravel-NagReport.csv")); len(reports) != 1 {
		t.Errorf("no cdk-nag report on example-laravel in the assembly: nag did not run by default")
	}
}

func TestBrokenConfigurationExitsNonZeroWithOnlyItsMessage(t *testing.T) {
	broken := map[string]any{config.EnvironmentsKey: map[string]any{"prod": map[string]any{"domainName": "example..org"}}}
	stdout, stderr, code, outdir := synthProcess(t, broken)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{"tierkit: invalid configuration (", `environments.prod.domainName: "example..org" is not a domain name`, "environments.prod.ami: required"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not contain %q:\n%s", want, stderr)
		}
	}
	for _, noise := range []string{"panic", "goroutine", "    at ", "jsii"} {
		if strings.Contains(stderr, noise) {
			t.Errorf("stderr contains %q:\n%s", noise, stderr)
		}
	}
	if entries, _ := os.ReadDir(outdir); stdout != "" || len(entries) > 0 {
		t.Errorf("a failed synth wrote %d files and printed %q; want nothing", len(entries), stdout)
	}
}

func TestConstructErrorIsOneLineWithoutTheJavaScriptStack(t *testing.T) {
	defer func() {
		msg := errorMessage(recover())
		if !strings.Contains(msg, "Stack name must match") || strings.Contains(msg, "\n    at ") {
			t.Errorf("got %q; want the message without its stack", msg)
		}
	}()
	awscdk.NewStack(cdktest.NewApp(t), jsii.String("Bad"), &awscdk.StackProps{StackName: jsii.String("no spaces allowed")})
}

func TestScriptsSynthRejectsAnUnknownEnvironment(t *testing.T) {
	cmd := exec.Command("scripts/synth", "-c", "env=nope")
	// The CLI's and the app's Node.js processes must not keep Wait waiting.
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == 0 {
		t.Fatalf("scripts/synth -c env=nope: %v; want a non-zero exit\n%s", err, out.String())
	}
	if want := `tierkit: invalid configuration: env: unknown environment "nope"; configured: example`; !strings.Contains(out.String(), want) {
		t.Errorf("output does not contain %q:\n%s", want, out.String())
	}
	if leftovers, _ := filepath.Glob(".build/cdk.out.*"); len(leftovers) > 0 {
		t.Errorf("a failed synth left %v behind", leftovers)
	}
}

// TestCDKJSONHasEveryRecommendedFeatureFlag compares cdk.json with the flags
// aws-cdk-lib recommends for new projects, read from the library's own
// package, so that a version bump that adds a flag fails here.
func TestCDKJSONHasEveryRecommendedFeatureFlag(t *testing.T) {
	recommended := recommendedFlags(t)
	ctx := cdktest.Context(t)
	for flag, want := range recommended {
		got, ok := ctx[flag]
		if gotJSON, wantJSON := cdktest.JSON(got), cdktest.JSON(want); !ok || gotJSON != wantJSON {
			t.Errorf("cdk.json context %q: got %s, want %s", flag, gotJSON, wantJSON)
		}
	}
	if ctx["@aws-cdk/core:validateAgainstDefaultRules"] != true {
		t.Errorf("cdk.json must set @aws-cdk/core:validateAgainstDefaultRules: true")
	}
	if len(recommended) < 80 {
		t.Errorf("read only %d recommended flags; the package layout changed?", len(recommended))
	}
}

func recommendedFlags(t *testing.T) map[string]any {
	t.Helper()
	info, _ := debug.ReadBuildInfo()
	var version string
	for _, dep := range info.Deps {
		if dep.Path == "github.com/aws/aws-cdk-go/awscdk/v2" {
			version = dep.Version
		}
	}
	modcache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil || version == "" {
		t.Fatalf("locating aws-cdk-go (version %q): %v", version, err)
	}
	dir := filepath.Join(strings.TrimSpace(string(modcache)), "github.com/aws/aws-cdk-go/awscdk/v2@"+version, "jsii")
	tarballs, _ := filepath.Glob(filepath.Join(dir, "aws-cdk-lib-*.tgz"))
	if len(tarballs) != 1 {
		t.Fatalf("want one aws-cdk-lib tarball in %s, found %v", dir, tarballs)
	}
	f, err := os.Open(tarballs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("recommended-feature-flags.json not found in %s: %v", tarballs[0], err)
		}
		if h.Name == "package/recommended-feature-flags.json" {
			b, _ := io.ReadAll(tr)
			var flags map[string]any
			if err := json.Unmarshal(b, &flags); err != nil {
				t.Fatal(err)
			}
			return flags
		}
	}
}

// defaultReport is the review report of the default app, as scripts/review
// writes it for a stack without a reviewed template yet.
func defaultReport(t *testing.T) string {
	t.Helper()
	defaultFindings(t, "")
	r, err := review.Run(review.Options{Assembly: defaultOutdir, Reviewed: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := review.Write(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// reportSection returns the text under a "####" heading of the report, in
// the API's stack.
func reportSection(t *testing.T, report, heading string) string {
	t.Helper()
	_, api, _ := strings.Cut(report, "### Stack `example-laravel`")
	_, after, ok := strings.Cut(api, "#### "+heading+"\n")
	if !ok {
		t.Fatalf("the report has no section %q", heading)
	}
	if i := strings.Index(after, "\n#"); i >= 0 {
		after = after[:i]
	}
	return after
}

func TestReviewReportHasEverySectionPerStackInOrder(t *testing.T) {
	report := defaultReport(t)
	for _, stack := range []string{"example-frontend", "example-laravel"} {
		_, part, found := strings.Cut(report, "### Stack `"+stack+"`: ")
		if !found {
			t.Errorf("the report has no stack %s", stack)
		}
		part, _, _ = strings.Cut(part, "\n### ")
		at := -1
		for _, h := range []string{review.SectionChanges, review.SectionArchitecture, review.SectionInternet, review.SectionIAM, review.SectionStateful, review.SectionProtection, review.SectionSuppressions, review.SectionTypes} {
			i := strings.Index(part, "#### "+h+"\n")
			if i < 0 || i < at {
				t.Errorf("%s: section %q is missing or out of order", stack, h)
			}
			at = i
		}
	}
}

func TestReviewReportShowsWhatFacesTheInternet(t *testing.T) {
	s := reportSection(t, defaultReport(t), review.SectionInternet)
	for _, want := range []string{
		"HTTP:80, redirect to HTTPS:443 (HTTP_301)",
		"HTTPS:443, TLS policy ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09, forward to ${TierEdgeTargetGroup",
		"from 0.0.0.0/0, tcp 443: ", "from 0.0.0.0/0, tcp 80: ",
		"api.example.com. A -> alias dualstack.${TierEdgeLoadBalancer",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the internet-facing section does not show %q:\n%s", want, s)
		}
	}
	if n := strings.Count(s, "| ingress "); n != 2 {
		t.Errorf("%d ingress rules from anywhere, want 2 (80 and 443 on the load balancer)", n)
	}
}

func TestReviewReportShowsTheFleetRolesStatements(t *testing.T) {
	s := reportSection(t, defaultReport(t), review.SectionIAM)
	for _, want := range []string{
		"(Tier/Default/Fleet/Role), assumed by ec2.amazonaws.com",
		"  - Allow secretsmanager:DescribeSecret, secretsmanager:GetSecretValue on ${TierDatabaseSecretAttachment",
		"s3:ListBucket on ${TierUploadsBucket903CB65E.Arn}",
		"s3:PutObject on ${TierUploadsBucket903CB65E.Arn}/*",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the IAM section does not show %q:\n%s", want, s)
		}
	}
}

func TestReviewReportShowsStatefulResourcesWithTheirPolicies(t *testing.T) {
	s := reportSection(t, defaultReport(t), review.SectionStateful)
	for _, row := range []string{
		`\| TierDatabaseInstanceAC06CB03 +\| AWS::RDS::DBInstance +\| Tier/Default/Database/Instance +\| Snapshot +\| Snapshot \|`,
		`\| TierUploadsBucket903CB65E +\| AWS::S3::Bucket +\| Tier/Default/Uploads/Bucket +\| Retain +\| Retain \|`,
	} {
		if !regexp.MustCompile(row).MatchString(s) {
			t.Errorf("the stateful section has no row %s:\n%s", row, s)
		}
	}
}

func TestReviewReportShowsEverySuppressionWithItsReason(t *testing.T) {
	s := reportSection(t, defaultReport(t), review.SectionSuppressions)
	for _, want := range []string{
		"| cdk-nag                 | AwsSolutions-SMG4 ",
		"| Not rotated automatically: the servers read the password at every start",
		"| CloudFormation Validate | F3002 ",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the suppressions section does not show %q:\n%s", want, s)
		}
	}
	tpl := cdktest.JSON(mustReadJSON(t, filepath.Join(defaultOutdir, "example-laravel.template.json")))
	if want, got := strings.Count(tpl, `"reason":`), strings.Count(s, "| cdk-nag "); got != want {
		t.Errorf("%d cdk-nag suppressions listed, the template has %d", got, want)
	}
}

func TestReviewReportCountsResourcesByType(t *testing.T) {
	s := reportSection(t, defaultReport(t), review.SectionTypes)
	if !regexp.MustCompile(`\| AWS::RDS::DBInstance +\| 1 \|`).MatchString(s) {
		t.Errorf("no count of 1 database instance:\n%s", s)
	}
}

// TestReviewReportReadsInATerminal: plain text with no colour codes or HTML,
// and every table's columns line up (the last one is left ragged).
func TestReviewReportReadsInATerminal(t *testing.T) {
	report := defaultReport(t)
	if strings.ContainsAny(report, "\x1b") || regexp.MustCompile(`<(details|br|table)`).MatchString(report) {
		t.Error("the report holds colour codes or HTML")
	}
	for _, table := range regexp.MustCompile(`(?m)(^\|.*\n)+`).FindAllString(report, -1) {
		lines := strings.Split(strings.TrimSuffix(table, "\n"), "\n")
		lastColumn := func(l string) int { return strings.LastIndex(strings.TrimSuffix(l, " |"), " | ") }
		for _, l := range lines[1:] {
			if lastColumn(l) != lastColumn(lines[0]) {
				t.Errorf("columns do not line up:\n%s\n%s", lines[0], l)
			}
		}
	}
}

func mustReadJSON(t *testing.T, file string) any {
	t.Helper()
	b, err := os.ReadFile(file)
	var v any
	if err == nil {
		err = json.Unmarshal(b, &v)
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestAlarmEmailsAndThresholdsFromTheConfiguration(t *testing.T) {
	env := strings.Replace(twoTiers, `"tiers": {"laravel": {}, "nextcloud": {}}`,
		`"tiers": {"laravel": {}}, "alarms": {"emails": ["ops@example.org"], "databaseCpuPercent": 70}`, 1)
	app := cdktest.NewApp(t, withEnvironments(t, env))
	tpl := &cdktest.Template{Template: assertions.Template_FromStack(build(app, selectEnv(t, app))[0], nil)}
	tpl.HasResourceProperties(t, "AWS::SNS::Subscription", map[string]any{"Protocol": "email", "Endpoint": "ops@example.org"})
	tpl.HasResourceProperties(t, "AWS::CloudWatch::Alarm", map[string]any{"MetricName": "CPUUtilization", "Namespace": "AWS/RDS", "Threshold": 70})
}

func TestRolloutSettingsFromTheConfiguration(t *testing.T) {
	env := strings.Replace(twoTiers, `"tiers": {"laravel": {}, "nextcloud": {}}`,
		`"tiers": {"laravel": {}}, "fleet": {"bootTimeoutMinutes": 20, "refreshBakeMinutes": 10, "refreshCheckpoints": [50, 100], "refreshCheckpointMinutes": 30}`, 1)
	app := cdktest.NewApp(t, withEnvironments(t, env))
	tpl := &cdktest.Template{Template: assertions.Template_FromStack(build(app, selectEnv(t, app))[0], nil)}
	tpl.HasResource(t, "AWS::AutoScaling::AutoScalingGroup", map[string]any{
		"CreationPolicy": map[string]any{"ResourceSignal": map[string]any{"Count": 2, "Timeout": "PT20M"}},
		"UpdatePolicy": assertions.Match_ObjectLike(&map[string]any{"AutoScalingInstanceRefresh": assertions.Match_ObjectLike(&map[string]any{
			"Preferences": assertions.Match_ObjectLike(&map[string]any{"BakeTime": 600, "CheckpointPercentages": []any{50, 100}, "CheckpointDelay": 1800}),
		})}),
	})
}

func TestFirewallOffInTheConfigurationLeavesNoWebACL(t *testing.T) {
	env := strings.Replace(twoTiers, `"tiers": {"laravel": {}, "nextcloud": {}}`, `"tiers": {"laravel": {}}, "firewall": {"enabled": false}`, 1)
	app := cdktest.NewApp(t, withEnvironments(t, env))
	tpl := &cdktest.Template{Template: assertions.Template_FromStack(build(app, selectEnv(t, app))[0], nil)}
	tpl.ResourceCountIs(t, "AWS::WAFv2::WebACL", 0)
}

func TestDefaultEnvironmentShowsTheSiteBesideTheAPI(t *testing.T) {
	app := cdktest.NewApp(t)
	stacks := build(app, selectEnv(t, app))
	var names []string
	for _, s := range stacks {
		names = append(names, *s.StackName())
	}
	if got := strings.Join(names, " "); got != "example-laravel example-frontend" {
		t.Fatalf("stacks: got %q, want example-laravel example-frontend", got)
	}
	site := &cdktest.Template{Template: assertions.Template_FromStack(stacks[1], nil)}
	site.HasResourceProperties(t, "AWS::CloudFront::Distribution", map[string]any{
		"DistributionConfig": assertions.Match_ObjectLike(&map[string]any{"Aliases": []any{"example.com"}}),
	})
	for _, output := range []string{"BucketName", "DistributionId", "SiteURL"} {
		if _, ok := (*site.FindOutputs(jsii.String(output), nil))[output]; !ok {
			t.Errorf("the site stack has no output %s (scripts/publish reads it)", output)
		}
	}
}

// TestTheAPIAllowsTheSitesOrigin: the frontend's origin reaches the API's
// CORS settings and its uploads bucket, without being configured twice.
func TestTheAPIAllowsTheSitesOrigin(t *testing.T) {
	app := cdktest.NewApp(t)
	api := &cdktest.Template{Template: assertions.Template_FromStack(build(app, selectEnv(t, app))[0], nil), Outdir: *app.Outdir()}
	if ud := cdktest.BootScript(t, api); !strings.Contains(ud, `CORS_ALLOWED_ORIGINS 'https://example.com'`) {
		t.Error("the API's .env does not allow https://example.com")
	}
	api.HasResourceProperties(t, "AWS::S3::Bucket", map[string]any{
		"CorsConfiguration": map[string]any{"CorsRules": assertions.Match_ArrayWith(&[]any{
			assertions.Match_ObjectLike(&map[string]any{"AllowedOrigins": []any{"https://example.com"}}),
		})},
	})
}

// TestSiteOutsideUsEast1GetsItsCertificateFromAStackInUsEast1: CloudFront
// takes certificates from us-east-1 only.
func TestSiteOutsideUsEast1GetsItsCertificateFromAStackInUsEast1(t *testing.T) {
	env := strings.Replace(twoTiers, `"tiers": {"laravel": {}, "nextcloud": {}}`, `"tiers": {"laravel": {}}, "frontend": {"redirectWww": true}`, 1)
	app := cdktest.NewApp(t, withEnvironments(t, env))
	stacks := build(app, selectEnv(t, app))
	regions := map[string]string{}
	for _, s := range stacks {
		regions[*s.StackName()] = *s.Region()
	}
	if regions["prod-frontend-certificate"] != "us-east-1" || regions["prod-frontend"] != "eu-west-1" {
		t.Fatalf("stack regions: %v; want prod-frontend-certificate in us-east-1, prod-frontend in eu-west-1", regions)
	}
	cert := &cdktest.Template{Template: assertions.Template_FromStack(stacks[1], nil)}
	cert.HasResourceProperties(t, "AWS::CertificateManager::Certificate", map[string]any{
		"DomainName": "example.org", "SubjectAlternativeNames": []any{"www.example.org"}, "ValidationMethod": "DNS",
	})
	site := &cdktest.Template{Template: assertions.Template_FromStack(stacks[2], nil)}
	site.ResourceCountIs(t, "AWS::CertificateManager::Certificate", 0)
}

// TestUserDataFitsForTheLargestConfiguration: every setting that adds a
// deploy-time value to the boot (log files, secrets, endpoints, a cache, a
// table, the site's origin, the golden IP's files) at once, for both tiers:
// the user data stays under EC2's limit with every value at its worst case.
func TestUserDataFitsForTheLargestConfiguration(t *testing.T) {
	files := []string{}
	for i := range 20 {
		files = append(files, fmt.Sprintf(`"/etc/apache2/sites-available/site-%02d.example.org.conf"`, i))
	}
	env := strings.Replace(twoTiers, `"tiers": {"laravel": {}, "nextcloud": {}}`,
		`"tiers": {"laravel": {"sessionDriver": "dynamodb", "cacheStore": "redis", "redisHost": "cache.example.internal", "redisTls": true,
		  "redisAuthSecret": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/laravel/redis-auth-token-AbCdEf",
		  "redisAuthKmsKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"},
		  "nextcloud": {"primaryStorage": "s3"}},
		 "frontend": {"redirectWww": true},
		 "fleet": {"mode": "fixed", "instances": 20, "goldenIp": "172.31.5.10", "ipFiles": [`+strings.Join(files, ",")+`]}`, 1)
	app := cdktest.NewApp(t, withEnvironments(t, env))
	tpls := map[string]*cdktest.Template{}
	for _, stack := range build(app, selectEnv(t, app)) {
		if strings.HasSuffix(*stack.StackName(), "laravel") || strings.HasSuffix(*stack.StackName(), "nextcloud") {
			tpls[*stack.StackName()] = &cdktest.Template{Template: assertions.Template_FromStack(stack, nil), Outdir: *app.Outdir()}
		}
	}
	if len(tpls) != 2 {
		t.Fatalf("%d tier stacks, want 2", len(tpls))
	}
	cdktest.CheckUserData(t, tpls)
}

func TestBackupSettingsFromTheConfiguration(t *testing.T) {
	vault := "arn:aws:backup:eu-central-1:123456789012:backup-vault:dr"
	env := strings.Replace(twoTiers, `"tiers": {"laravel": {}, "nextcloud": {}}`,
		`"tiers": {"laravel": {}}, "backup": {"dailyDays": 14, "monthlyDays": 400, "copyTo": ["`+vault+`"]}`, 1)
	app := cdktest.NewApp(t, withEnvironments(t, env))
	tpl := &cdktest.Template{Template: assertions.Template_FromStack(build(app, selectEnv(t, app))[0], nil)}
	plan := cdktest.JSON(tpl.Resources("AWS::Backup::BackupPlan"))
	for _, want := range []string{`"DeleteAfterDays":14`, `"DeleteAfterDays":400`, `"DestinationBackupVaultArn":"` + vault + `"`} {
		if !strings.Contains(plan, want) {
			t.Errorf("the backup plan lacks %s:\n%s", want, plan)
		}
	}
}

func TestBackupOffInTheConfigurationLeavesNoPlan(t *testing.T) {
	env := strings.Replace(twoTiers, `"tiers": {"laravel": {}, "nextcloud": {}}`, `"tiers": {"laravel": {}}, "backup": {"enabled": false}`, 1)
	app := cdktest.NewApp(t, withEnvironments(t, env))
	tpl := &cdktest.Template{Template: assertions.Template_FromStack(build(app, selectEnv(t, app))[0], nil)}
	tpl.ResourceCountIs(t, "AWS::Backup::BackupPlan", 0)
}

func TestCustomerManagedKeysFromTheConfiguration(t *testing.T) {
	env := strings.Replace(twoTiers, `"tiers": {"laravel": {}, "nextcloud": {}}`, `"tiers": {"laravel": {}}, "customerManagedKeys": true`, 1)
	app := cdktest.NewApp(t, withEnvironments(t, env))
	tpl := &cdktest.Template{Template: assertions.Template_FromStack(build(app, selectEnv(t, app))[0], nil)}
	key := cdktest.LogicalID(t, tpl, "AWS::KMS::Key", "TierKey")
	tpl.HasResourceProperties(t, "AWS::RDS::DBInstance", map[string]any{"KmsKeyId": map[string]any{"Fn::GetAtt": []any{key, "Arn"}}})
}

func TestPerformanceInsightsStaysOffWhereTheClassLacksIt(t *testing.T) {
	env := strings.Replace(twoTiers, `"tiers": {"laravel": {}, "nextcloud": {}}`, `"tiers": {"laravel": {}}, "database": {"instanceType": "t3.small"}`, 1)
	app := cdktest.NewApp(t, withEnvironments(t, env))
	tpl := &cdktest.Template{Template: assertions.Template_FromStack(build(app, selectEnv(t, app))[0], nil)}
	tpl.HasResourceProperties(t, "AWS::RDS::DBInstance", map[string]any{"EnablePerformanceInsights": false, "MonitoringInterval": 60})
}
