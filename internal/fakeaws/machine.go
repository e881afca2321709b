package fakeaws

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tierkit/tierkit/internal/cdktest"
)

// Machine is a temporary root a tier's boot script runs against, as if on a
// server of the fleet: the fake IMDS and Secrets Manager, a directory of
// stubs first on PATH for the programs that need root or a real system, and
// the log the stubs append their calls to (TIERKIT_TEST_CALLS). The systemctl
// and chown stubs and the CloudWatch agent are there; a tier adds its files
// and its other stubs.
type Machine struct {
	Root  string
	Stubs string
	IMDS  *IMDS
	AWS   *SecretsManager
	calls string
}

// NewMachine returns an empty machine whose Secrets Manager holds secrets
// (see NewSecretsManager), with the singleton tag when singleton is set.
func NewMachine(t *testing.T, singleton bool, secrets map[string]map[string]any) *Machine {
	t.Helper()
	dir := t.TempDir()
	m := &Machine{Root: filepath.Join(dir, "root"), Stubs: filepath.Join(dir, "bin"), calls: filepath.Join(dir, "calls"),
		IMDS: NewIMDS(t, singleton), AWS: NewSecretsManager(t, secrets)}
	m.Stub(t, "systemctl", `echo "systemctl $*" >>"$TIERKIT_TEST_CALLS"
[[ "$*" != "cat crond.service" ]]`)
	m.Stub(t, "chown", `echo "chown ${*//"$TIERKIT_ROOT"/}" >>"$TIERKIT_TEST_CALLS"`)
	cdktest.WriteFile(t, filepath.Join(m.Root, "opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl"), "#!/bin/bash\n", 0o755)
	return m
}

// Stub writes the program name into the stubs, with body as its bash script.
func (m *Machine) Stub(t *testing.T, name, body string) {
	t.Helper()
	cdktest.WriteFile(t, filepath.Join(m.Stubs, name), "#!/bin/bash\n"+body+"\n", 0o755)
}

// Result is one run of a boot script.
type Result struct {
	Err     error
	Console string
	Log     string
	Calls   []string
}

// Run runs script with bash against the machine, with the fakes' addresses.
func (m *Machine) Run(t *testing.T, script string) Result {
	t.Helper()
	file := filepath.Join(t.TempDir(), "user-data")
	cdktest.WriteFile(t, file, script, 0o755)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", file)
	cmd.Env = append(os.Environ(),
		"PATH="+m.Stubs+string(os.PathListSeparator)+os.Getenv("PATH"),
		"TIERKIT_ROOT="+m.Root,
		"TIERKIT_IMDS="+m.IMDS.URL,
		"TIERKIT_TEST_CALLS="+m.calls,
		"TIERKIT_SECRETS_ENDPOINT="+m.AWS.URL,
		"TIERKIT_RDS_CA_URL="+m.AWS.URL+"/global-bundle.pem",
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("the script did not finish in time:\n%s", out.String())
	}
	r := Result{Err: err, Console: out.String()}
	if b, err := os.ReadFile(filepath.Join(m.Root, "var/log/tierkit-boot.log")); err == nil {
		r.Log = string(b)
	}
	if b, err := os.ReadFile(m.calls); err == nil {
		r.Calls = strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	}
	return r
}

// Exists reports whether the file rel (relative to Root) exists.
func (m *Machine) Exists(rel string) bool {
	_, err := os.Lstat(filepath.Join(m.Root, rel))
	return err == nil
}

// Read returns the content of the file rel (relative to Root).
func (m *Machine) Read(t *testing.T, rel string) string {
	t.Helper()
	return cdktest.ReadFile(t, filepath.Join(m.Root, rel))
}
