package cdktest

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/boot"
)

// Fixtures of the tiers' tests, and the user data of a launch template
// resolved as CloudFormation would deploy it.

// Zone is the tests' hosted zone, example.com, imported by id and name.
func Zone(scope awscdk.Stack) awsroute53.IHostedZone {
	return awsroute53.HostedZone_FromHostedZoneAttributes(scope, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
		HostedZoneId: jsii.String("Z0123456789ABCDEFGHIJ"), ZoneName: jsii.String("example.com"),
	})
}

// Image is the tests' golden AMI, in the region of NewStack.
func Image() awsec2.IMachineImage {
	return awsec2.MachineImage_GenericLinux(&map[string]*string{"us-east-1": jsii.String("ami-0123456789abcdef0")}, nil)
}

// ImportedVpc is a VPC owned elsewhere whose CIDR and public subnets' CIDRs
// are other stacks' exports: the trusted proxies (the load balancer's
// subnets) are then tokens resolved at deploy time.
func ImportedVpc(scope awscdk.Stack) awsec2.IVpc {
	return awsec2.Vpc_FromVpcAttributes(scope, jsii.String("SharedVpc"), &awsec2.VpcAttributes{
		VpcId:                       jsii.String("vpc-0123456789abcdef0"),
		VpcCidrBlock:                awscdk.Fn_ImportValue(jsii.String("SharedVpcCidr")),
		AvailabilityZones:           jsii.Strings("us-east-1a", "us-east-1b"),
		PublicSubnetIds:             jsii.Strings("subnet-0eeeeeeeeeeeeeeee", "subnet-0ffffffffffffffff"),
		PublicSubnetIpv4CidrBlocks:  &[]*string{awscdk.Fn_ImportValue(jsii.String("SharedPublicCidrA")), awscdk.Fn_ImportValue(jsii.String("SharedPublicCidrB"))},
		PublicSubnetRouteTableIds:   jsii.Strings("rtb-0eeeeeeeeeeeeeeee", "rtb-0ffffffffffffffff"),
		PrivateSubnetIds:            jsii.Strings("subnet-0cccccccccccccccc", "subnet-0dddddddddddddddd"),
		PrivateSubnetRouteTableIds:  jsii.Strings("rtb-0cccccccccccccccc", "rtb-0dddddddddddddddd"),
		IsolatedSubnetIds:           jsii.Strings("subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"),
		IsolatedSubnetRouteTableIds: jsii.Strings("rtb-0aaaaaaaaaaaaaaaa", "rtb-0bbbbbbbbbbbbbbbb"),
	})
}

// Props returns a resource's Properties.
func Props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// LogicalID returns the one logical ID of type typ that starts with prefix.
func LogicalID(t *testing.T, tpl *Template, typ, prefix string) string {
	t.Helper()
	var found []string
	for id := range tpl.Resources(typ) {
		if strings.HasPrefix(id, prefix) {
			found = append(found, id)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s resources starting with %s: %v, want exactly one", typ, prefix, found)
	}
	return found[0]
}

// UserDataJSON returns the launch template's user data as synthesized (CDK
// tokens as CloudFormation expressions), as JSON.
func UserDataJSON(t *testing.T, tpl *Template) string {
	t.Helper()
	return JSON(UserDataExpr(t, tpl))
}

// UserDataExpr returns the launch template's user data as synthesized.
func UserDataExpr(t *testing.T, tpl *Template) any {
	t.Helper()
	lts := tpl.Resources("AWS::EC2::LaunchTemplate")
	if len(lts) != 1 {
		t.Fatalf("%d launch templates, want 1", len(lts))
	}
	for _, lt := range lts {
		return Props(lt)["LaunchTemplateData"].(map[string]any)["UserData"]
	}
	return nil
}

// RefValue is what a CloudFormation reference resolves to in the tests: a
// plain name derived from the logical ID, so expectations can be computed.
func RefValue(id string) string {
	switch id {
	case "AWS::Region":
		return "us-east-1"
	case "AWS::URLSuffix":
		return "amazonaws.com"
	case "AWS::Partition":
		return "aws"
	case "AWS::AccountId":
		return "123456789012"
	}
	return "ref-" + id
}

// GetAttValue is what a Fn::GetAtt resolves to in the tests.
func GetAttValue(id, attr string) string { return "getatt-" + id + "-" + attr }

// Resolve evaluates the intrinsic functions CDK writes into user data, as
// CloudFormation does at deploy time, with value giving each reference.
func Resolve(t *testing.T, v any, value func(kind string, args ...string) string) string {
	t.Helper()
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		if len(v) != 1 {
			break
		}
		for fn, arg := range v {
			switch fn {
			case "Fn::Base64":
				return Resolve(t, arg, value)
			case "Fn::Join":
				a := arg.([]any)
				var parts []string
				for _, p := range a[1].([]any) {
					parts = append(parts, Resolve(t, p, value))
				}
				return strings.Join(parts, a[0].(string))
			case "Ref":
				return value("Ref", arg.(string))
			case "Fn::GetAtt":
				a := arg.([]any)
				return value("Fn::GetAtt", a[0].(string), a[1].(string))
			case "Fn::ImportValue":
				return value("Fn::ImportValue", Resolve(t, arg, value))
			case "Fn::Sub":
				if text, ok := arg.(string); ok {
					return subPattern.ReplaceAllStringFunc(text, func(m string) string {
						name := m[2 : len(m)-1]
						if id, attr, ok := strings.Cut(name, "."); ok {
							return value("Fn::GetAtt", id, attr)
						}
						return value("Ref", name)
					})
				}
			}
		}
	}
	t.Fatalf("cannot resolve %s", JSON(v))
	return ""
}

// FakeValue resolves references to the names RefValue and GetAttValue give.
func FakeValue(kind string, args ...string) string {
	switch kind {
	case "Ref":
		return RefValue(args[0])
	case "Fn::GetAtt":
		return GetAttValue(args[0], args[1])
	default:
		return "import-" + args[0]
	}
}

// UserData returns the user data (the boot loader) as CloudFormation would
// deploy it.
func UserData(t *testing.T, tpl *Template) string {
	t.Helper()
	return Resolve(t, UserDataExpr(t, tpl), FakeValue)
}

// Boot is a fleet's boot as deployed: the loader (the user data) and the
// boot script it fetches from S3, the asset synthesized beside the template.
type Boot struct {
	// Loader is the user data, its references resolved.
	Loader string
	// Script is the boot script as stored, with its @tierkit:N@ placeholders.
	Script string
	// Values are what the placeholders stand for, resolved.
	Values []string
	// Bucket and Key are where the loader fetches Script from.
	Bucket, Key string
}

var (
	subPattern    = regexp.MustCompile(`\$\{[A-Za-z0-9:.]+\}`)
	loaderValue   = regexp.MustCompile(`(?m)^(BUCKET|KEY)='([^']*)'$`)
	loaderValues  = regexp.MustCompile(`(?s)\nVALUES=\((.*?)\n\)\n`)
	quotedValue   = regexp.MustCompile(`(?m)^'([^']*)'$`)
	placeholderRE = regexp.MustCompile(`@tierkit:([0-9]+)@`)
)

// BootOf returns the boot of tpl's fleet, with value resolving references
// (FakeValue, or a test's own). The script is read from the asset directory
// the template was synthesized into (Outdir).
func BootOf(t *testing.T, tpl *Template, value func(kind string, args ...string) string) Boot {
	t.Helper()
	b := Boot{Loader: Resolve(t, UserDataExpr(t, tpl), value)}
	for _, m := range loaderValue.FindAllStringSubmatch(b.Loader, -1) {
		if m[1] == "BUCKET" {
			b.Bucket = m[2]
		} else {
			b.Key = m[2]
		}
	}
	if b.Bucket == "" || b.Key == "" {
		t.Fatalf("the user data names no BUCKET and KEY: is it the boot loader?\n%s", b.Loader)
	}
	if m := loaderValues.FindStringSubmatch(b.Loader); m != nil {
		for _, v := range quotedValue.FindAllStringSubmatch(m[1], -1) {
			b.Values = append(b.Values, v[1])
		}
	}
	if tpl.Outdir == "" {
		t.Fatal("the template has no Outdir: synthesize it with cdktest.Shared or set Outdir")
	}
	b.Script = ReadFile(t, filepath.Join(tpl.Outdir, "asset."+b.Key))
	return b
}

// Deployed returns the boot script as the loader runs it: its placeholders
// replaced by the values.
func (b Boot) Deployed() string {
	return placeholderRE.ReplaceAllStringFunc(b.Script, func(m string) string {
		i, _ := strconv.Atoi(placeholderRE.FindStringSubmatch(m)[1])
		if i < 1 || i > len(b.Values) {
			return m
		}
		return b.Values[i-1]
	})
}

// BootScript returns the boot script of tpl's fleet as it runs on a
// server, references resolved by FakeValue.
func BootScript(t *testing.T, tpl *Template) string {
	t.Helper()
	return BootOf(t, tpl, FakeValue).Deployed()
}

// CheckUserData checks what every profile's rendered boot must be, for each
// named template: its user data (the loader), resolved with every reference
// as long as boot.WorstCaseValueBytes (more than any real ARN, endpoint or
// name), stays under EC2's limit (boot.MaxUserDataBytes); the loader and the boot
// script pass shellcheck (skipped without shellcheck outside CI).
func CheckUserData(t *testing.T, tpls map[string]*Template) {
	t.Helper()
	limit := boot.MaxUserDataBytes
	long := func(string, ...string) string { return strings.Repeat("x", boot.WorstCaseValueBytes) }
	for name, tpl := range tpls {
		n := len(Resolve(t, UserDataExpr(t, tpl), long))
		t.Logf("%s: %d bytes of user data deployed at most", name, n)
		if n > limit {
			t.Errorf("%s: the deployed user data can reach %d bytes; EC2's limit is %d", name, n, limit)
		}
	}
	if _, err := exec.LookPath("shellcheck"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("shellcheck is not on PATH: install shellcheck (Debian package shellcheck)")
		}
		t.Skip("install shellcheck (Debian package shellcheck)")
	}
	for name, tpl := range tpls {
		b := BootOf(t, tpl, FakeValue)
		for what, text := range map[string]string{"loader": b.Loader, "boot script": b.Deployed()} {
			file := filepath.Join(t.TempDir(), "script")
			WriteFile(t, file, text, 0o644)
			if out, err := exec.Command("shellcheck", "--severity=style", file).CombinedOutput(); err != nil {
				t.Errorf("%s: %s: shellcheck: %v\n%s", name, what, err, out)
			}
		}
	}
}
