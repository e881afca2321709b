package releases_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/constructs/releases"
	"github.com/tierkit/tierkit/internal/cdktest"
	"github.com/tierkit/tierkit/internal/fakeaws"
	"github.com/tierkit/tierkit/internal/shellcheck"
)

// The boot tests run a boot script with the release step (and a step that
// stands for the application's settings step, writing .env) against a fake
// root whose AMI has the application in /var/www/html, and a fake S3 that
// holds the releases.

const (
	releaseBucket = "tier-releases"
	appPath       = "/var/www/html"
)

// archive returns a gzipped tarball of files (name: content).
func archive(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, content := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// amiMachine returns a machine whose AMI holds the application: its code
// (public/index.php says "ami"), its .env and its storage directory.
func amiMachine(t *testing.T) *fakeaws.Machine {
	t.Helper()
	m := fakeaws.NewMachine(t, false, nil)
	cdktest.WriteFile(t, filepath.Join(m.Root, appPath, "public/index.php"), "ami\n", 0o644)
	cdktest.WriteFile(t, filepath.Join(m.Root, appPath, ".env"), "APP_KEY=golden\n", 0o640)
	cdktest.WriteFile(t, filepath.Join(m.Root, appPath, "storage/logs/.keep"), "", 0o644)
	return m
}

// publish stores a release whose public/index.php says id, and returns it.
func publish(t *testing.T, m *fakeaws.Machine, id string) *releases.Release {
	t.Helper()
	a := archive(t, map[string]string{"public/index.php": id + "\n", "artisan": "#!/usr/bin/env php\n", ".env": "APP_KEY=from-the-release\n"})
	m.AWS.PutObject(releaseBucket, "releases/"+id+".tar.gz", a)
	return &releases.Release{ID: id, SHA256: sum(a)}
}

// script is the boot script with the release step for r, then a settings
// step that writes to .env through the application's path.
func script(r *releases.Release) string {
	s := boot.New(nil)
	s.AddStep(releases.StepName, releases.Step(releases.StepProps{Bucket: releaseBucket, Release: r, AppPath: appPath, Shared: []string{".env", "storage"}, Keep: 2}))
	s.AddStep("settings", `printf 'APP_URL=https://api.example.com\n' >>"$ROOT/var/www/html/.env"`)
	return s.Render()
}

func mustRun(t *testing.T, m *fakeaws.Machine, r *releases.Release) fakeaws.Result {
	t.Helper()
	res := m.Run(t, script(r))
	if res.Err != nil {
		t.Fatalf("boot failed: %v\n%s", res.Err, res.Console)
	}
	return res
}

func serving(t *testing.T, m *fakeaws.Machine) string {
	t.Helper()
	return strings.TrimSpace(m.Read(t, appPath+"/public/index.php"))
}

func TestWithoutAReleaseTheAMIsCodeServesFromReleasesAMI(t *testing.T) {
	t.Parallel()
	m := amiMachine(t)
	mustRun(t, m, nil)
	if got := serving(t, m); got != "ami" {
		t.Errorf("serving %q, want the AMI's code", got)
	}
	if link, _ := os.Readlink(filepath.Join(m.Root, appPath)); link != "releases/ami" {
		t.Errorf("%s links to %q, want releases/ami", appPath, link)
	}
	if got := strings.TrimSpace(m.Read(t, "var/lib/tierkit/release")); got != "ami" {
		t.Errorf("/var/lib/tierkit/release says %q, want ami", got)
	}
}

func TestAReleaseIsInstalledAndServedWithTheAMIsSettings(t *testing.T) {
	t.Parallel()
	m := amiMachine(t)
	r := publish(t, m, "r1")
	res := mustRun(t, m, r)
	if got := serving(t, m); got != "r1" {
		t.Errorf("serving %q, want release r1", got)
	}
	if link, _ := os.Readlink(filepath.Join(m.Root, "var/www/releases/r1/.env")); link != "../ami/.env" {
		t.Errorf("the release's .env links to %q, want ../ami/.env (the release's own is replaced)", link)
	}
	if env := m.Read(t, appPath+"/.env"); env != "APP_KEY=golden\nAPP_URL=https://api.example.com\n" {
		t.Errorf(".env through the application's path:\n%s", env)
	}
	if got := strings.TrimSpace(m.Read(t, "var/lib/tierkit/release")); got != "r1" {
		t.Errorf("/var/lib/tierkit/release says %q, want r1", got)
	}
	// Nothing but the release's files and the shared links is served.
	entries, _ := os.ReadDir(filepath.Join(m.Root, "var/www/releases/r1"))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if got := strings.Join(names, " "); got != ".env artisan public storage" {
		t.Errorf("releases/r1 holds %s", got)
	}
	if !strings.Contains(res.Log, "serving release r1") {
		t.Errorf("the boot log does not name the release:\n%s", res.Log)
	}
}

func TestANewReleaseSwitchesTheLink(t *testing.T) {
	t.Parallel()
	m := amiMachine(t)
	mustRun(t, m, publish(t, m, "r1"))
	res := mustRun(t, m, publish(t, m, "r2"))
	if got := serving(t, m); got != "r2" {
		t.Errorf("serving %q, want release r2", got)
	}
	if !strings.Contains(res.Log, "/var/www/html switched from releases/r1 to releases/r2") {
		t.Errorf("the log does not tell the switch:\n%s", res.Log)
	}
}

func TestAWrongChecksumIsRefusedAndTheOldReleaseServes(t *testing.T) {
	t.Parallel()
	m := amiMachine(t)
	mustRun(t, m, publish(t, m, "r1"))
	bad := publish(t, m, "r2")
	bad.SHA256 = strings.Repeat("0", 64)
	res := m.Run(t, script(bad))
	if res.Err == nil {
		t.Fatalf("the boot succeeded with a wrong checksum:\n%s", res.Console)
	}
	if !strings.Contains(res.Log, "the template wants "+bad.SHA256) {
		t.Errorf("the failure does not name the checksum:\n%s", res.Log)
	}
	if got := serving(t, m); got != "r1" {
		t.Errorf("serving %q after the refused release, want r1", got)
	}
	if m.Exists("var/www/releases/r2") {
		t.Error("the refused release was unpacked")
	}
}

func TestASecondStartOfTheSameReleaseFetchesNothing(t *testing.T) {
	t.Parallel()
	m := amiMachine(t)
	r := publish(t, m, "r1")
	mustRun(t, m, r)
	fetches := len(m.AWS.Fetches())
	res := mustRun(t, m, r)
	if got := len(m.AWS.Fetches()); got != fetches {
		t.Errorf("the second start fetched %d times", got-fetches)
	}
	if !strings.Contains(res.Log, "release r1 is installed") || serving(t, m) != "r1" {
		t.Errorf("the second start:\n%s", res.Log)
	}
}

func TestRemovingTheReleaseReturnsToTheAMIsCode(t *testing.T) {
	t.Parallel()
	m := amiMachine(t)
	mustRun(t, m, publish(t, m, "r1"))
	mustRun(t, m, nil)
	if got := serving(t, m); got != "ami" {
		t.Errorf("serving %q, want the AMI's code", got)
	}
}

func TestOnlyTheNewestReleasesAreKept(t *testing.T) {
	t.Parallel()
	m := amiMachine(t)
	for _, id := range []string{"r1", "r2", "r3", "r4"} {
		mustRun(t, m, publish(t, m, id))
	}
	for id, want := range map[string]bool{"ami": true, "r1": false, "r2": true, "r3": true, "r4": true} {
		if got := m.Exists("var/www/releases/" + id); got != want {
			t.Errorf("releases/%s kept: %v, want %v (Keep 2 besides the serving one)", id, got, want)
		}
	}
}

func TestTheReleaseStepPassesShellcheck(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "boot.sh")
	cdktest.WriteFile(t, file, script(&releases.Release{ID: "r1", SHA256: strings.Repeat("a", 64)}), 0o644)
	shellcheck.Check(t, file)
}

func TestAnAppPathLinkedElsewhereFailsTheBoot(t *testing.T) {
	t.Parallel()
	m := fakeaws.NewMachine(t, false, nil)
	cdktest.WriteFile(t, filepath.Join(m.Root, "opt/app/public/index.php"), "elsewhere\n", 0o644)
	if err := os.MkdirAll(filepath.Join(m.Root, "var/www"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/opt/app", filepath.Join(m.Root, appPath)); err != nil {
		t.Fatal(err)
	}
	res := m.Run(t, script(nil))
	if res.Err == nil || !strings.Contains(res.Log, "/var/www/html links to /opt/app, not into /var/www/releases") {
		t.Errorf("the boot (%v):\n%s", res.Err, res.Log)
	}
}
