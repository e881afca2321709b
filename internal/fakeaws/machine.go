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

// Boot boots the machine as a server of tpl's fleet does: the boot script
// (the asset beside the template) is served by the fake S3 and the user data
// (the loader), its references resolved by cdktest.FakeValue, runs. Booting
// again is a restart: the loader the first boot installed runs.
func (m *Machine) Boot(t *testing.T, tpl *cdktest.Template) Result {
	t.Helper()
	b := cdktest.BootOf(t, tpl, cdktest.FakeValue)
	m.AWS.PutObject(b.Bucket, b.Key, []byte(b.Script))
	if m.Exists(InstalledLoader) {
		return m.run(t, filepath.Join(m.Root, InstalledLoader))
	}
	return m.Run(t, b.Loader)
}

// InstalledLoader is where the first boot installs the loader, which
// cloud-init's per-boot hook runs at every later start.
const InstalledLoader = "var/lib/cloud/instance/tierkit/loader.sh"

// Run runs script with bash against the machine, with the fakes' addresses.
func (m *Machine) Run(t *testing.T, script string) Result {
	t.Helper()
	file := filepath.Join(t.TempDir(), "user-data")
	cdktest.WriteFile(t, file, script, 0o755)
	return m.run(t, file)
}

func (m *Machine) run(t *testing.T, file string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", file)
	cmd.Env = append(os.Environ(),
		"PATH="+m.Stubs+string(os.PathListSeparator)+os.Getenv("PATH"),
		"TIERKIT_ROOT="+m.Root,
		"TIERKIT_IMDS="+m.IMDS.URL,
		"TIERKIT_TEST_CALLS="+m.calls,
		"TIERKIT_SECRETSMANAGER_ENDPOINT="+m.AWS.URL,
		"TIERKIT_SSM_ENDPOINT="+m.AWS.URL,
		"TIERKIT_S3_ENDPOINT="+m.AWS.URL+"/s3",
		"TIERKIT_CLOUDFORMATION_ENDPOINT="+m.AWS.URL+"/cloudformation",
		"TIERKIT_AUTOSCALING_ENDPOINT="+m.AWS.URL+"/autoscaling",
		"TIERKIT_HEALTH_BASE="+m.AWS.URL+"/health",
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

// GoldenIP is the private address of the golden server the tests' AMI was
// made from; a booted copy's own is 10.0.2.33 (the fake IMDS's).
const GoldenIP = "10.0.0.1"

// Golden is what a test's golden server holds besides its application.
type Golden struct {
	// Host is the name its vhost and /etc/hosts serve, e.g. "api.example.com".
	Host string
	// Vhost is the Apache vhost file holding GoldenIP.
	Vhost string
	// DocumentRoot is the vhost's document root.
	DocumentRoot string
	// CronFile and CronLine are the application's own cron entry on the AMI.
	CronFile, CronLine string
}

// NewGoldenMachine returns a copy of a golden server: g's vhost and
// /etc/hosts holding GoldenIP, as the articles' servers did, and the
// application's cron entry.
func NewGoldenMachine(t *testing.T, singleton bool, secrets map[string]map[string]any, g Golden) *Machine {
	t.Helper()
	m := NewMachine(t, singleton, secrets)
	short, _, _ := strings.Cut(g.Host, ".")
	cdktest.WriteFile(t, filepath.Join(m.Root, "etc/hosts"), "127.0.0.1 localhost\n"+GoldenIP+" "+g.Host+" "+short+"\n", 0o644)
	cdktest.WriteFile(t, filepath.Join(m.Root, g.Vhost), "<VirtualHost "+GoldenIP+":80>\n  ServerName "+g.Host+"\n  DocumentRoot "+g.DocumentRoot+"\n</VirtualHost>\n", 0o644)
	if g.CronFile != "" {
		cdktest.WriteFile(t, filepath.Join(m.Root, g.CronFile), g.CronLine+"\n", 0o644)
	}
	return m
}
