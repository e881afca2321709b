package scripts_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The harness of the scripts' tests (drill, publish): fake commands written
// into a temporary directory put first on PATH, and the script run in a
// session of its own, with no controlling terminal whatever runs the tests.

// scriptCommand is scripts/NAME with args and env, in a session of its own;
// stdout and stderr go to the returned buffer.
func scriptCommand(t *testing.T, name string, env []string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	script, err := filepath.Abs(name)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := exec.Command(script, args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	// A process the script left behind holding its output open must not keep
	// Wait, and the test, waiting.
	cmd.WaitDelay = 10 * time.Second
	return cmd, &out
}

// runScript runs scripts/NAME and returns its output and exit code.
func runScript(t *testing.T, name string, env []string, args ...string) (string, int) {
	t.Helper()
	cmd, out := scriptCommand(t, name, env, args...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("scripts/%s did not start: %v", name, err)
	}
	// The scripts' tests take seconds: a hung run fails its test after two
	// minutes, with its output, instead of stalling the package.
	hung := time.AfterFunc(2*time.Minute, func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	defer hung.Stop()
	code := exitCode(t, name, cmd.Wait(), out)
	return out.String(), code
}

// exitCode is the exit code of a script that ran; a script that did not run
// fails the test.
func exitCode(t *testing.T, name string, err error, out *bytes.Buffer) int {
	t.Helper()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.ExitCode()
	case errors.Is(err, exec.ErrWaitDelay):
		return 0 // exited 0; something it started still held its output
	}
	t.Fatalf("scripts/%s did not run: %v\n%s", name, err, out)
	return -1
}

// readLines returns the lines of a file the fakes write, e.g. their call log.
func readLines(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func wantOutput(t *testing.T, out string, fragments ...string) {
	t.Helper()
	for _, s := range fragments {
		if !strings.Contains(out, s) {
			t.Errorf("the output does not say %q:\n%s", s, out)
		}
	}
}
