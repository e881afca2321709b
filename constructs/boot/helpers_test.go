package boot_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tierkit/tierkit/internal/cdktest"
)

// The fake instance the script boots on.
const (
	instanceIP     = "10.0.2.33"
	instanceID     = "i-0123456789abcdef0"
	instanceRegion = "us-east-1"
	instanceAZ     = "us-east-1b"
	imdsToken      = "token-for-this-boot"
)

// imdsRequest is one request the fake IMDS received.
type imdsRequest struct {
	Method, Path, Token, TTL string
}

// fakeIMDS is an IMDSv2 endpoint: PUT /latest/api/token issues a token and
// every GET must carry it, or gets 401, as on an instance with IMDSv1 off.
// With rejectAll, even a GET with the token gets 401.
type fakeIMDS struct {
	*httptest.Server
	rejectAll bool
	// singleton makes the instance carry the tag tierkit-singleton=true.
	singleton bool
	mu        sync.Mutex
	requests  []imdsRequest
}

func newFakeIMDS(t *testing.T) *fakeIMDS {
	t.Helper()
	f := &fakeIMDS{}
	values := map[string]string{
		"/latest/meta-data/local-ipv4":                    instanceIP,
		"/latest/meta-data/instance-id":                   instanceID,
		"/latest/meta-data/placement/region":              instanceRegion,
		"/latest/meta-data/placement/availability-zone":   instanceAZ,
		"/latest/dynamic/instance-identity/document":      `{"region":"` + instanceRegion + `"}`,
		"/latest/meta-data/iam/security-credentials/":     "role",
		"/latest/meta-data/iam/security-credentials/role": `{"Code":"Success","AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"secret-key","Token":"session-token"}`,
	}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, imdsRequest{r.Method, r.URL.Path, r.Header.Get("X-aws-ec2-metadata-token"), r.Header.Get("X-aws-ec2-metadata-token-ttl-seconds")})
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
		case f.rejectAll || r.Header.Get("X-aws-ec2-metadata-token") != imdsToken:
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

func (f *fakeIMDS) Requests() []imdsRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]imdsRequest(nil), f.requests...)
}

// machine is a temporary root the script runs against, with stubs for the
// programs it must not really run.
type machine struct {
	Root     string
	stubs    string
	calls    string // systemctl's and the steps' calls, one per line
	imds     *fakeIMDS
	noAgent  bool
	extraEnv []string
}

func newMachine(t *testing.T) *machine {
	t.Helper()
	dir := t.TempDir()
	m := &machine{Root: filepath.Join(dir, "root"), stubs: filepath.Join(dir, "bin"), calls: filepath.Join(dir, "calls"), imds: newFakeIMDS(t)}
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

// result is one run of the script.
type result struct {
	Err     error
	Console string // stdout and stderr: what the instance's console shows
	Log     string // the log file
	Calls   []string
}

// run writes script to a file and runs it with bash against the machine.
func (m *machine) run(t *testing.T, script string) result {
	t.Helper()
	file := filepath.Join(t.TempDir(), "user-data")
	cdktest.WriteFile(t, file, script, 0o755)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", file)
	cmd.Env = append(os.Environ(),
		"PATH="+m.stubs+string(os.PathListSeparator)+os.Getenv("PATH"),
		"TIERKIT_ROOT="+m.Root,
		"TIERKIT_IMDS="+m.imds.URL,
		"TIERKIT_TEST_CALLS="+m.calls,
	)
	cmd.Env = append(cmd.Env, m.extraEnv...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("the script did not finish in time:\n%s", out.String())
	}
	r := result{Err: err, Console: out.String(), Log: cdktest.ReadFile(t, filepath.Join(m.Root, "var/log/tierkit-boot.log"))}
	if b, err := os.ReadFile(m.calls); err == nil {
		r.Calls = strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	}
	return r
}

func (m *machine) exists(rel string) bool {
	_, err := os.Lstat(filepath.Join(m.Root, rel))
	return err == nil
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
