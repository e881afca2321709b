package laravel_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/internal/cdktest"
	"github.com/tierkit/tierkit/internal/fakeaws"
)

// The golden server the AMI is made from, and the tier's secrets.
const (
	goldenIP = "10.0.0.1"
	vhost    = "/etc/apache2/sites-available/api.example.com.conf"
	// password looks like one the database block generates: letters,
	// digits and the few punctuation marks PasswordExcludedCharacters leaves.
	password = "Zq9,x.T^e_st-=Pw7rA"
)

func zone(scope awscdk.Stack) awsroute53.IHostedZone {
	return awsroute53.HostedZone_FromHostedZoneAttributes(scope, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
		HostedZoneId: jsii.String("Z0123456789ABCDEFGHIJ"), ZoneName: jsii.String("example.com"),
	})
}

func image() awsec2.IMachineImage {
	return awsec2.MachineImage_GenericLinux(&map[string]*string{fakeaws.Region: jsii.String("ami-0123456789abcdef0")}, nil)
}

// importedVpc is a VPC owned elsewhere whose CIDR is another stack's export:
// TRUSTED_PROXIES is then a token resolved at deploy time.
func importedVpc(scope awscdk.Stack) awsec2.IVpc {
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

// props returns a resource's Properties.
func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// logicalID returns the one logical ID of type typ that starts with prefix.
func logicalID(t *testing.T, tpl *cdktest.Template, typ, prefix string) string {
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

// userDataJSON returns the launch template's user data as synthesized (CDK
// tokens as CloudFormation expressions), as JSON.
func userDataJSON(t *testing.T, tpl *cdktest.Template) string {
	t.Helper()
	return cdktest.JSON(userDataExpr(t, tpl))
}

func userDataExpr(t *testing.T, tpl *cdktest.Template) any {
	t.Helper()
	lts := tpl.Resources("AWS::EC2::LaunchTemplate")
	if len(lts) != 1 {
		t.Fatalf("%d launch templates, want 1", len(lts))
	}
	for _, lt := range lts {
		return props(lt)["LaunchTemplateData"].(map[string]any)["UserData"]
	}
	return nil
}

// refValue is what a CloudFormation reference resolves to in the tests: a
// plain name derived from the logical ID, so expectations can be computed.
func refValue(id string) string {
	switch id {
	case "AWS::Region":
		return fakeaws.Region
	case "AWS::URLSuffix":
		return "amazonaws.com"
	case "AWS::Partition":
		return "aws"
	case "AWS::AccountId":
		return "123456789012"
	}
	return "ref-" + id
}

func getAttValue(id, attr string) string { return "getatt-" + id + "-" + attr }

// resolve evaluates the intrinsic functions CDK writes into user data, as
// CloudFormation does at deploy time, with value giving each reference.
func resolve(t *testing.T, v any, value func(kind string, args ...string) string) string {
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
				return resolve(t, arg, value)
			case "Fn::Join":
				a := arg.([]any)
				var parts []string
				for _, p := range a[1].([]any) {
					parts = append(parts, resolve(t, p, value))
				}
				return strings.Join(parts, a[0].(string))
			case "Ref":
				return value("Ref", arg.(string))
			case "Fn::GetAtt":
				a := arg.([]any)
				return value("Fn::GetAtt", a[0].(string), a[1].(string))
			case "Fn::ImportValue":
				return value("Fn::ImportValue", resolve(t, arg, value))
			}
		}
	}
	t.Fatalf("cannot resolve %s", cdktest.JSON(v))
	return ""
}

// fakeValue resolves references to the names refValue and getAttValue give.
func fakeValue(kind string, args ...string) string {
	switch kind {
	case "Ref":
		return refValue(args[0])
	case "Fn::GetAtt":
		return getAttValue(args[0], args[1])
	default:
		return "import-" + args[0]
	}
}

// userData returns the boot script as CloudFormation would deploy it.
func userData(t *testing.T, tpl *cdktest.Template) string {
	t.Helper()
	return resolve(t, userDataExpr(t, tpl), fakeValue)
}

// machine is a temporary root the boot script runs against, with stubs for
// the programs that need root or a real system (systemctl, runuser, chown,
// php, the CloudWatch agent).
type machine struct {
	Root  string
	stubs string
	calls string
	imds  *fakeaws.IMDS
	aws   *fakeaws.SecretsManager
}

const defaultEnv = `APP_NAME=Api
APP_ENV=local
APP_KEY=base64:c2VjcmV0LWtleS1vZi10aGUtZ29sZGVuLXNlcnZlcg==
APP_DEBUG=true
APP_URL=http://10.0.0.1

# database of the golden server
DB_CONNECTION=mysql
DB_HOST=10.0.0.1
DB_HOST=10.0.0.2
export DB_USERNAME=laravel
DB_PASSWORD=old-password
DB_URL=mysql://laravel:old-password@10.0.0.1/api

AWS_ACCESS_KEY_ID=AKIAOLDKEY
AWS_SECRET_ACCESS_KEY=old/secret
AWS_BUCKET=golden-uploads
SESSION_DRIVER=file
LOG_CHANNEL=stack
QUEUE_CONNECTION=database
`

// newMachine returns a copy of the golden server: the Laravel application
// at app with its .env, its cron entry, the vhost and /etc/hosts holding
// the golden IP, and the CloudWatch agent.
func newMachine(t *testing.T, singleton bool, app string, secret map[string]any) *machine {
	t.Helper()
	dir := t.TempDir()
	m := &machine{Root: filepath.Join(dir, "root"), stubs: filepath.Join(dir, "bin"), calls: filepath.Join(dir, "calls"),
		imds: fakeaws.NewIMDS(t, singleton), aws: fakeaws.NewSecretsManager(t, map[string]map[string]any{"": secret})}
	m.aws.Name = "TierDatabaseSecret"
	writeFile(t, filepath.Join(m.stubs, "systemctl"), `#!/bin/bash
echo "systemctl $*" >>"$TIERKIT_TEST_CALLS"
[[ "$*" != "cat crond.service" ]]
`, 0o755)
	writeFile(t, filepath.Join(m.stubs, "runuser"), `#!/bin/bash
echo "runuser $*" >>"$TIERKIT_TEST_CALLS"
[[ $1 == -u && $3 == -- ]] || exit 2
shift 3
exec "$@"
`, 0o755)
	writeFile(t, filepath.Join(m.stubs, "php"), `#!/bin/bash
echo "php $* (in ${PWD#"$TIERKIT_ROOT"})" >>"$TIERKIT_TEST_CALLS"
`, 0o755)
	writeFile(t, filepath.Join(m.stubs, "chown"), `#!/bin/bash
echo "chown ${*//"$TIERKIT_ROOT"/}" >>"$TIERKIT_TEST_CALLS"
`, 0o755)
	writeFile(t, filepath.Join(m.Root, "opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl"), "#!/bin/bash\n", 0o755)
	writeFile(t, filepath.Join(m.Root, "etc/hosts"), "127.0.0.1 localhost\n10.0.0.1 api.example.com api\n", 0o644)
	writeFile(t, filepath.Join(m.Root, vhost), "<VirtualHost 10.0.0.1:80>\n  ServerName api.example.com\n  DocumentRoot /var/www/html/public\n</VirtualHost>\n", 0o644)
	writeFile(t, filepath.Join(m.Root, app, "artisan"), "#!/usr/bin/env php\n", 0o755)
	writeFile(t, filepath.Join(m.Root, app, ".env"), defaultEnv, 0o644)
	writeFile(t, filepath.Join(m.Root, "etc/cron.d/laravel"), "* * * * * www-data cd /var/www/html && php artisan schedule:run >> /dev/null 2>&1\n", 0o644)
	return m
}

// result is one run of the boot script.
type result struct {
	Err     error
	Console string
	Log     string
	Calls   []string
}

// run runs script with bash against the machine, with the fakes' addresses.
func (m *machine) run(t *testing.T, script string) result {
	t.Helper()
	file := filepath.Join(t.TempDir(), "user-data")
	writeFile(t, file, script, 0o755)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", file)
	cmd.Env = append(os.Environ(),
		"PATH="+m.stubs+string(os.PathListSeparator)+os.Getenv("PATH"),
		"TIERKIT_ROOT="+m.Root,
		"TIERKIT_IMDS="+m.imds.URL,
		"TIERKIT_TEST_CALLS="+m.calls,
		"TIERKIT_SECRETS_ENDPOINT="+m.aws.URL,
		"TIERKIT_RDS_CA_URL="+m.aws.URL+"/global-bundle.pem",
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("the script did not finish in time:\n%s", out.String())
	}
	r := result{Err: err, Console: out.String()}
	if b, err := os.ReadFile(filepath.Join(m.Root, "var/log/tierkit-boot.log")); err == nil {
		r.Log = string(b)
	}
	if b, err := os.ReadFile(m.calls); err == nil {
		r.Calls = strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	}
	return r
}

func (m *machine) exists(rel string) bool {
	_, err := os.Lstat(filepath.Join(m.Root, rel))
	return err == nil
}

func (m *machine) read(t *testing.T, rel string) string {
	t.Helper()
	return readFile(t, filepath.Join(m.Root, rel))
}

func writeFile(t *testing.T, file, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("reading %s: %v", file, err)
	}
	return string(b)
}
