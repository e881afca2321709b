package nextcloud_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/internal/cdktest"
)

// The fake instance the boot script runs on, and what AWS answers it.
const (
	instanceIP   = "10.0.2.33"
	instanceID   = "i-0123456789abcdef0"
	region       = "us-east-1"
	imdsToken    = "token-for-this-boot"
	roleName     = "TierFleetRole"
	accessKey    = "ASIAEXAMPLEKEY123456"
	secretKey    = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	sessionToken = "IQoJb3JpZ2luX2VjEXAMPLE/token+with=chars"
	goldenIP     = "10.0.0.1"
	vhost        = "/etc/apache2/sites-available/cloud.example.com.conf"
	// password looks like one the database block generates: letters,
	// digits and the few punctuation marks PasswordExcludedCharacters leaves.
	password = "Zq9,x.T^e_st-=Pw7rA"
	// cacheToken is the cache's AUTH token (letters and digits).
	cacheToken = "CacheTok3nLettersAndDigits0123456789abcdefghij"
	// seed is the generated-values secret: 80 letters and digits.
	seed = "AbCdEfGhIj" + "k1m2n3o4p5q6r7s8t9u0v1w2x3y4z5" + "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxw"
	// caBundle is what the fake truststore serves.
	caBundle = "-----BEGIN CERTIFICATE-----\nMIIFAKE\n-----END CERTIFICATE-----\n"
)

func zone(scope awscdk.Stack) awsroute53.IHostedZone {
	return awsroute53.HostedZone_FromHostedZoneAttributes(scope, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
		HostedZoneId: jsii.String("Z0123456789ABCDEFGHIJ"), ZoneName: jsii.String("example.com"),
	})
}

func image() awsec2.IMachineImage {
	return awsec2.MachineImage_GenericLinux(&map[string]*string{region: jsii.String("ami-0123456789abcdef0")}, nil)
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
		return region
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

// fakeIMDS is IMDSv2 on an instance with the fleet's role, and the singleton
// tag when singleton is set (404 otherwise, as for an absent tag).
type fakeIMDS struct {
	*httptest.Server
	singleton bool
}

func newFakeIMDS(t *testing.T, singleton bool) *fakeIMDS {
	t.Helper()
	f := &fakeIMDS{singleton: singleton}
	creds, _ := json.MarshalIndent(map[string]string{
		"Code": "Success", "LastUpdated": "2026-11-23T10:00:00Z", "Type": "AWS-HMAC",
		"AccessKeyId": accessKey, "SecretAccessKey": secretKey, "Token": sessionToken, "Expiration": "2026-11-23T16:00:00Z",
	}, "", "  ")
	values := map[string]string{
		"/latest/meta-data/local-ipv4":                           instanceIP,
		"/latest/meta-data/instance-id":                          instanceID,
		"/latest/meta-data/placement/region":                     region,
		"/latest/meta-data/iam/security-credentials/":            roleName,
		"/latest/meta-data/iam/security-credentials/" + roleName: string(creds),
	}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token":
			w.Write([]byte(imdsToken))
		case r.Header.Get("X-aws-ec2-metadata-token") != imdsToken:
			http.Error(w, "unauthorized", http.StatusUnauthorized)
		case r.URL.Path == "/latest/meta-data/tags/instance/tierkit-singleton" && f.singleton:
			w.Write([]byte("true"))
		case values[r.URL.Path] != "":
			w.Write([]byte(values[r.URL.Path]))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(f.Close)
	return f
}

// smRequest is one request the fake Secrets Manager received.
type smRequest struct {
	Target, ContentType, SecurityToken, SecretID string
	// SignatureError is why the SigV4 signature does not verify, or "".
	SignatureError string
}

// fakeAWS is Secrets Manager (POST /) and the RDS truststore (GET
// /global-bundle.pem). Secrets Manager verifies the request's SigV4
// signature with the role's keys, as AWS does, and answers the secret
// (or, with deny, AccessDeniedException).
type fakeAWS struct {
	*httptest.Server
	// secrets are answered by a fragment of the SecretId (the resolved ARN
	// names the secret's logical ID): "Database", "Cache", "Seed".
	secrets  map[string]map[string]any
	deny     bool
	noBundle bool
	mu       sync.Mutex
	requests []smRequest
}

func newFakeAWS(t *testing.T, secrets map[string]map[string]any) *fakeAWS {
	t.Helper()
	f := &fakeAWS{secrets: secrets}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/global-bundle.pem" {
			if f.noBundle {
				// Not 5xx: curl would retry for half a minute.
				http.NotFound(w, r)
				return
			}
			w.Write([]byte(caBundle))
			return
		}
		body, _ := io.ReadAll(r.Body)
		var in struct{ SecretId string }
		_ = json.Unmarshal(body, &in)
		req := smRequest{
			Target: r.Header.Get("X-Amz-Target"), ContentType: r.Header.Get("Content-Type"),
			SecurityToken: r.Header.Get("X-Amz-Security-Token"), SecretID: in.SecretId,
			SignatureError: verifySigV4(r, body, "secretsmanager"),
		}
		f.mu.Lock()
		f.requests = append(f.requests, req)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if f.deny || req.SignatureError != "" || req.Target != "secretsmanager.GetSecretValue" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"__type":"AccessDeniedException","Message":"User: arn:aws:sts::123456789012:assumed-role/%s/%s is not authorized to perform: secretsmanager:GetSecretValue"}`, roleName, instanceID)
			return
		}
		var secret map[string]any
		for fragment, s := range f.secrets {
			if strings.Contains(in.SecretId, fragment) {
				secret = s
			}
		}
		if secret == nil {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"__type":"ResourceNotFoundException","Message":"Secrets Manager can't find the specified secret."}`)
			return
		}
		inner, _ := json.Marshal(secret)
		out, _ := json.Marshal(map[string]any{
			"ARN": in.SecretId, "Name": "TierSecret", "SecretString": string(inner),
			"VersionId": "a1b2c3", "VersionStages": []string{"AWSCURRENT"}, "CreatedDate": 1.7e9,
		})
		w.Write(out)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAWS) Requests() []smRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

var spaces = regexp.MustCompile(` +`)

// verifySigV4 checks r's AWS Signature Version 4 with the role's keys and
// returns what is wrong, or "".
func verifySigV4(r *http.Request, body []byte, service string) string {
	auth := r.Header.Get("Authorization")
	m := regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$`).FindStringSubmatch(auth)
	switch {
	case m == nil:
		return fmt.Sprintf("Authorization %q is not a SigV4 header", auth)
	case m[1] != accessKey || m[3] != region || m[4] != service:
		return fmt.Sprintf("credential scope %s/%s/%s, want %s/%s/%s", m[1], m[3], m[4], accessKey, region, service)
	}
	amzDate := r.Header.Get("X-Amz-Date")
	if !strings.HasPrefix(amzDate, m[2]) {
		return fmt.Sprintf("X-Amz-Date %q does not match the scope date %s", amzDate, m[2])
	}
	signed := strings.Split(m[5], ";")
	for _, must := range []string{"host", "x-amz-date"} {
		if !slices.Contains(signed, must) {
			return fmt.Sprintf("%s is not signed (SignedHeaders=%s)", must, m[5])
		}
	}
	var canonical strings.Builder
	for _, h := range signed {
		v := r.Header.Get(h)
		if h == "host" {
			v = r.Host
		}
		fmt.Fprintf(&canonical, "%s:%s\n", h, spaces.ReplaceAllString(strings.TrimSpace(v), " "))
	}
	sum := sha256.Sum256(body)
	request := strings.Join([]string{r.Method, "/", r.URL.RawQuery, canonical.String(), m[5], hex.EncodeToString(sum[:])}, "\n")
	requestSum := sha256.Sum256([]byte(request))
	scope := strings.Join([]string{m[2], region, service, "aws4_request"}, "/")
	toSign := strings.Join([]string{"AWS4-HMAC-SHA256", amzDate, scope, hex.EncodeToString(requestSum[:])}, "\n")
	mac := func(key []byte, data string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(data))
		return h.Sum(nil)
	}
	key := mac(mac(mac(mac([]byte("AWS4"+secretKey), m[2]), region), service), "aws4_request")
	if want := hex.EncodeToString(mac(key, toSign)); want != m[6] {
		return fmt.Sprintf("signature %s does not verify (want %s)", m[6], want)
	}
	return ""
}

// machine is a temporary root the boot script runs against, with stubs for
// the programs that need root or a real system (systemctl, runuser, chown,
// the CloudWatch agent). php is not stubbed: the boot runs no occ, and
// checks the configuration with php -l only where PHP is installed.
type machine struct {
	Root  string
	stubs string
	calls string
	imds  *fakeIMDS
	aws   *fakeAWS
}

// freshConfig is the AMI's config.php of a server installed without the
// instance-wide values (an autoconfig install, a hand-made image).
const freshConfig = `<?php
$CONFIG = array (
  'instanceid' => '',
  'datadirectory' => '/var/www/nextcloud/data',
  'dbtype' => 'mysql',
  'dbhost' => 'localhost',
  'dbpassword' => 'golden-db-password',
  'trusted_domains' => array (0 => 'localhost', 1 => '10.0.0.1'),
  'version' => '31.0.0.1',
  'installed' => true,
);
`

// installedConfig is the golden server's config.php after the installer:
// it holds the instance-wide values.
const installedConfig = `<?php
$CONFIG = array (
  'instanceid' => 'ocgolden1234',
  'passwordsalt' => 'GoldenSaltGoldenSaltGoldenSalt',
  'secret' => 'GoldenSecretGoldenSecretGoldenSecretGold',
  'datadirectory' => '/var/www/nextcloud/data',
  'dbtype' => 'mysql',
  'version' => '31.0.0.1',
  'installed' => true,
);
`

// secrets returns what the fake Secrets Manager holds: the database secret
// as RDS attaches it, the cache's token and the seed.
func secrets() map[string]map[string]any {
	return map[string]map[string]any{
		"Database": {"password": password, "dbname": "app", "engine": "mysql", "port": 3307,
			"dbInstanceIdentifier": "tier-db", "host": "tier-db.example", "username": "tierkit_admin"},
		"Cache": {"token": cacheToken},
		"Seed":  {"seed": seed},
	}
}

// newMachine returns a copy of the golden server: Nextcloud at install
// with config (config.php's content), its cron entry, PHP's conf.d
// directories, the vhost and /etc/hosts holding the golden IP, and the
// CloudWatch agent.
func newMachine(t *testing.T, singleton bool, install, config string) *machine {
	t.Helper()
	dir := t.TempDir()
	m := &machine{Root: filepath.Join(dir, "root"), stubs: filepath.Join(dir, "bin"), calls: filepath.Join(dir, "calls"),
		imds: newFakeIMDS(t, singleton), aws: newFakeAWS(t, secrets())}
	writeFile(t, filepath.Join(m.stubs, "systemctl"), `#!/bin/bash
echo "systemctl $*" >>"$TIERKIT_TEST_CALLS"
[[ "$*" != "cat crond.service" ]]
`, 0o755)
	writeFile(t, filepath.Join(m.stubs, "runuser"), `#!/bin/bash
echo "runuser $*" >>"$TIERKIT_TEST_CALLS"
exit 2
`, 0o755)
	writeFile(t, filepath.Join(m.stubs, "chown"), `#!/bin/bash
echo "chown ${*//"$TIERKIT_ROOT"/}" >>"$TIERKIT_TEST_CALLS"
`, 0o755)
	writeFile(t, filepath.Join(m.Root, "opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl"), "#!/bin/bash\n", 0o755)
	writeFile(t, filepath.Join(m.Root, "etc/hosts"), "127.0.0.1 localhost\n10.0.0.1 cloud.example.com cloud\n", 0o644)
	writeFile(t, filepath.Join(m.Root, vhost), "<VirtualHost 10.0.0.1:80>\n  ServerName cloud.example.com\n  DocumentRoot /var/www/nextcloud\n</VirtualHost>\n", 0o644)
	writeFile(t, filepath.Join(m.Root, install, "config/config.php"), config, 0o640)
	writeFile(t, filepath.Join(m.Root, install, "cron.php"), "<?php\n", 0o644)
	writeFile(t, filepath.Join(m.Root, "etc/cron.d/nextcloud"), "*/5 * * * * www-data php -f /var/www/nextcloud/cron.php\n", 0o644)
	for _, d := range []string{"etc/php/8.3/apache2/conf.d", "etc/php/8.3/cli/conf.d"} {
		if err := os.MkdirAll(filepath.Join(m.Root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
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
