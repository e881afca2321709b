package review

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestScriptsReviewInAScratchCopy runs scripts/review, as CI does, in a copy
// of the project with a stateful construct renamed (the uploads bucket): it
// synthesizes every environment with validation and cdk-nag, then fails
// naming the resource, without the CLI's noise. The unchanged project's review
// passing is CI's own run of scripts/review (.ci/run) and, in-process,
// TestUnchangedTemplatesPass: a second copy here cost about 20 s of CPU. That
// an unsuppressed cdk-nag error fails the app's synth is tested in-process
// (TestNagErrorsFailTheSynth).
func TestScriptsReviewInAScratchCopy(t *testing.T) {
	dir := scratchCopy(t)
	replaceIn(t, filepath.Join(dir, "constructs/webtier/webtier.go"), `storage.New(s, "Uploads", &uploads)`, `storage.New(s, "Files", &uploads)`)
	cmd := exec.Command("scripts/review")
	cmd.Dir = dir
	// A Node.js process left behind must not keep Wait waiting.
	cmd.WaitDelay = 10 * time.Second
	// scripts/test turns validation off for the test processes; the review's
	// own synthesis must have it, as a user's would. CI=true as in CI, where
	// the CLI would print its multi-stack lines on stdout; the script keeps
	// them out.
	cmd.Env = append(withoutVar(withoutVar(os.Environ(), "CDK_VALIDATION"), "CI"), "CI=true")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("scripts/review: %v, want exit 1:\n%s", err, out)
	}
	want := "example-laravel/TierUploadsBucket903CB65E: AWS::S3::Bucket Tier/Default/Uploads/Bucket will be orphaned"
	if !strings.Contains(string(out), want) {
		t.Errorf("the output does not hold %q:\n%s", want, out)
	}
	for _, noise := range []string{"Successfully synthesized to ", "Supply a stack id "} {
		if strings.Contains(string(out), noise) {
			t.Errorf("the output holds the CLI's %q:\n%s", noise, out)
		}
	}
}

// scratchCopy copies the project's files (tracked, and untracked but not
// ignored) into a temporary directory; the installed toolchain is linked.
func scratchCopy(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	ls := exec.Command("git", "ls-files", "--cached", "--others", "--exclude-standard", "-z")
	ls.Dir = root
	files, err := ls.Output()
	if err != nil {
		t.Fatalf("listing the project's files: %v", err)
	}
	dir := t.TempDir()
	for _, f := range strings.Split(strings.TrimSuffix(string(files), "\x00"), "\x00") {
		if f == "scripts/node_modules" {
			continue // a link to the toolchain, in a worktree; linked below
		}
		if err := copyFile(filepath.Join(root, f), filepath.Join(dir, f)); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	toolchain := filepath.Join(root, "scripts/node_modules")
	if _, err := os.Stat(toolchain); err != nil {
		t.Fatalf("the toolchain is not installed (run scripts/test): %v", err)
	}
	if err := os.Symlink(toolchain, filepath.Join(dir, "scripts/node_modules")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, info.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// replaceIn replaces old by new in file, failing when old is not there.
func replaceIn(t *testing.T, file, old, new string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s no longer holds %s", file, old)
	}
	if err := os.WriteFile(file, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

func withoutVar(env []string, name string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}
