package cdktest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/jsii-runtime-go"
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

// ImportedVpc is a VPC owned elsewhere whose CIDR is another stack's export:
// TRUSTED_PROXIES is then a token resolved at deploy time.
func ImportedVpc(scope awscdk.Stack) awsec2.IVpc {
	return awsec2.Vpc_FromVpcAttributes(scope, jsii.String("SharedVpc"), &awsec2.VpcAttributes{
		VpcId:                       jsii.String("vpc-0123456789abcdef0"),
		VpcCidrBlock:                awscdk.Fn_ImportValue(jsii.String("SharedVpcCidr")),
		AvailabilityZones:           jsii.Strings("us-east-1a", "us-east-1b"),
		PublicSubnetIds:             jsii.Strings("subnet-0eeeeeeeeeeeeeeee", "subnet-0ffffffffffffffff"),
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

// UserData returns the boot script as CloudFormation would deploy it.
func UserData(t *testing.T, tpl *Template) string {
	t.Helper()
	return Resolve(t, UserDataExpr(t, tpl), FakeValue)
}

// CheckUserData checks what every profile's rendered boot script must be,
// for each named template: it passes shellcheck (skipped without shellcheck
// outside CI), and resolved with every reference 100 characters long (more
// than any real ARN, endpoint or name) it stays 1 KB under EC2's limit of
// limit bytes, which leaves room for longer golden-IP file lists.
func CheckUserData(t *testing.T, limit int, tpls map[string]*Template) {
	t.Helper()
	long := func(string, ...string) string { return strings.Repeat("x", 100) }
	for name, tpl := range tpls {
		n := len(Resolve(t, UserDataExpr(t, tpl), long))
		t.Logf("%s: %d bytes deployed at most", name, n)
		if n > limit-1024 {
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
		file := filepath.Join(t.TempDir(), "user-data")
		WriteFile(t, file, UserData(t, tpl), 0o644)
		if out, err := exec.Command("shellcheck", "--severity=style", file).CombinedOutput(); err != nil {
			t.Errorf("%s: shellcheck: %v\n%s", name, err, out)
		}
	}
}
