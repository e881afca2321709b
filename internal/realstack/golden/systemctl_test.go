package golden_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// standIn is the systemctl stand-in over a directory of unit files of its
// own, with its state and logs in the test's directory.
type standIn struct {
	t                       *testing.T
	dir, units, state, logs string
}

func newStandIn(t *testing.T) *standIn {
	t.Helper()
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("no setpriv (util-linux) on this machine")
	}
	dir := t.TempDir()
	// The services may run as another user, who must reach their files
	// (TempDir makes its directory and the test's 0700).
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s := &standIn{t: t, dir: dir, units: filepath.Join(dir, "units"), state: filepath.Join(dir, "state"), logs: filepath.Join(dir, "logs")}
	if err := os.Mkdir(s.units, 0o755); err != nil {
		t.Fatal(err)
	}
	return s
}

// file writes a file (a unit, or a program with mode 0755) in the test's
// directory and returns its path.
func (s *standIn) file(name, text string, mode os.FileMode) string {
	s.t.Helper()
	p := filepath.Join(s.dir, name)
	if err := os.WriteFile(p, []byte(text), mode); err != nil {
		s.t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // not the umask's
		s.t.Fatal(err)
	}
	return p
}

// unit writes the unit file name and stops the unit when the test ends.
func (s *standIn) unit(name, text string) {
	s.t.Helper()
	s.file("units/"+name, text, 0o644)
	s.t.Cleanup(func() { s.run("stop", name) })
}

// run runs the stand-in and returns its output and exit code.
func (s *standIn) run(args ...string) (string, int) {
	cmd := exec.Command("./systemctl", args...)
	cmd.Env = append(os.Environ(), "TIERKIT_SYSTEMCTL_UNITS="+s.units, "TIERKIT_SYSTEMCTL_STATE="+s.state, "TIERKIT_SYSTEMCTL_LOGS="+s.logs)
	out, err := cmd.CombinedOutput()
	if e, ok := err.(*exec.ExitError); ok {
		return string(out), e.ExitCode()
	} else if err != nil {
		s.t.Fatal(err)
	}
	return string(out), 0
}

func (s *standIn) must(args ...string) string {
	s.t.Helper()
	out, rc := s.run(args...)
	if rc != 0 {
		s.t.Fatalf("systemctl %s: exit %d\n%s", strings.Join(args, " "), rc, out)
	}
	return out
}

func (s *standIn) read(name string) string {
	b, _ := os.ReadFile(filepath.Join(s.dir, name))
	return string(b)
}

// waitFor waits up to 5 s for cond.
func (s *standIn) waitFor(what string, cond func() bool) {
	s.t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			logs, _ := filepath.Glob(filepath.Join(s.logs, "*"))
			var text strings.Builder
			for _, l := range logs {
				b, _ := os.ReadFile(l)
				text.WriteString(filepath.Base(l) + ":\n" + string(b))
			}
			s.t.Fatalf("after 5 s: %s; the units' logs:\n%s", what, text.String())
		}
	}
}

// TestStandInRunsAUnitFileAsItsUserAndStopsItGracefully: a service with a
// unit file of its own runs ExecStart as User in WorkingDirectory; stop
// sends KillSignal and waits for the main process to end.
func TestStandInRunsAUnitFileAsItsUserAndStopsItGracefully(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("User= needs root")
	}
	t.Parallel()
	s := newStandIn(t)
	s.file("ran", "", 0o666)
	prog := s.file("job", `#!/bin/bash
echo "$(id -un) $(pwd) $$ ${HOME:-}" >>"$(dirname "$0")/ran"
trap 'sleep 1; echo finished >>"$(dirname "$0")/ran"; exit 0' TERM
while :; do sleep 0.1; done
`, 0o755)
	s.unit("job.service", "[Unit]\nDescription=a job\nAfter=network-online.target\nWants=network-online.target\n[Service]\nType=simple\nUser=nobody\nWorkingDirectory=/tmp\nExecStart="+prog+
		"\nRestart=always\nRestartSec=5\nKillSignal=SIGTERM\nKillMode=mixed\nTimeoutStopSec=10\n")
	s.must("daemon-reload")
	s.must("start", "job")
	if out := s.must("is-active", "job.service"); strings.TrimSpace(out) != "active" {
		t.Errorf("is-active after start: %q", out)
	}
	s.waitFor("the job ran", func() bool { return s.read("ran") != "" })
	status := s.must("status", "job.service")
	fields := strings.Fields(s.read("ran"))
	if len(fields) != 4 || fields[0] != "nobody" || fields[1] != "/tmp" || !strings.Contains(status, "Main PID: "+fields[2]) {
		t.Errorf("the job ran as %q; want nobody in /tmp, as the main process (status:\n%s)", s.read("ran"), status)
	}
	start := time.Now()
	s.must("stop", "job.service")
	if took := time.Since(start); took < time.Second || !strings.HasSuffix(s.read("ran"), "finished\n") {
		t.Errorf("stop returned after %v, the job wrote %q; want the job's SIGTERM handler to finish first (1 s)", took, s.read("ran"))
	}
	if log := s.read("logs/job.service.log"); !strings.Contains(log, "stopping: SIGTERM to the main process "+fields[2]) ||
		!strings.Contains(log, "main process "+fields[2]+" exited, status 0") {
		t.Errorf("the unit's log does not record the stop and the exit:\n%s", log)
	}
	if out, rc := s.run("is-active", "job.service"); rc != 3 || strings.TrimSpace(out) != "inactive" {
		t.Errorf("is-active after stop: %q, exit %d; want inactive, 3", out, rc)
	}
	s.must("stop", "job.service") // stopping a stopped unit succeeds
}

// TestStandInKillsAServiceAfterTimeoutStopSec: a main process that ignores
// SIGTERM gets SIGKILL after TimeoutStopSec.
func TestStandInKillsAServiceAfterTimeoutStopSec(t *testing.T) {
	t.Parallel()
	s := newStandIn(t)
	prog := s.file("stubborn", "#!/bin/bash\ntrap '' TERM\necho $$ >\"$(dirname \"$0\")/pid\"\nwhile :; do sleep 0.1; done\n", 0o755)
	s.unit("stubborn.service", "[Service]\nExecStart="+prog+"\nTimeoutStopSec=1\n")
	s.must("start", "stubborn.service")
	s.waitFor("the service started", func() bool { return s.read("pid") != "" })
	start := time.Now()
	out := s.must("stop", "stubborn.service")
	took := time.Since(start)
	if took < time.Second || took > 4*time.Second || !strings.Contains(out, "stop timed out, killing") {
		t.Errorf("stop took %v (%q); want SIGKILL after TimeoutStopSec=1", took, out)
	}
	// Gone, or a zombie its parent has not reaped yet.
	if stat, err := os.ReadFile("/proc/" + strings.TrimSpace(s.read("pid")) + "/stat"); err == nil && !strings.Contains(string(stat), ") Z ") {
		t.Errorf("process %s still runs after the stop: %s", strings.TrimSpace(s.read("pid")), stat)
	}
}

// TestStandInRestartsAsRestartSays: Restart=always starts the main process
// again after it exits; Restart=on-failure not after a clean exit.
func TestStandInRestartsAsRestartSays(t *testing.T) {
	t.Parallel()
	s := newStandIn(t)
	prog := s.file("once", "#!/bin/bash\necho run >>\"$(dirname \"$0\")/$1\"\n", 0o755)
	s.unit("always.service", "[Service]\nExecStart="+prog+" always\nRestart=always\nRestartSec=0\n")
	s.unit("onfailure.service", "[Service]\nExecStart="+prog+" onfailure\nRestart=on-failure\n")
	s.must("start", "always.service", "onfailure.service")
	s.waitFor("always.service ran 3 times", func() bool { return strings.Count(s.read("always"), "run") >= 3 })
	s.waitFor("onfailure.service ended", func() bool { _, rc := s.run("is-active", "onfailure.service"); return rc == 3 })
	if n := strings.Count(s.read("onfailure"), "run"); n != 1 {
		t.Errorf("Restart=on-failure ran a cleanly exiting service %d times; want once", n)
	}
}

// TestStandInPathUnitStartsItsServiceOnceThePathExists: a path unit starts
// its Unit= when PathExists= appears; stopped, it starts nothing more.
func TestStandInPathUnitStartsItsServiceOnceThePathExists(t *testing.T) {
	t.Parallel()
	s := newStandIn(t)
	prog := s.file("svc", "#!/bin/bash\nexec sleep 30\n", 0o755)
	marker := filepath.Join(s.dir, "ok")
	s.unit("svc.service", "[Service]\nExecStart="+prog+"\n")
	s.unit("svc.path", "[Unit]\nDescription=starts svc\n[Path]\nPathExists="+marker+"\nUnit=svc.service\n")
	s.must("start", "svc.path")
	time.Sleep(700 * time.Millisecond)
	if _, rc := s.run("is-active", "svc.service"); rc != 3 {
		t.Fatalf("svc.service runs before %s exists", marker)
	}
	s.file("ok", "", 0o644)
	s.waitFor("svc.service started by the path unit", func() bool { _, rc := s.run("is-active", "svc.service"); return rc == 0 })
	s.must("stop", "svc.path", "svc.service")
	time.Sleep(700 * time.Millisecond)
	if out, rc := s.run("is-active", "svc.path", "svc.service"); rc != 3 || out != "inactive\ninactive\n" {
		t.Errorf("after stopping both: %q; want both inactive", out)
	}
}

// TestStandInRefusesWhatItDoesNotDo: a directive it would ignore, and a
// command line it would not parse as systemd does, are refused by name.
func TestStandInRefusesWhatItDoesNotDo(t *testing.T) {
	t.Parallel()
	s := newStandIn(t)
	for name, c := range map[string]struct{ unit, want string }{
		"pre.service":    {"[Service]\nExecStartPre=/bin/true\nExecStart=/bin/true\n", "ExecStartPre= is not supported"},
		"quoted.service": {"[Service]\nExecStart=/bin/sh -c 'exit 0'\n", "plain words only"},
		"notify.service": {"[Service]\nType=notify\nExecStart=/bin/true\n", "Type=notify"},
		"minute.service": {"[Service]\nExecStart=/bin/true\nTimeoutStopSec=1min\n", "TimeoutStopSec=1min"},
		"other.path":     {"[Path]\nPathExists=/x\nUnit=cron.service\n", "Unit=cron.service"},
	} {
		s.file("units/"+name, c.unit, 0o644)
		if out, rc := s.run("start", name); rc == 0 || !strings.Contains(out, c.want) {
			t.Errorf("start %s: exit %d, %q; want a failure naming %q", name, rc, out, c.want)
		}
	}
	if out, rc := s.run("enable", "pre.service"); rc == 0 || !strings.Contains(out, "not supported") {
		t.Errorf("enable of a unit file: exit %d, %q; want refused", rc, out)
	}
}
