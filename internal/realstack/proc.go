//go:build e2e

package realstack

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Daemon is a process the stack started and stops by its PID.
type Daemon struct {
	Name string
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
}

// startDaemon starts args in the foreground (the daemon must not fork: its
// PID is the one stopped), its output in dir/name.log. uid and gid, when
// not zero, are the user it runs as.
func startDaemon(dir, name string, uid, gid int, args ...string) (*Daemon, error) {
	log, err := os.Create(dir + "/" + name + ".log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if uid != 0 {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	d := &Daemon{Name: name, cmd: cmd, log: log, done: make(chan struct{})}
	go func() { cmd.Wait(); close(d.done) }()
	return d, nil
}

// PID is the daemon's process id.
func (d *Daemon) PID() int { return d.cmd.Process.Pid }

// Exited reports whether the daemon has ended.
func (d *Daemon) Exited() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// Stop sends SIGTERM to the daemon's process group and SIGKILL after 5 s.
func (d *Daemon) Stop() {
	if d == nil {
		return
	}
	syscall.Kill(-d.PID(), syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-d.PID(), syscall.SIGKILL)
		<-d.done
	}
	d.log.Close()
}

// Log returns the daemon's output so far.
func (d *Daemon) Log() string {
	b, _ := os.ReadFile(d.log.Name())
	return string(b)
}

// waitTCP waits until addr accepts connections, or the daemon exits.
func waitTCP(d *Daemon, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		if d != nil && d.Exited() {
			return fmt.Errorf("%s exited before listening on %s:\n%s", d.Name, addr, tail(d.Log(), 2000))
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("nothing listens on %s after %s", addr, timeout)
}

// runCmd runs a command to its end and returns its combined output; the
// error names the command and holds the output.
func runCmd(ctx context.Context, stdin string, args ...string) (string, error) {
	return runIn(ctx, 0, 0, stdin, args...)
}

// runAs is runCmd as the user uid, gid (root when both are 0).
func runAs(ctx context.Context, uid, gid int, args ...string) (string, error) {
	return runIn(ctx, uid, gid, "", args...)
}

func runIn(ctx context.Context, uid, gid int, stdin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	if uid != 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	}
	// Output goes to a file, not a pipe: a daemon the command starts may
	// keep its output open for as long as it runs.
	f, err := os.CreateTemp("", "cmd-*.out")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	cmd.Stdout, cmd.Stderr = f, f
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	err = cmd.Run()
	out, _ := os.ReadFile(f.Name())
	if err != nil {
		return string(out), fmt.Errorf("%s: %w\n%s", strings.Join(args, " "), err, tail(string(out), 3000))
	}
	return string(out), nil
}

// readAll reads a request's body and puts it back for the next handler.
func readAll(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b, err
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// lookupID returns the uid and gid of a user of this machine.
func lookupID(user string) (int, int, error) {
	b, err := os.ReadFile("/etc/passwd")
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ":")
		if len(f) > 3 && f[0] == user {
			uid, _ := strconv.Atoi(f[2])
			gid, _ := strconv.Atoi(f[3])
			return uid, gid, nil
		}
	}
	return 0, 0, fmt.Errorf("no user %s on this machine", user)
}
