// Package fakeaws holds the fake AWS endpoints the boot-script tests run
// against: IMDSv2, Secrets Manager, SSM Parameter Store and the RDS truststore, and the SigV4
// check every fake applies to signed requests. The handlers serve on a test
// server of their own (NewIMDS, NewSecretsManager) or on any listener (the
// end-to-end test's, in its own network namespace).
package fakeaws

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// The fake instance the boot script runs on, and what AWS answers it.
const (
	// Region is the instance's region, and the one requests are signed for.
	Region = "us-east-1"
	// SecretKey is the secret access key of the role's credentials.
	SecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	// SessionToken is the session token of the role's credentials.
	SessionToken = "IQoJb3JpZ2luX2VjEXAMPLE/token+with=chars"
	// CABundle is what the fake RDS truststore serves.
	CABundle = "-----BEGIN CERTIFICATE-----\nMIIFAKE\n-----END CERTIFICATE-----\n"

	// AccessKey is the access key id of the role's credentials.
	AccessKey = "ASIAEXAMPLEKEY123456"
	// RoleName is the instance profile's role.
	RoleName = "TierFleetRole"

	instanceIP = "10.0.2.33"
	instanceID = "i-0123456789abcdef0"
	imdsToken  = "token-for-this-boot"
)

// Instance is what IMDS answers one instance: its private address, its id,
// whether it carries the fleet's singleton tag or the worker tag of a
// worker group (404 otherwise, as for an absent tag), and the tags naming
// what its boot signals (the fleet's tierkit-signal-resource and
// tierkit-lifecycle-hook; none when empty).
type Instance struct {
	IP, ID                        string
	Singleton, Worker             bool
	SignalResource, LifecycleHook string
	// LifecycleState is autoscaling/target-lifecycle-state, the state Auto
	// Scaling moves the instance to (InService, Terminated, ...); 404 when
	// empty, as for an instance outside any group.
	LifecycleState string
}

// The tags a fleet gives its servers for their signals, as NewIMDS answers
// them by default.
const (
	// SignalResource is the logical ID the instance signals.
	SignalResource = "TierFleetServer1"
	// LifecycleHook is the lifecycle hook the instance completes.
	LifecycleHook = "tierkit-boot"
	// GroupName is the Auto Scaling group the fake answers for any instance.
	GroupName = "stack-TierFleetGroup-AbCdEf"
)

// IMDS is IMDSv2 on an instance with the fleet's role.
type IMDS struct {
	*httptest.Server
}

// NewIMDS starts an IMDS for one instance, with the singleton tag when
// singleton is set, closed when t ends.
func NewIMDS(t *testing.T, singleton bool) *IMDS {
	t.Helper()
	i := Instance{IP: instanceIP, ID: instanceID, Singleton: singleton, SignalResource: SignalResource, LifecycleHook: LifecycleHook}
	f := &IMDS{Server: httptest.NewServer(IMDSHandler(func(*http.Request) (Instance, bool) { return i, true }))}
	t.Cleanup(f.Close)
	return f
}

// AsWorker makes m a server of a worker group: its IMDS answers the tag
// tierkit-worker=true, and no singleton tag.
func (m *Machine) AsWorker(t *testing.T) {
	t.Helper()
	i := Instance{IP: instanceIP, ID: instanceID, Worker: true, SignalResource: SignalResource, LifecycleHook: LifecycleHook}
	f := &IMDS{Server: httptest.NewServer(IMDSHandler(func(*http.Request) (Instance, bool) { return i, true }))}
	t.Cleanup(f.Close)
	m.IMDS = f
}

// IMDSHandler answers IMDSv2 requests (a token, then metadata read with it)
// for the instance instance returns for a request; a request it does not
// know (ok false) is refused 403, as the real service never answers
// another host.
func IMDSHandler(instance func(*http.Request) (i Instance, ok bool)) http.Handler {
	creds, _ := json.MarshalIndent(map[string]string{
		"Code": "Success", "LastUpdated": "2026-11-23T10:00:00Z", "Type": "AWS-HMAC",
		"AccessKeyId": AccessKey, "SecretAccessKey": SecretKey, "Token": SessionToken, "Expiration": "2026-11-23T16:00:00Z",
	}, "", "  ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, ok := instance(r)
		values := map[string]string{
			"/latest/meta-data/local-ipv4":                           i.IP,
			"/latest/meta-data/instance-id":                          i.ID,
			"/latest/meta-data/placement/region":                     Region,
			"/latest/meta-data/iam/security-credentials/":            RoleName,
			"/latest/meta-data/iam/security-credentials/" + RoleName: string(creds),
		}
		switch {
		case !ok:
			http.Error(w, "forbidden", http.StatusForbidden)
		case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token":
			w.Write([]byte(imdsToken))
		case r.Header.Get("X-aws-ec2-metadata-token") != imdsToken:
			http.Error(w, "unauthorized", http.StatusUnauthorized)
		case r.URL.Path == "/latest/meta-data/tags/instance/tierkit-singleton" && i.Singleton:
			w.Write([]byte("true"))
		case r.URL.Path == "/latest/meta-data/tags/instance/tierkit-worker" && i.Worker:
			w.Write([]byte("true"))
		case r.URL.Path == "/latest/meta-data/tags/instance/tierkit-signal-resource" && i.SignalResource != "":
			w.Write([]byte(i.SignalResource))
		case r.URL.Path == "/latest/meta-data/tags/instance/tierkit-lifecycle-hook" && i.LifecycleHook != "":
			w.Write([]byte(i.LifecycleHook))
		case r.URL.Path == "/latest/meta-data/autoscaling/target-lifecycle-state" && i.LifecycleState != "":
			w.Write([]byte(i.LifecycleState))
		case values[r.URL.Path] != "":
			w.Write([]byte(values[r.URL.Path]))
		default:
			http.NotFound(w, r)
		}
	})
}

// Request is one request the fake Secrets Manager received.
type Request struct {
	Target, ContentType, SecurityToken, SecretID string
	// From is the address the request came from (host without port).
	From string
	// SignatureError is why the SigV4 signature does not verify, or "".
	SignatureError string
}

// SecretsManager is Secrets Manager (POST /) and the RDS truststore (GET
// /global-bundle.pem). Secrets Manager verifies the request's SigV4
// signature with the role's keys, as AWS does, and answers the secret
// (or, with Deny, AccessDeniedException).
type SecretsManager struct {
	*httptest.Server
	// Secrets are answered by a fragment of the SecretId they must contain
	// (the fragment "" matches every SecretId). A SecretId containing none
	// is answered ResourceNotFoundException.
	Secrets map[string]map[string]any
	// Strings are answered as they are (a secret that is not JSON), by a
	// fragment of the SecretId as Secrets; the longest fragment matching a
	// SecretId, of either, answers it.
	Strings map[string]string
	// Parameters are SSM Parameter Store's, by name (see ssm.go).
	Parameters map[string]string
	// Name is the secret's name in the answers.
	Name string
	// Deny answers every request AccessDeniedException.
	Deny bool
	// DenyFrom, when set, answers AccessDeniedException to the requests
	// from the addresses it holds (host without port), as to an instance
	// whose role lost the permission. Set it before serving.
	DenyFrom map[string]bool
	// NoBundle answers the truststore 404.
	NoBundle bool
	// Bundle is what the truststore serves. Default: CABundle.
	Bundle string
	// Unhealthy makes the health path (GET /health/...) answer 500.
	Unhealthy bool

	mu       sync.Mutex
	requests []Request
	objects  map[string][]byte
	signals  []Signal
	fetches  []Request
}

// Signal is one call the fake CloudFormation (SignalResource) or Auto
// Scaling (CompleteLifecycleAction) received.
type Signal struct {
	// Action is SignalResource or CompleteLifecycleAction.
	Action string
	// Stack, Resource and Status are SignalResource's StackName,
	// LogicalResourceId and Status; for CompleteLifecycleAction, the group,
	// the hook and the LifecycleActionResult.
	Stack, Resource, Status string
	// UniqueID is the instance ID.
	UniqueID string
	// SignatureError is why the SigV4 signature does not verify, or "".
	SignatureError string
}

// PutObject stores an object S3 answers (GET /s3/BUCKET/KEY, path style).
func (f *SecretsManager) PutObject(bucket, key string, body []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.objects == nil {
		f.objects = map[string][]byte{}
	}
	f.objects[bucket+"/"+key] = body
}

// Signals returns the signals received so far, in order.
func (f *SecretsManager) Signals() []Signal {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.signals)
}

// Fetches returns the S3 requests received so far, in order (SecretID holds
// the path).
func (f *SecretsManager) Fetches() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.fetches)
}

// serveS3 answers GET /s3/BUCKET/KEY from the stored objects, signed for s3.
func (f *SecretsManager) serveS3(w http.ResponseWriter, r *http.Request) {
	from, _, _ := net.SplitHostPort(r.RemoteAddr)
	req := Request{SecretID: r.URL.Path, From: from, SecurityToken: r.Header.Get("X-Amz-Security-Token"), SignatureError: VerifySigV4(r, nil, "s3")}
	if req.SignatureError == "" && r.Header.Get("X-Amz-Content-Sha256") == "" {
		req.SignatureError = "no X-Amz-Content-Sha256: S3 wants the payload hash signed"
	}
	f.mu.Lock()
	f.fetches = append(f.fetches, req)
	body, ok := f.objects[strings.TrimPrefix(r.URL.Path, "/s3/")]
	f.mu.Unlock()
	switch {
	case req.SignatureError != "":
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, "<Error><Code>AccessDenied</Code><Message>%s</Message></Error>", req.SignatureError)
	case !ok:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, "<Error><Code>NoSuchKey</Code></Error>")
	default:
		w.Write(body)
	}
}

// serveQuery answers CloudFormation's SignalResource and Auto Scaling's
// DescribeAutoScalingInstances and CompleteLifecycleAction (Query API, form
// bodies), each signed for its service.
func (f *SecretsManager) serveQuery(w http.ResponseWriter, r *http.Request, service string) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	sig := VerifySigV4(r, body, service)
	if sig != "" {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code><Message>%s</Message></Error></ErrorResponse>", sig)
	}
	record := func(s Signal) {
		s.SignatureError = sig
		f.mu.Lock()
		f.signals = append(f.signals, s)
		f.mu.Unlock()
	}
	switch action := form.Get("Action"); {
	case service == "cloudformation" && action == "SignalResource":
		record(Signal{Action: action, Stack: form.Get("StackName"), Resource: form.Get("LogicalResourceId"), Status: form.Get("Status"), UniqueID: form.Get("UniqueId")})
		if sig == "" {
			fmt.Fprint(w, "<SignalResourceResponse><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></SignalResourceResponse>")
		}
	case service == "autoscaling" && action == "DescribeAutoScalingInstances":
		if sig == "" {
			fmt.Fprintf(w, "<DescribeAutoScalingInstancesResponse><DescribeAutoScalingInstancesResult><AutoScalingInstances><member>"+
				"<InstanceId>%s</InstanceId><AutoScalingGroupName>%s</AutoScalingGroupName><LifecycleState>Pending:Wait</LifecycleState>"+
				"</member></AutoScalingInstances></DescribeAutoScalingInstancesResult></DescribeAutoScalingInstancesResponse>", form.Get("InstanceIds.member.1"), GroupName)
		}
	case service == "autoscaling" && action == "CompleteLifecycleAction":
		record(Signal{Action: action, Stack: form.Get("AutoScalingGroupName"), Resource: form.Get("LifecycleHookName"), Status: form.Get("LifecycleActionResult"), UniqueID: form.Get("InstanceId")})
		if sig == "" {
			fmt.Fprint(w, "<CompleteLifecycleActionResponse><CompleteLifecycleActionResult/></CompleteLifecycleActionResponse>")
		}
	default:
		if sig == "" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, "<ErrorResponse><Error><Code>InvalidAction</Code><Message>%s is not an action of %s</Message></Error></ErrorResponse>", action, service)
		}
	}
}

// NewSecretsManager starts a SecretsManager holding secrets, with the Name
// "TierSecret", closed when t ends.
func NewSecretsManager(t *testing.T, secrets map[string]map[string]any) *SecretsManager {
	t.Helper()
	f := &SecretsManager{Secrets: secrets, Name: "TierSecret"}
	f.Server = httptest.NewServer(f)
	t.Cleanup(f.Close)
	return f
}

// ServeHTTP answers the truststore, Secrets Manager's GetSecretValue, and,
// by path or host, S3 (GET /s3/...), CloudFormation (/cloudformation/,
// cloudformation.*), Auto Scaling (/autoscaling/, autoscaling.*) and the
// server's health path (GET /health/...).
func (f *SecretsManager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host, _, _ := strings.Cut(r.Host, ":")
	switch {
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/health/"):
		if f.Unhealthy {
			http.Error(w, "unhealthy", http.StatusInternalServerError)
		}
		return
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/s3/"):
		f.serveS3(w, r)
		return
	case strings.HasPrefix(r.URL.Path, "/cloudformation/") || strings.HasPrefix(host, "cloudformation."):
		f.serveQuery(w, r, "cloudformation")
		return
	case strings.HasPrefix(r.URL.Path, "/autoscaling/") || strings.HasPrefix(host, "autoscaling."):
		f.serveQuery(w, r, "autoscaling")
		return
	}
	if r.Header.Get("X-Amz-Target") == ssmGetParameter {
		f.serveSSM(w, r)
		return
	}
	if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/global-bundle.pem") {
		if f.NoBundle {
			// Not 5xx: curl would retry for half a minute.
			http.NotFound(w, r)
			return
		}
		bundle := f.Bundle
		if bundle == "" {
			bundle = CABundle
		}
		w.Write([]byte(bundle))
		return
	}
	body, _ := io.ReadAll(r.Body)
	var in struct{ SecretId string }
	_ = json.Unmarshal(body, &in)
	from, _, _ := net.SplitHostPort(r.RemoteAddr)
	req := Request{
		Target: r.Header.Get("X-Amz-Target"), ContentType: r.Header.Get("Content-Type"),
		SecurityToken: r.Header.Get("X-Amz-Security-Token"), SecretID: in.SecretId, From: from,
		SignatureError: VerifySigV4(r, body, "secretsmanager"),
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if f.Deny || f.DenyFrom[from] || req.SignatureError != "" || req.Target != "secretsmanager.GetSecretValue" {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"__type":"AccessDeniedException","Message":"User: arn:aws:sts::123456789012:assumed-role/%s/%s is not authorized to perform: secretsmanager:GetSecretValue"}`, RoleName, instanceID)
		return
	}
	var inner []byte
	best := -1
	for fragment, s := range f.Secrets {
		if strings.Contains(in.SecretId, fragment) && len(fragment) > best {
			inner, _ = json.Marshal(s)
			best = len(fragment)
		}
	}
	for fragment, s := range f.Strings {
		if strings.Contains(in.SecretId, fragment) && len(fragment) > best {
			inner, best = []byte(s), len(fragment)
		}
	}
	if best < 0 {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"__type":"ResourceNotFoundException","Message":"Secrets Manager can't find the specified secret."}`)
		return
	}
	out, _ := json.Marshal(map[string]any{
		"ARN": in.SecretId, "Name": f.Name, "SecretString": string(inner),
		"VersionId": "a1b2c3", "VersionStages": []string{"AWSCURRENT"}, "CreatedDate": 1.7e9,
	})
	w.Write(out)
}

// Requests returns the Secrets Manager requests received so far, in order.
func (f *SecretsManager) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

var (
	spaces    = regexp.MustCompile(` +`)
	sigV4Auth = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$`)
)

// VerifySigV4 checks the AWS Signature Version 4 of r (whose body is body)
// for service with the role's keys, and returns what is wrong, or "". S3
// requests sign the payload hash they carry in X-Amz-Content-Sha256, which
// must match the body unless it is UNSIGNED-PAYLOAD.
func VerifySigV4(r *http.Request, body []byte, service string) string {
	auth := r.Header.Get("Authorization")
	m := sigV4Auth.FindStringSubmatch(auth)
	switch {
	case m == nil:
		return fmt.Sprintf("Authorization %q is not a SigV4 header", auth)
	case m[1] != AccessKey || m[3] != Region || m[4] != service:
		return fmt.Sprintf("credential scope %s/%s/%s, want %s/%s/%s", m[1], m[3], m[4], AccessKey, Region, service)
	case r.Header.Get("X-Amz-Security-Token") != SessionToken:
		return "X-Amz-Security-Token is not the role's session token"
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
	payload := hex.EncodeToString(sum[:])
	if claimed := r.Header.Get("X-Amz-Content-Sha256"); claimed != "" {
		if claimed != payload && claimed != "UNSIGNED-PAYLOAD" {
			return fmt.Sprintf("X-Amz-Content-Sha256 %s is not the body's hash %s", claimed, payload)
		}
		payload = claimed
	}
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	request := strings.Join([]string{r.Method, path, canonicalQuery(r.URL.Query()), canonical.String(), m[5], payload}, "\n")
	requestSum := sha256.Sum256([]byte(request))
	scope := strings.Join([]string{m[2], Region, service, "aws4_request"}, "/")
	toSign := strings.Join([]string{"AWS4-HMAC-SHA256", amzDate, scope, hex.EncodeToString(requestSum[:])}, "\n")
	mac := func(key []byte, data string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(data))
		return h.Sum(nil)
	}
	key := mac(mac(mac(mac([]byte("AWS4"+SecretKey), m[2]), Region), service), "aws4_request")
	if want := hex.EncodeToString(mac(key, toSign)); want != m[6] {
		return fmt.Sprintf("signature %s does not verify (want %s)", m[6], want)
	}
	return ""
}

// canonicalQuery is SigV4's canonical query string: names and values
// URI-encoded, sorted by name, then value.
func canonicalQuery(q url.Values) string {
	enc := func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
	var pairs []string
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, enc(k)+"="+enc(v))
		}
	}
	sort.Strings(pairs)
	return strings.Join(pairs, "&")
}
