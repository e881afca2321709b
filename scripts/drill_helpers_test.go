package scripts_test

import (
	"bytes"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Helpers of the drills' tests (waiting for a call, Ctrl-C, processes left), beside the harness's.

// A test binary started in the background by a shell without job control
// (scripts/test & in a script, nohup in CI) inherits SIGINT ignored, and so
// would every drill it starts: bash can neither trap nor reset a signal
// ignored on entry, so Ctrl-C could not be tested and those tests would wait
// out their two minutes. Handling SIGINT here makes the drills start with
// the default disposition (handled signals are reset at exec); a binary that
// did not ignore it keeps Ctrl-C as it was.
func init() {
	if signal.Ignored(syscall.SIGINT) {
		signal.Notify(make(chan os.Signal, 1), syscall.SIGINT)
	}
}

// startAndWaitForCall starts cmd and waits until a fake logged a call
// containing call, for at most 10 seconds.
func (h *harness) startAndWaitForCall(cmd *exec.Cmd, out *bytes.Buffer, call string) {
	h.t.Helper()
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(strings.Join(h.calls(), "\n"), call); {
		if time.Now().After(deadline) {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			_ = cmd.Wait()
			h.t.Fatalf("no %q after 10 s:\n%s", call, out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// interrupt sends SIGINT to cmd's process group, as Ctrl-C does on a
// terminal, and returns the exit code and the output.
func (h *harness) interrupt(cmd *exec.Cmd, out *bytes.Buffer) (string, int) {
	h.t.Helper()
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		h.t.Fatal(err)
	}
	hung := time.AfterFunc(2*time.Minute, func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	defer hung.Stop()
	code := h.exitCode(cmd.Wait(), out)
	return out.String(), code
}

// leftRunning lists the processes still running with this harness's state
// directory in their environment (the script's and every fake's): the
// command lines, on Linux; elsewhere nil.
func (h *harness) leftRunning() []string {
	h.t.Helper()
	mark := []byte("FAKE_STATE=" + h.state + "\x00")
	environs, _ := filepath.Glob("/proc/[0-9]*/environ")
	var left []string
	for _, environ := range environs {
		b, err := os.ReadFile(environ)
		if err != nil || !bytes.Contains(b, mark) {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join(filepath.Dir(environ), "cmdline"))
		left = append(left, strings.Join(strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00"), " "))
	}
	return left
}

// wantNothingLeftRunning checks, right after the script exited, that none of
// its processes is still running (a background poller, a sleep), and that no
// fake is called any more.
func (h *harness) wantNothingLeftRunning(out string) {
	h.t.Helper()
	if left := h.leftRunning(); len(left) != 0 {
		h.t.Errorf("still running after the script exited: %q\n%s", left, out)
	}
	before := len(h.calls())
	time.Sleep(300 * time.Millisecond)
	if after := len(h.calls()); after != before {
		h.t.Errorf("%d call(s) after the script exited: %q\n%s", after-before, h.calls()[before:], out)
	}
}

// countCalls counts the fakes' calls that start with prefix.
func (h *harness) countCalls(prefix string) int {
	n := 0
	for _, c := range h.calls() {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

// unset clears a flag of the fakes.
func (h *harness) unset(flag string) {
	h.t.Helper()
	if err := os.Remove(filepath.Join(h.state, flag)); err != nil {
		h.t.Fatal(err)
	}
}
