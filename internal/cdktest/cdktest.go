// Package cdktest is the test harness of tierkit: apps that synthesize with
// cdk.json's context, templates shared across the assertions that read them,
// and assertion mismatches reported as test failures instead of panics.
//
// scripts/test runs the tests with CDK_VALIDATION=false, which switches
// aws-cdk-lib's built-in CloudFormation validation off (about 3 s and 450 MB
// per test process), and with the project's Node.js. Both must be in the
// environment before the test binary starts: jsii builds its node command
// while Go packages initialize. The test that synthesizes the whole app turns
// validation back on for its own app with Validated.
package cdktest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// root returns the project's top directory: the nearest parent of the working
// directory that holds cdk.json.
func root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "cdk.json")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("cdk.json not found above the working directory")
		}
		dir = parent
	}
}

var cdkJSON = sync.OnceValues(func() (map[string]any, error) {
	dir, err := root()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(dir, "cdk.json"))
	if err != nil {
		return nil, err
	}
	var f struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("cdk.json: %w", err)
	}
	return f.Context, nil
})

// Context returns cdk.json's context (its feature flags and settings), so that
// tests synthesize with the same flags as `cdk synth`.
func Context(tb testing.TB) map[string]any {
	tb.Helper()
	ctx, err := cdkJSON()
	if err != nil {
		tb.Fatalf("reading cdk.json: %v", err)
	}
	return ctx
}

// Option changes an app made by NewApp.
type Option func(*awscdk.AppProps)

// WithContext adds context values on top of cdk.json's, as `-c key=value` does.
func WithContext(ctx map[string]any) Option {
	return func(p *awscdk.AppProps) {
		merged := map[string]any{}
		for k, v := range *p.Context {
			merged[k] = v
		}
		for k, v := range ctx {
			merged[k] = v
		}
		p.Context = &merged
	}
}

// Strict makes CloudFormation validation warnings fail synthesis too: the
// construct-library strict mode the blocks' own tests run in.
func Strict() Option {
	return WithContext(map[string]any{"@aws-cdk/core:strictCfnValidateErrors": true})
}

// NewApp returns an app with cdk.json's context that synthesizes into a
// directory removed after the test.
func NewApp(tb testing.TB, opts ...Option) awscdk.App {
	tb.Helper()
	ctx := Context(tb)
	props := &awscdk.AppProps{Context: &ctx, Outdir: jsii.String(tb.TempDir())}
	for _, o := range opts {
		o(props)
	}
	return awscdk.NewApp(props)
}

// Validated registers aws-cdk-lib's CloudFormation validation on app, which
// importing this package otherwise switches off. With cdk.json's
// "@aws-cdk/core:validateAgainstDefaultRules" its errors fail app.Synth; its
// warnings land in the assembly's validation-report.json (see Findings).
func Validated(app awscdk.App) awscdk.App {
	awscdk.Validations_Of(app).AddPlugins(validatePlugin())
	return app
}

// validatePlugin is one plugin for every app of a test process: creating one
// loads the rules engine, about 1.7 s of CPU each time.
var validatePlugin = sync.OnceValue(func() awscdk.IPolicyValidationPlugin {
	return awscdk.NewCloudFormationValidatePlugin(nil)
})

// Findings returns the CloudFormation validation findings (rule and message)
// of an app synthesized into outdir, from its validation-report.json;
// acknowledged findings are not among them.
func Findings(tb testing.TB, outdir string) []string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(outdir, "validation-report.json"))
	if err != nil {
		tb.Fatalf("reading the validation report: %v", err)
	}
	var report struct {
		PluginReports []struct {
			PluginName string
			Violations []struct {
				RuleName, Description string
				ViolatingConstructs   []struct{ ConstructPath string }
			}
		}
	}
	if err := json.Unmarshal(b, &report); err != nil {
		tb.Fatalf("reading the validation report: %v", err)
	}
	var found []string
	for _, r := range report.PluginReports {
		for _, v := range r.Violations {
			for _, c := range v.ViolatingConstructs {
				found = append(found, fmt.Sprintf("%s %s at %s: %s", r.PluginName, v.RuleName, c.ConstructPath, v.Description))
			}
		}
	}
	return found
}

// Nagged applies cdk-nag's AwsSolutions checks to app. With cdk.json's
// "@aws-cdk/core:annotationsInValidationReport", an unsuppressed nag error
// fails app.Synth and nag warnings are listed in validation-report.json.
func Nagged(app awscdk.App) awscdk.App {
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	return app
}

// NewStack returns a stack in us-east-1 with no account: the region is
// concrete (ALB access logs need one) and nothing triggers a context lookup.
// scope is an app, or a construct of an app that holds no stack (as
// internal/conformance gives each block's fixtures their own).
func NewStack(scope constructs.Construct, id string) awscdk.Stack {
	return awscdk.NewStack(scope, jsii.String(id), &awscdk.StackProps{Env: &awscdk.Environment{Region: jsii.String("us-east-1")}})
}

// Check runs one assertion and turns its panic, which is how aws-cdk
// assertions report a mismatch, into a test error.
func Check(tb testing.TB, assertion func()) {
	tb.Helper()
	defer func() {
		if r := recover(); r != nil {
			tb.Errorf("%v", r)
		}
	}()
	assertion()
}

// Template is a synthesized template whose checks fail the test instead of
// panicking.
type Template struct {
	assertions.Template
	// Outdir is where the template's app was synthesized (see Findings).
	Outdir string
	// copy is the template's JSON, fetched from jsii once, on first use:
	// ToJSON and Resources read it in Go, a round trip less each.
	copy struct {
		once      sync.Once
		json      []byte
		resources map[string]json.RawMessage
		types     map[string]string
	}
}

// load fetches the template's JSON from jsii, once.
func (t *Template) load() {
	t.copy.once.Do(func() {
		b, err := json.Marshal(t.Template.ToJSON())
		if err != nil {
			panic(fmt.Sprintf("encoding the template: %v", err))
		}
		var doc struct {
			Resources map[string]json.RawMessage
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			panic(fmt.Sprintf("reading the template: %v", err))
		}
		t.copy.json, t.copy.resources, t.copy.types = b, doc.Resources, map[string]string{}
		for id, r := range doc.Resources {
			var head struct{ Type string }
			if err := json.Unmarshal(r, &head); err != nil {
				panic(fmt.Sprintf("reading resource %s: %v", id, err))
			}
			t.copy.types[id] = head.Type
		}
	})
}

// ToJSON returns the whole template, decoded afresh from the Go copy: the
// caller may change it.
func (t *Template) ToJSON() *map[string]any {
	t.load()
	var doc map[string]any
	if err := json.Unmarshal(t.copy.json, &doc); err != nil {
		panic(fmt.Sprintf("reading the template: %v", err))
	}
	return &doc
}

// HasResourceProperties checks that a resource of type typ has props.
func (t *Template) HasResourceProperties(tb testing.TB, typ string, props any) {
	tb.Helper()
	Check(tb, func() { t.Template.HasResourceProperties(jsii.String(typ), props) })
}

// HasResource checks that a resource of type typ matches props, which can
// reach beyond Properties (DeletionPolicy, UpdatePolicy, ...).
func (t *Template) HasResource(tb testing.TB, typ string, props any) {
	tb.Helper()
	Check(tb, func() { t.Template.HasResource(jsii.String(typ), props) })
}

// ResourceCountIs checks that the template has n resources of type typ.
func (t *Template) ResourceCountIs(tb testing.TB, typ string, n int) {
	tb.Helper()
	Check(tb, func() { t.Template.ResourceCountIs(jsii.String(typ), jsii.Number(n)) })
}

// Resources returns the template's resources of type typ by logical ID,
// decoded afresh: the caller may change them.
func (t *Template) Resources(typ string) map[string]map[string]any {
	t.load()
	out := map[string]map[string]any{}
	for id, r := range t.copy.resources {
		if t.copy.types[id] != typ {
			continue
		}
		var res map[string]any
		if err := json.Unmarshal(r, &res); err != nil {
			panic(fmt.Sprintf("reading resource %s: %v", id, err))
		}
		out[id] = res
	}
	return out
}

// WriteFile writes a file of a test, creating its directory.
func WriteFile(tb testing.TB, file, content string, mode os.FileMode) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(content), mode); err != nil {
		tb.Fatal(err)
	}
}

// ReadFile returns the content of a file a test reads, failing it when the
// file cannot be read.
func ReadFile(tb testing.TB, file string) string {
	tb.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		tb.Fatalf("reading %s: %v", file, err)
	}
	return string(b)
}

// OnlyIngressFrom checks that the security group sgID admits exactly one
// source, the security group sourceID, on TCP port only, through a separate
// ingress resource (no inline rule, no CIDR): the rule every data store holds.
func (t *Template) OnlyIngressFrom(tb testing.TB, sgID, sourceID string, port int) {
	tb.Helper()
	group, _ := t.Resources("AWS::EC2::SecurityGroup")[sgID]["Properties"].(map[string]any)
	if _, inline := group["SecurityGroupIngress"]; inline {
		tb.Errorf("security group %s has inline ingress: %s", sgID, JSON(group))
	}
	var rules int
	for _, r := range t.Resources("AWS::EC2::SecurityGroupIngress") {
		p, _ := r["Properties"].(map[string]any)
		if !strings.Contains(JSON(p["GroupId"]), sgID) {
			continue
		}
		rules++
		want := map[string]any{"IpProtocol": "tcp", "FromPort": float64(port), "ToPort": float64(port)}
		for k, v := range want {
			if p[k] != v {
				tb.Errorf("ingress %s = %v; want %v", k, p[k], v)
			}
		}
		if src := JSON(p["SourceSecurityGroupId"]); !strings.Contains(src, sourceID) || p["CidrIp"] != nil || p["CidrIpv6"] != nil {
			tb.Errorf("ingress from %s (CIDR %v %v); want the security group %s only", src, p["CidrIp"], p["CidrIpv6"], sourceID)
		}
	}
	if rules != 1 {
		tb.Errorf("%d ingress rules on the security group %s; want 1, from %s", rules, sgID, sourceID)
	}
}

// Shared returns a function that synthesizes a stack once, on first use, and
// hands the same template to every test that reads it; each extra synthesis
// in a test process costs 30 to 80 ms. A panic while building (a construct
// refusing its props) fails every test that asks for the template. The build
// function's TempDir outlives the first test, so that Outdir stays readable
// (scripts/test empties the temporary directory afterwards).
func Shared(build func(tb testing.TB) awscdk.Stack) func(testing.TB) *Template {
	var (
		once sync.Once
		tpl  *Template
		fail any
	)
	return func(tb testing.TB) *Template {
		tb.Helper()
		once.Do(func() {
			defer func() { fail = recover() }()
			stack := build(Lasting(tb))
			tpl = &Template{Template: assertions.Template_FromStack(stack, nil), Outdir: *awscdk.Stage_Of(stack).Outdir()}
		})
		if fail != nil {
			tb.Fatalf("synthesizing the shared template: %v", fail)
		}
		return tpl
	}
}

// Variants is Shared for several stacks of one app: build creates them all
// (one validated synthesis costs seconds, another stack of the same app
// milliseconds), once, when a test first asks for one of them by name.
func Variants(build func(tb testing.TB) map[string]awscdk.Stack) func(name string) func(testing.TB) *Template {
	var (
		once   sync.Once
		stacks map[string]awscdk.Stack
		fail   any
	)
	return func(name string) func(testing.TB) *Template {
		return Shared(func(tb testing.TB) awscdk.Stack {
			once.Do(func() {
				defer func() { fail = recover() }()
				stacks = build(tb)
			})
			if fail != nil {
				panic(fail)
			}
			stack, ok := stacks[name]
			if !ok {
				panic(fmt.Sprintf("no variant %q", name))
			}
			return stack
		})
	}
}

// Lasting returns tb with a TempDir that outlives the test, for an app
// synthesized once and read by later tests (scripts/test empties the
// temporary directory afterwards).
func Lasting(tb testing.TB) testing.TB { return lastingTempDir{tb} }

// lastingTempDir is a testing.TB whose TempDir is not removed when the test
// that asked for it ends.
type lastingTempDir struct{ testing.TB }

func (l lastingTempDir) TempDir() string {
	dir, err := os.MkdirTemp("", "cdktest-shared-")
	if err != nil {
		l.Fatalf("creating a temporary directory: %v", err)
	}
	return dir
}

// JSON returns v as compact JSON, to search a template fragment for a value.
func JSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("<%v>", err)
	}
	return string(b)
}

// AsList returns v as a list: IAM and CloudFormation take a single action,
// resource or value as a plain string.
func AsList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}
