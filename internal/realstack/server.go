//go:build e2e

package realstack

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tierkit/tierkit/internal/fakeaws"
)

// Server is one EC2 instance of a fleet: a copy-on-write overlay over the
// golden root (the application layer over the base), in network, mount
// and UTS namespaces of its own, held open by one process.
type Server struct {
	Name, IP, InstanceID string
	Singleton            bool
	// Tags are its EC2 tags that IMDS answers (the fleet's).
	Tags        Tags
	stack       *Stack
	dir, merged string
	holder      *Daemon
	mntNS, veth string
}

// Where cloud-init keeps what it runs: the user data script of the instance
// it booted (under /var/lib/cloud/instance, a link to the instance's own
// directory), and the scripts it runs at every start.
const (
	userDataPath = "/var/lib/cloud/instance/scripts/part-001"
	perBootDir   = "/var/lib/cloud/scripts/per-boot"
)

// NewServer launches server n from the golden root (layers, the uppermost
// first), its hostname name, with tags. It is killed when t ends if still
// running.
func (s *Stack) NewServer(t *testing.T, name string, n int, tags Tags, layers ...string) *Server {
	t.Helper()
	// A new instance starts from the AMI: a fresh writable layer of its own.
	s.launched++
	srv := &Server{Name: name, IP: ServerIP(n), InstanceID: fmt.Sprintf("i-0e2e%05x%08x", s.launched, n), Singleton: tags.Singleton, Tags: tags, stack: s,
		dir: filepath.Join(s.Dir, "servers", fmt.Sprintf("%02d-%s", s.launched, name))}
	srv.merged = filepath.Join(srv.dir, "root")
	if err := srv.launch(layers); err != nil {
		srv.Kill()
		t.Fatalf("launching %s: %v", name, err)
	}
	t.Cleanup(srv.Kill)
	return srv
}

func (srv *Server) launch(layers []string) error {
	for _, d := range []string{"upper", "work", "root"} {
		if err := os.MkdirAll(filepath.Join(srv.dir, d), 0o755); err != nil {
			return err
		}
	}
	// unshare execs sleep: the PID held is the namespaces' first process.
	holder, err := startDaemon(srv.dir, "holder", 0, 0, "unshare", "--net", "--mount", "--uts", "--propagation", "private", "sleep", "infinity")
	if err != nil {
		return err
	}
	srv.holder = holder
	self, _ := os.Readlink("/proc/self/ns/net")
	pid := strconv.Itoa(holder.PID())
	for i := 0; ; i++ {
		ns, _ := os.Readlink("/proc/" + pid + "/ns/net")
		if ns != "" && ns != self {
			break
		}
		if i > 200 || holder.Exited() {
			return fmt.Errorf("the namespaces did not appear: %s", holder.Log())
		}
		time.Sleep(10 * time.Millisecond)
	}
	srv.mntNS, _ = os.Readlink("/proc/" + pid + "/ns/mnt")
	srv.veth = "v" + strings.ReplaceAll(srv.IP, ".", "")[3:]
	veth := srv.veth
	lower := strings.Join(layers, ":")
	mounts := fmt.Sprintf(`set -e
mount -t overlay overlay -o lowerdir=%[1]s,upperdir=%[2]s/upper,workdir=%[2]s/work %[3]s
mount -t proc proc %[3]s/proc
mount --rbind /dev %[3]s/dev
mount -t tmpfs -o mode=755 tmpfs %[3]s/run
mount -t sysfs sysfs %[3]s/sys || true`, lower, srv.dir, srv.merged)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, c := range [][]string{
		{"ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", pid},
		{"ip", "link", "set", veth, "master", "tk0", "up"},
		{"nsenter", "-t", pid, "-n", "ip", "link", "set", "lo", "up"},
		{"nsenter", "-t", pid, "-n", "ip", "link", "set", "eth0", "up"},
		{"nsenter", "-t", pid, "-n", "ip", "addr", "add", srv.IP + "/16", "dev", "eth0"},
		{"nsenter", "-t", pid, "-n", "ip", "route", "add", "default", "via", HubIP},
		{"nsenter", "-t", pid, "-u", "hostname", srv.Name},
		{"nsenter", "-t", pid, "-m", "sh", "-c", mounts},
	} {
		if _, err := runCmd(ctx, "", c...); err != nil {
			return err
		}
	}
	machine := fakeaws.Instance{IP: srv.IP, ID: srv.InstanceID, Singleton: srv.Singleton, Worker: srv.Tags.Worker,
		SignalResource: srv.Tags.SignalResource, LifecycleHook: srv.Tags.LifecycleHook}
	if srv.Tags.LifecycleHook != "" { // launched by an Auto Scaling group
		machine.LifecycleState = "InService"
	}
	srv.stack.Machine(machine)
	// What AWS gives every instance outside its AMI: the VPC's DNS (here
	// the hosts file) and the public CAs AWS's endpoints are signed by.
	hosts := fmt.Sprintf("%s %s %s %s\n", HubIP, DBHost, CacheHost, strings.Join(awsNames, " "))
	if _, err := srv.Exec(ctx, hosts, "sh", "-c", "cat >>/etc/hosts"); err != nil {
		return err
	}
	if _, err = srv.Exec(ctx, srv.stack.CA.PEM, "sh", "-c", "cat >>/etc/ssl/certs/ca-certificates.crt"); err != nil {
		return err
	}
	// What cloud-init's first stage sets up: the directory of the instance
	// it booted (by the instance ID), /var/lib/cloud/instance pointing at
	// it. An AMI made from a booted server carries the link; the new
	// instance's own directory replaces it.
	_, err = srv.Exec(ctx, "", "sh", "-c", fmt.Sprintf("set -e; mkdir -p /var/lib/cloud/instances/%[1]s %[2]s; ln -sfn /var/lib/cloud/instances/%[1]s /var/lib/cloud/instance.new; mv -T /var/lib/cloud/instance.new /var/lib/cloud/instance",
		srv.InstanceID, perBootDir))
	return err
}

// Exec runs a command inside the server (its namespaces, its root as /),
// stdin as its input, and returns its output.
func (srv *Server) Exec(ctx context.Context, stdin string, args ...string) (string, error) {
	if srv.holder == nil || srv.holder.Exited() {
		return "", fmt.Errorf("%s is not running", srv.Name)
	}
	pre := []string{"nsenter", "-t", strconv.Itoa(srv.holder.PID()), "-m", "-u", "-n", "--", "chroot", srv.merged,
		"env", "-i", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C.UTF-8"}
	return runCmd(ctx, stdin, append(pre, args...)...)
}

// Must is Exec that fails the test on an error.
func (srv *Server) Must(t testing.TB, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := srv.Exec(ctx, "", args...)
	if err != nil {
		t.Fatalf("%s: %v", srv.Name, err)
	}
	return out
}

// Start starts the server's enabled services, as systemd would at boot
// (before cloud-init runs the user data); it returns what failed to
// start: a copy of the golden server may not start everything.
func (srv *Server) Start(services ...string) []string {
	var failed []string
	for _, svc := range services {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if out, err := srv.Exec(ctx, "", "tierkit-init-server", svc); err != nil {
			failed = append(failed, svc+": "+strings.TrimSpace(tail(out, 500)))
		}
		cancel()
	}
	return failed
}

// Boot is one run of the user data, or of the per-boot scripts.
type Boot struct {
	Err      error
	Console  string
	Log      string
	Duration time.Duration
}

// RunUserData runs script as cloud-init runs user data: as root, the
// server's root as /, no variables but cloud-init's.
func (srv *Server) RunUserData(script string) Boot {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := srv.Exec(ctx, script, "sh", "-c", "mkdir -p "+filepath.Dir(userDataPath)+" && cat >"+userDataPath+" && chmod 0700 "+userDataPath); err != nil {
		return Boot{Err: err}
	}
	start := time.Now()
	out, err := srv.Exec(ctx, "", userDataPath)
	b := Boot{Err: err, Console: out, Duration: time.Since(start)}
	b.Log, _ = srv.Exec(ctx, "", "cat", "/var/log/tierkit-boot.log")
	os.WriteFile(filepath.Join(srv.dir, "console.log"), []byte(out), 0o644)
	return b
}

// Restart runs what cloud-init runs at a later start of the instance: the
// per-boot scripts, in order of their names (run-parts, as root), the user
// data not again. The services keep running: a stop and start of the
// instance also starts them again before cloud-init runs.
func (srv *Server) Restart() Boot {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	before, _ := srv.Exec(ctx, "", "cat", "/var/log/tierkit-boot.log")
	start := time.Now()
	out, err := srv.Exec(ctx, "", "sh", "-c", `set -e; for f in `+perBootDir+`/*; do [ -x "$f" ] || continue; echo "per-boot: $f"; "$f"; done`)
	b := Boot{Err: err, Console: out, Duration: time.Since(start)}
	// The log of this start only: the file keeps every boot's.
	b.Log, _ = srv.Exec(ctx, "", "cat", "/var/log/tierkit-boot.log")
	b.Log = strings.TrimPrefix(b.Log, before)
	os.WriteFile(filepath.Join(srv.dir, fmt.Sprintf("console-%d.log", time.Now().UnixNano())), []byte(out), 0o644)
	return b
}

// CronTick runs, as cron would at minute 0 of an hour, every entry of the
// server's /etc/cron.d that is due then, as its user: cron's schedule
// itself is not waited for (Nextcloud's runs every 5 minutes). Debian's
// cron reads only names of letters, digits, _ and -.
func (srv *Server) CronTick(t testing.TB) string {
	t.Helper()
	return srv.Must(t, "bash", "-c", `shopt -s nullglob
for f in /etc/cron.d/*; do
  n=${f##*/}
  [[ $n =~ ^[A-Za-z0-9_-]+$ ]] || continue
  while read -r m h dom mon dow user cmd; do
    [[ -z $m || $m == \#* || $m == *=* ]] && continue
    case $m in '*' | '*/'* | 0 | 0,* | *,0 | *,0,*) ;; *) continue ;; esac
    echo "cron.d/$n: $user: $cmd"
    runuser -u "$user" -- /bin/sh -c "$cmd" || echo "exit $?"
  done <"$f"
done`)
}

// processes returns the PIDs of every process in the server's namespaces.
func (srv *Server) processes() []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ns, _ := os.Readlink("/proc/" + e.Name() + "/ns/mnt"); ns != "" && ns == srv.mntNS {
			pids = append(pids, pid)
		}
	}
	return pids
}

// Kill ends the server abruptly, as an instance that dies: every process
// in its namespaces gets SIGKILL, by PID; the namespaces, its address and
// its overlay go with them. IMDS forgets it.
func (srv *Server) Kill() {
	if srv.holder == nil || srv.holder.Exited() {
		return
	}
	for i := 0; i < 20; i++ {
		pids := srv.processes()
		if len(pids) == 0 {
			break
		}
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(50 * time.Millisecond)
	}
	srv.holder.Stop()
	srv.stack.Forget(srv.IP)
	// The kernel removes the veth with the namespace, but later: the next
	// server with this address must not find it.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	runCmd(ctx, "", "ip", "link", "del", srv.veth)
}
