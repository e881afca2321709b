package boot_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// TestMain runs at least 4 tests at a time unless -parallel says otherwise:
// a boot test mostly waits (for the fakes, the scripts' processes, the
// health check's polls), and with the default, GOMAXPROCS, a 2-CPU machine
// would leave the 10-second health check test holding one of two slots.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set && runtime.GOMAXPROCS(0) < 4 {
		_ = flag.Set("test.parallel", "4")
	}
	os.Exit(m.Run())
}

// The fake instance the script boots on.
const (
	instanceIP     = "10.0.2.33"
	instanceID     = "i-0123456789abcdef0"
	instanceRegion = "us-east-1"
	instanceAZ     = "us-east-1b"
	imdsToken      = "token-for-this-boot"
	sessionToken   = "session-token"
)

// The fleet the instance belongs to: where its boot script is, whom it
// signals, and the tags the fleet gives its servers.
const (
	assetBucket    = "cdk-hnb659fds-assets-123456789012-us-east-1"
	assetKey       = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0.sh"
	stackID        = "arn:aws:cloudformation:us-east-1:123456789012:stack/api/6f0d3a10-0000-11ef-8d1a-0affd5b1c6e1"
	signalResource = "FleetGroupASG0A1B2C3D"
	lifecycleHook  = "tierkit-boot"
	groupName      = "api-FleetGroupASG0A1B2C3D-1ABCDEF"

	signalTag    = "tierkit-signal-resource"
	lifecycleTag = "tierkit-lifecycle-hook"
	singletonTag = "tierkit-singleton"
)

// fleetLoc is where the tests' fleet keeps its boot script.
var fleetLoc = boot.Location{Bucket: assetBucket, Key: assetKey, Stack: stackID}

// Paths below the machine's root.
const (
	instanceDir     = "var/lib/cloud/instance/tierkit"
	installedLoader = instanceDir + "/loader.sh"
	deployedScript  = instanceDir + "/boot.sh"
	perBootHook     = "var/lib/cloud/scripts/per-boot/tierkit-boot"
	bootFailed      = "var/lib/tierkit/boot-failed"
	bootOK          = "var/lib/tierkit/boot-ok"
	bootLog         = "var/log/tierkit-boot.log"
)

// imdsRequest is one request the fake IMDS received.
type imdsRequest struct {
	Method, Path, Token, TTL string
}

// fakeIMDS is an IMDSv2 endpoint: PUT /latest/api/token issues a token and
// every GET must carry it, or gets 401, as on an instance with IMDSv1 off.
// With rejectAll, even a GET with the token gets 401. The instance's tags
// (instance metadata tags are on) start as a fleet's Auto Scaling group
// gives them, without the lifecycle hook: see setTag.
type fakeIMDS struct {
	*httptest.Server
	mu        sync.Mutex
	rejectAll bool
	values    map[string]string // by path
	tags      map[string]string
	requests  []imdsRequest
}

func newFakeIMDS(t *testing.T) *fakeIMDS {
	t.Helper()
	f := &fakeIMDS{tags: map[string]string{signalTag: signalResource}}
	f.values = map[string]string{
		"/latest/meta-data/local-ipv4":                    instanceIP,
		"/latest/meta-data/instance-id":                   instanceID,
		"/latest/meta-data/placement/region":              instanceRegion,
		"/latest/meta-data/placement/availability-zone":   instanceAZ,
		"/latest/dynamic/instance-identity/document":      `{"region":"` + instanceRegion + `"}`,
		"/latest/meta-data/iam/security-credentials/":     "role",
		"/latest/meta-data/iam/security-credentials/role": `{"Code":"Success","AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"secret-key","Token":"` + sessionToken + `"}`,
	}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, imdsRequest{r.Method, r.URL.Path, r.Header.Get("X-aws-ec2-metadata-token"), r.Header.Get("X-aws-ec2-metadata-token-ttl-seconds")})
		rejectAll := f.rejectAll
		tag, tagged := f.tags[strings.TrimPrefix(r.URL.Path, "/latest/meta-data/tags/instance/")]
		value := f.values[r.URL.Path]
		f.mu.Unlock()
		switch {
		case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token":
			if r.Header.Get("X-aws-ec2-metadata-token-ttl-seconds") == "" {
				http.Error(w, "missing TTL", http.StatusBadRequest)
				return
			}
			w.Write([]byte(imdsToken))
		case r.Method != http.MethodGet:
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		case rejectAll || r.Header.Get("X-aws-ec2-metadata-token") != imdsToken:
			http.Error(w, "unauthorized", http.StatusUnauthorized)
		case strings.HasPrefix(r.URL.Path, "/latest/meta-data/tags/instance/") && tagged:
			w.Write([]byte(tag))
		case value != "":
			w.Write([]byte(value))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(f.Close)
	return f
}

// setTag gives the instance the tag key=value; an empty value removes it
// (IMDS then answers 404).
func (f *fakeIMDS) setTag(key, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if value == "" {
		delete(f.tags, key)
	} else {
		f.tags[key] = value
	}
}

// setLocalIP makes local-ipv4 answer ip.
func (f *fakeIMDS) setLocalIP(ip string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.values["/latest/meta-data/local-ipv4"] = ip
}

func (f *fakeIMDS) rejectEverything() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rejectAll = true
}

func (f *fakeIMDS) Requests() []imdsRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

// emptySHA256 is the SHA-256 of an empty body, which S3 wants signed as the
// payload hash of a GET.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// s3Request is one GET the fake S3 received.
type s3Request struct {
	Path string
	// Problem is why the request is not one S3 accepts from the instance
	// role, or "".
	Problem string
}

// awsCall is one form post the fake CloudFormation or Auto Scaling received.
type awsCall struct {
	Service, Action string
	// Status is SignalResource's Status or CompleteLifecycleAction's
	// LifecycleActionResult.
	Status string
	// Stack is SignalResource's StackName; Group and Hook are
	// CompleteLifecycleAction's AutoScalingGroupName and LifecycleHookName.
	Stack, LogicalResourceID, UniqueID, Group, Hook string
	Problem                                         string
}

// fakeAWS answers, on one server, by path: S3 (GET /s3/BUCKET/KEY, path
// style), CloudFormation (POST /cloudformation/), Auto Scaling (POST
// /autoscaling/), Secrets Manager (POST /secretsmanager/), SSM Parameter
// Store (POST /ssm/) and the web
// server's health check path (GET /health/PATH). Every AWS request must be
// signed with the instance role's key and session token for its service in
// the instance's region, or it is refused (403) and recorded with the problem.
type fakeAWS struct {
	*httptest.Server
	mu           sync.Mutex
	objects      map[string][]byte // by BUCKET/KEY
	secrets      map[string]string // SecretString by SecretId
	parameters   map[string]string // SSM parameter values by Name
	fetches      []s3Request
	calls        []awsCall
	cfnRefusal   int // SignalResource's answer when not 0 (a refusal)
	healthStatus int // what the health path answers; 0 is 200
	healthFirst  []int
	healthChecks []string // the paths asked
}

func newFakeAWS(t *testing.T) *fakeAWS {
	t.Helper()
	f := &fakeAWS{objects: map[string][]byte{}, secrets: map[string]string{}, parameters: map[string]string{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

// signatureProblem is why r is not signed as curl --aws-sigv4 signs with the
// instance role's credentials for service, or "".
func signatureProblem(r *http.Request, service string) string {
	auth := r.Header.Get("Authorization")
	_, signed, _ := strings.Cut(auth, "SignedHeaders=")
	signed, _, _ = strings.Cut(signed, ",")
	headers := strings.Split(signed, ";")
	switch {
	case !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/"):
		return "not signed (SigV4) with the role's access key: " + auth
	case !strings.Contains(auth, "/"+instanceRegion+"/"+service+"/aws4_request"):
		return "not signed for " + service + " in " + instanceRegion + ": " + auth
	case r.Header.Get("X-Amz-Security-Token") != sessionToken || !slices.Contains(headers, "x-amz-security-token"):
		return "no signed X-Amz-Security-Token with the role's session token"
	case r.Header.Get("X-Amz-Date") == "":
		return "no X-Amz-Date"
	}
	return ""
}

func (f *fakeAWS) serve(w http.ResponseWriter, r *http.Request) {
	service, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch service {
	case "health":
		f.mu.Lock()
		f.healthChecks = append(f.healthChecks, r.URL.Path)
		status := f.healthStatus
		if len(f.healthFirst) > 0 {
			status, f.healthFirst = f.healthFirst[0], f.healthFirst[1:]
		}
		f.mu.Unlock()
		if status == 0 {
			status = http.StatusOK
		}
		w.WriteHeader(status)
	case "s3":
		f.serveS3(w, r, rest)
	case "cloudformation", "autoscaling":
		f.serveQuery(w, r, service)
	case "secretsmanager":
		f.serveSecrets(w, r)
	case "ssm":
		f.serveParameters(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeAWS) serveS3(w http.ResponseWriter, r *http.Request, object string) {
	req := s3Request{Path: r.URL.Path, Problem: signatureProblem(r, "s3")}
	if req.Problem == "" && r.Method != http.MethodGet {
		req.Problem = r.Method + " instead of GET"
	}
	if signed, _, _ := strings.Cut(r.Header.Get("Authorization"), ", Signature="); req.Problem == "" &&
		(r.Header.Get("X-Amz-Content-Sha256") != emptySHA256 || !strings.Contains(signed, "x-amz-content-sha256")) {
		req.Problem = "no signed X-Amz-Content-Sha256 of the empty body: S3 wants the payload hash signed"
	}
	f.mu.Lock()
	f.fetches = append(f.fetches, req)
	body, ok := f.objects[object]
	f.mu.Unlock()
	switch {
	case req.Problem != "":
		http.Error(w, "<Error><Code>AccessDenied</Code><Message>"+req.Problem+"</Message></Error>", http.StatusForbidden)
	case !ok:
		http.Error(w, "<Error><Code>NoSuchKey</Code></Error>", http.StatusNotFound)
	default:
		w.Write(body)
	}
}

func (f *fakeAWS) serveQuery(w http.ResponseWriter, r *http.Request, service string) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	call := awsCall{Service: service, Action: form.Get("Action"), Problem: signatureProblem(r, service)}
	if call.Problem == "" && (r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded") {
		call.Problem = "not a form POST"
	}
	switch call.Action {
	case "SignalResource":
		call.Status, call.Stack, call.LogicalResourceID, call.UniqueID = form.Get("Status"), form.Get("StackName"), form.Get("LogicalResourceId"), form.Get("UniqueId")
	case "DescribeAutoScalingInstances":
		call.UniqueID = form.Get("InstanceIds.member.1")
	case "CompleteLifecycleAction":
		call.Status, call.Group, call.Hook, call.UniqueID = form.Get("LifecycleActionResult"), form.Get("AutoScalingGroupName"), form.Get("LifecycleHookName"), form.Get("InstanceId")
	}
	f.mu.Lock()
	f.calls = append(f.calls, call)
	refusal := f.cfnRefusal
	f.mu.Unlock()
	switch {
	case call.Problem != "":
		http.Error(w, "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code><Message>"+call.Problem+"</Message></Error></ErrorResponse>", http.StatusForbidden)
	case call.Action == "SignalResource" && refusal != 0:
		http.Error(w, "<ErrorResponse><Error><Code>ValidationError</Code><Message>Resource "+call.LogicalResourceID+" is in CREATE_COMPLETE state and can not be signaled</Message></Error></ErrorResponse>", refusal)
	case call.Action == "SignalResource":
		w.Write([]byte("<SignalResourceResponse><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></SignalResourceResponse>"))
	case call.Action == "DescribeAutoScalingInstances":
		w.Write([]byte("<DescribeAutoScalingInstancesResponse>\n<DescribeAutoScalingInstancesResult><AutoScalingInstances><member>\n" +
			"<InstanceId>" + call.UniqueID + "</InstanceId>\n<AutoScalingGroupName>" + groupName + "</AutoScalingGroupName>\n" +
			"<LifecycleState>Pending:Wait</LifecycleState>\n</member></AutoScalingInstances></DescribeAutoScalingInstancesResult>\n</DescribeAutoScalingInstancesResponse>\n"))
	case call.Action == "CompleteLifecycleAction":
		w.Write([]byte("<CompleteLifecycleActionResponse><CompleteLifecycleActionResult/></CompleteLifecycleActionResponse>"))
	default:
		http.Error(w, "<ErrorResponse><Error><Code>InvalidAction</Code></Error></ErrorResponse>", http.StatusBadRequest)
	}
}

// serveSecrets answers GetSecretValue for the stored secrets.
func (f *fakeAWS) serveSecrets(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var in struct{ SecretId string }
	_ = json.Unmarshal(body, &in)
	f.mu.Lock()
	secret, ok := f.secrets[in.SecretId]
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	switch {
	case signatureProblem(r, "secretsmanager") != "" || r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue":
		http.Error(w, `{"__type":"AccessDeniedException"}`, http.StatusBadRequest)
	case !ok:
		http.Error(w, `{"__type":"ResourceNotFoundException"}`, http.StatusBadRequest)
	default:
		out, _ := json.Marshal(map[string]string{"ARN": in.SecretId, "SecretString": secret})
		w.Write(out)
	}
}

// serveParameters answers SSM's GetParameter, with decryption, for the
// stored parameters.
func (f *fakeAWS) serveParameters(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var in struct {
		Name           string
		WithDecryption bool
	}
	_ = json.Unmarshal(body, &in)
	f.mu.Lock()
	value, ok := f.parameters[in.Name]
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	switch {
	case signatureProblem(r, "ssm") != "" || r.Header.Get("X-Amz-Target") != "AmazonSSM.GetParameter" || !in.WithDecryption:
		http.Error(w, `{"__type":"AccessDeniedException"}`, http.StatusBadRequest)
	case !ok:
		http.Error(w, `{"__type":"ParameterNotFound"}`, http.StatusBadRequest)
	default:
		out, _ := json.Marshal(map[string]any{"Parameter": map[string]any{
			"Name": in.Name, "Type": "SecureString", "Value": value, "Version": 3, "ARN": "arn:aws:ssm:" + instanceRegion + ":123456789012:parameter" + in.Name,
		}})
		w.Write(out)
	}
}

// putSecretString stores the secret id with value as its string, as is.
func (f *fakeAWS) putSecretString(id, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.secrets[id] = value
}

// putParameter stores the SSM parameter name.
func (f *fakeAWS) putParameter(name, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.parameters[name] = value
}

// putObject stores body as the object loc names.
func (f *fakeAWS) putObject(loc boot.Location, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objects[loc.Bucket+"/"+loc.Key] = []byte(body)
}

// putSecret stores the JSON secret id.
func (f *fakeAWS) putSecret(id string, fields map[string]string) {
	s, _ := json.Marshal(fields)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.secrets[id] = string(s)
}

// setHealth makes the health path answer status, after the statuses first
// (one a request).
func (f *fakeAWS) setHealth(status int, first ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.healthStatus, f.healthFirst = status, first
}

// refuseSignals makes CloudFormation refuse SignalResource with status.
func (f *fakeAWS) refuseSignals(status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cfnRefusal = status
}

// Fetches returns the S3 requests received so far, in order.
func (f *fakeAWS) Fetches() []s3Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.fetches)
}

// Calls returns the CloudFormation and Auto Scaling calls received so far,
// in order.
func (f *fakeAWS) Calls() []awsCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Signals returns the calls that report a boot's outcome: SignalResource
// and CompleteLifecycleAction, in order.
func (f *fakeAWS) Signals() []awsCall {
	var out []awsCall
	for _, c := range f.Calls() {
		if c.Action == "SignalResource" || c.Action == "CompleteLifecycleAction" {
			out = append(out, c)
		}
	}
	return out
}

// HealthChecks returns the paths of the health checks received so far.
func (f *fakeAWS) HealthChecks() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.healthChecks)
}

// machine is a temporary root the boot runs against, as on a server of the
// fleet: the fake IMDS and AWS endpoints, and stubs first on PATH for the
// programs it must not really run.
type machine struct {
	Root     string
	stubs    string
	calls    string // systemctl's and the steps' calls, one per line
	imds     *fakeIMDS
	aws      *fakeAWS
	extraEnv []string
}

func newMachine(t *testing.T) *machine {
	t.Helper()
	dir := t.TempDir()
	m := &machine{Root: filepath.Join(dir, "root"), stubs: filepath.Join(dir, "bin"), calls: filepath.Join(dir, "calls"), imds: newFakeIMDS(t), aws: newFakeAWS(t)}
	cdktest.WriteFile(t, filepath.Join(m.stubs, "systemctl"), "#!/bin/bash\necho \"systemctl $*\" >>\"$TIERKIT_TEST_CALLS\"\n", 0o755)
	cdktest.WriteFile(t, filepath.Join(m.Root, "etc/hosts"), "127.0.0.1 localhost\n", 0o644)
	return m
}

// withAgent installs the CloudWatch agent stub: it records its arguments and
// the configuration it was pointed at.
func (m *machine) withAgent(t *testing.T) {
	t.Helper()
	cdktest.WriteFile(t, filepath.Join(m.Root, "opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl"),
		"#!/bin/bash\necho \"agent-ctl $*\" >>\"$TIERKIT_TEST_CALLS\"\n", 0o755)
}

// token is a deploy-time value as the boot script holds it (Token, e.g. a
// CDK token string) and as CloudFormation resolves it (Value).
type token struct{ Token, Value string }

// deploy delivers s as a fleet does: the artifact (each token's string
// replaced by a placeholder) goes to the fake S3 at loc, and the loader is
// returned as CloudFormation deploys it, its tokens resolved.
func (m *machine) deploy(t *testing.T, s *boot.Script, loc boot.Location, tokens ...token) (userData string, a boot.Artifact) {
	t.Helper()
	var values []string
	for _, tk := range tokens {
		values = append(values, tk.Token)
	}
	a = s.Artifact(values)
	m.aws.putObject(loc, a.Script)
	userData = s.Loader(a, loc)
	for _, tk := range tokens {
		userData = strings.ReplaceAll(userData, tk.Token, tk.Value)
	}
	return userData, a
}

// boot delivers s (see deploy) and runs its user data: the instance's first
// boot.
func (m *machine) boot(t *testing.T, s *boot.Script, loc boot.Location, tokens ...token) result {
	t.Helper()
	userData, _ := m.deploy(t, s, loc, tokens...)
	return m.runUserData(t, userData)
}

// runUserData runs userData as cloud-init runs user data: a file of the
// instance's scripts. It runs through bash (the shebang's), not exec: a
// file this process just wrote can be "busy" for an exec while parallel
// tests fork.
func (m *machine) runUserData(t *testing.T, userData string) result {
	t.Helper()
	file := filepath.Join(m.Root, "var/lib/cloud/instance/scripts/part-001")
	cdktest.WriteFile(t, file, userData, 0o700)
	return m.exec(t, "bash", file)
}

// restart runs the loader the first boot installed, as the per-boot hook
// does at every later start.
func (m *machine) restart(t *testing.T) result {
	t.Helper()
	if !m.exists(installedLoader) {
		t.Fatalf("no %s: the first boot did not install the loader", installedLoader)
	}
	return m.exec(t, filepath.Join(m.Root, installedLoader))
}

// exec runs the program against the machine, with the fakes' addresses.
// The result holds this run's calls and log lines only.
func (m *machine) exec(t *testing.T, program string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, program, args...)
	// Nothing from the caller's environment may steer the boot.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TIERKIT_") && !strings.HasPrefix(kv, "PATH=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env,
		"PATH="+m.stubs+string(os.PathListSeparator)+os.Getenv("PATH"),
		"TIERKIT_ROOT="+m.Root,
		"TIERKIT_IMDS="+m.imds.URL,
		"TIERKIT_TEST_CALLS="+m.calls,
		"TIERKIT_S3_ENDPOINT="+m.aws.URL+"/s3",
		"TIERKIT_CLOUDFORMATION_ENDPOINT="+m.aws.URL+"/cloudformation",
		"TIERKIT_AUTOSCALING_ENDPOINT="+m.aws.URL+"/autoscaling",
		"TIERKIT_SECRETSMANAGER_ENDPOINT="+m.aws.URL+"/secretsmanager",
		"TIERKIT_SSM_ENDPOINT="+m.aws.URL+"/ssm",
		"TIERKIT_HEALTH_BASE="+m.aws.URL+"/health",
	)
	cmd.Env = append(cmd.Env, m.extraEnv...)
	os.Remove(m.calls)
	logFile := filepath.Join(m.Root, bootLog)
	var logStart int64
	if fi, err := os.Stat(logFile); err == nil {
		logStart = fi.Size()
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("the boot did not finish in time:\n%s", out.String())
	}
	r := result{Err: err, Console: out.String()}
	if b, err := os.ReadFile(logFile); err == nil && int64(len(b)) >= logStart {
		r.Log = string(b[logStart:])
	}
	if b, err := os.ReadFile(m.calls); err == nil {
		r.Calls = strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	}
	return r
}

// result is one run of the boot.
type result struct {
	Err     error
	Console string // stdout and stderr: what the instance's console shows
	Log     string // what this run added to the log file
	Calls   []string
}

func (m *machine) exists(rel string) bool {
	_, err := os.Lstat(filepath.Join(m.Root, rel))
	return err == nil
}

func (m *machine) read(t *testing.T, rel string) string {
	t.Helper()
	return cdktest.ReadFile(t, filepath.Join(m.Root, rel))
}

// lineOf returns the 1-based number of the first line of script containing s.
func lineOf(t *testing.T, script, s string) int {
	t.Helper()
	for i, line := range strings.Split(script, "\n") {
		if strings.Contains(line, s) {
			return i + 1
		}
	}
	t.Fatalf("no line contains %q", s)
	return 0
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
