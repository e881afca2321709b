package scripts_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The harness of the scripts' tests (drill, publish): fake commands written
// into a temporary directory put first on PATH, which answer from a state
// directory ($FAKE_STATE) and log each call to its calls.log, and the script
// run in a session of its own, with no controlling terminal whatever runs the
// tests. go test runs the tests here, in scripts/: scripts/NAME is ./NAME.

// fakePrelude starts every fake command: bash, strict, s the state
// directory, the call logged as "COMMAND ARGS..."; options ARGS reads
// "--OPTION WORD..." arguments into arg[OPTION], the words joined by spaces.
const fakePrelude = `#!/usr/bin/env bash
set -euo pipefail
s=$FAKE_STATE
echo "${0##*/} $*" >>"$s/calls.log"
declare -A arg=()
options() {
  local word key=
  for word; do
    if [[ $word == --* ]]; then key=${word#--}; arg[$key]=
    else arg[$key]+="${arg[$key]:+ }$word"
    fi
  done
}
`

// harness runs scripts/NAME against fake commands.
type harness struct {
	t     *testing.T
	name  string
	state string
	env   []string
}

// newHarness writes fakes (command name to the script after fakePrelude) into
// a new directory put first on PATH, and an empty calls.log into a new state directory. The script
// sees the tests' environment without AWS_* and TIERKIT_* (the machine's own
// settings must not reach it), then env.
func newHarness(t *testing.T, name string, fakes map[string]string, env ...string) *harness {
	t.Helper()
	bin := t.TempDir()
	h := &harness{t: t, name: name, state: t.TempDir()}
	for command, script := range fakes {
		h.write(filepath.Join(bin, command), fakePrelude+script, 0o755)
	}
	h.setState("calls.log", "")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PATH=") && !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "TIERKIT_") {
			h.env = append(h.env, kv)
		}
	}
	h.env = append(h.env, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "FAKE_STATE="+h.state)
	h.env = append(h.env, env...)
	return h
}

func (h *harness) write(path, content string, mode os.FileMode) {
	h.t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		h.t.Fatal(err)
	}
}

// setState writes a file of the state directory; name is slash-separated.
func (h *harness) setState(name, content string) {
	h.t.Helper()
	h.write(filepath.Join(h.state, filepath.FromSlash(name)), content, 0o644)
}

// set sets a flag of the fakes: an empty file of the state directory.
func (h *harness) set(flag string) { h.setState(flag, "") }

// lines are the lines of a file of the state directory.
func (h *harness) lines(name string) []string {
	h.t.Helper()
	b, err := os.ReadFile(filepath.Join(h.state, name))
	if err != nil {
		h.t.Fatal(err)
	}
	if len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// calls are the fakes' calls, each its command line: "aws SERVICE OPERATION
// ARGS...", "curl ARGS...".
func (h *harness) calls() []string { return h.lines("calls.log") }

func (h *harness) script() string {
	h.t.Helper()
	script, err := filepath.Abs(h.name)
	if err != nil {
		h.t.Fatal(err)
	}
	return script
}

// session is argv with env in a session of its own; stdout and stderr go to
// the returned buffer.
func session(env []string, argv ...string) (*exec.Cmd, *bytes.Buffer) {
	var out bytes.Buffer
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	// A process the script left behind holding its output open must not keep
	// Wait, and the test, waiting.
	cmd.WaitDelay = 10 * time.Second
	return cmd, &out
}

// command is the script with args, in a session of its own.
func (h *harness) command(args ...string) (*exec.Cmd, *bytes.Buffer) {
	h.t.Helper()
	return session(h.env, append([]string{h.script()}, args...)...)
}

// run runs the script with args and returns its output (stdout and stderr)
// and exit code.
func (h *harness) run(args ...string) (string, int) {
	h.t.Helper()
	cmd, out := h.command(args...)
	return h.wait(cmd, out)
}

// mustRun runs the script with args and returns its output, ending the test
// at once unless the script exits with code.
func (h *harness) mustRun(code int, args ...string) string {
	h.t.Helper()
	out, got := h.run(args...)
	if got != code {
		h.t.Fatalf("exit %d, want %d:\n%s", got, code, out)
	}
	return out
}

// onTerminal runs the script with args on a terminal, util-linux script(1)'s,
// typing answer and a newline into it. It skips the test where script(1)
// cannot give one.
func (h *harness) onTerminal(answer string, args ...string) (string, int) {
	h.t.Helper()
	if v, err := exec.Command("script", "--version").Output(); err != nil || !bytes.Contains(v, []byte("util-linux")) {
		h.t.Skip("needs script(1) from util-linux")
	}
	line := strings.Join(append([]string{h.script()}, args...), " ")
	cmd, out := session(append(slices.Clip(h.env), "SHELL=/bin/sh"), "script", "--quiet", "--return", "--command", line, "/dev/null")
	cmd.Stdin = strings.NewReader(answer + "\n")
	s, code := h.wait(cmd, out)
	if strings.Contains(s, "pseudo-terminal") {
		h.t.Skipf("script(1) has no terminal to give here:\n%s", s)
	}
	return s, code
}

// wait starts cmd and returns its output and exit code.
func (h *harness) wait(cmd *exec.Cmd, out *bytes.Buffer) (string, int) {
	h.t.Helper()
	if err := cmd.Start(); err != nil {
		h.t.Fatalf("scripts/%s did not start: %v", h.name, err)
	}
	// The scripts' tests take seconds: a hung run fails its test after two
	// minutes, with its output, instead of stalling the package.
	hung := time.AfterFunc(2*time.Minute, func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	defer hung.Stop()
	code := h.exitCode(cmd.Wait(), out)
	return out.String(), code
}

// exitCode is the exit code of a script that ran; a script that did not run
// fails the test.
func (h *harness) exitCode(err error, out *bytes.Buffer) int {
	h.t.Helper()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.ExitCode()
	case errors.Is(err, exec.ErrWaitDelay):
		return 0 // exited 0; something it started still held its output
	}
	h.t.Fatalf("scripts/%s did not run: %v\n%s", h.name, err, out)
	return -1
}

// wantRefused checks that the script exited with code, said fragments, and
// called nothing.
func (h *harness) wantRefused(out string, code, want int, fragments ...string) {
	h.t.Helper()
	if code != want {
		h.t.Errorf("exit %d, want %d:\n%s", code, want, out)
	}
	wantOutput(h.t, out, fragments...)
	if calls := h.calls(); len(calls) != 0 {
		h.t.Errorf("called %q", calls)
	}
}

func wantOutput(t *testing.T, out string, fragments ...string) {
	t.Helper()
	for _, s := range fragments {
		if !strings.Contains(out, s) {
			t.Errorf("the output does not say %q:\n%s", s, out)
		}
	}
}
