//go:build e2e

package realstack

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tierkit/tierkit/constructs/fleet"
	"github.com/tierkit/tierkit/constructs/laravel"
	"github.com/tierkit/tierkit/constructs/releases"
	"github.com/tierkit/tierkit/internal/cdktest"
	"github.com/tierkit/tierkit/internal/fakeaws"
)

// The proof of Laravel's queue workers on a worker group of their own
// (QueueWorkers worker-group, on the Redis): the group's servers boot from
// the same golden root with the same user data as the web servers, with
// the worker group's tags from the template, and serve nothing: no web
// server, no health check, no balancer, no scheduler, one queue:work. Jobs
// the web servers dispatch through the balancer run once, on the workers
// only. With releases, the worker group's refresh launches workers of the
// second release, and the old ones are drained through the termination
// hook; the jobs then run the second release's code.

// workerRun is the scenario's worker group: its servers, as launched.
type workerRun struct {
	group string // the worker group's logical ID
	tags  Tags
	// servers are the workers running now; firstDeploy those the first
	// deploy launched.
	servers, firstDeploy []*Server
	next                 int // the index (address) of the next worker launched
}

// buildWorkerGroup sets what the worker group needs on p: the workers, the
// queue on the Redis, the Redis as the cache store (the queue needs a Redis
// of the tier; sessions stay in the database).
func (sc scenario) buildWorkerGroup(p *laravel.APIProps) {
	if !sc.workerGroup {
		return
	}
	p.CacheStore, p.RedisHost, p.RedisPort, p.RedisTLS = "redis", CacheHost, RedisPort, true
	p.RedisAuthSecret = RedisAuthSecret
	p.QueueWorkers, p.QueueConnection = laravel.QueueWorkersGroup, laravel.QueueRedis
}

// workerNames names n workers from the k-th on: laravel-worker-k, ...
func (sc scenario) workerNames(k, n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("%s-worker-%d", sc.name[:strings.Index(sc.name, "-")], k+i))
	}
	return out
}

// launchWorkers launches the worker group's first servers (its
// MinCapacity, which its creation waits for) with the group's tags from
// the template, addresses after the balancer's names (used): the
// balancer never knows them. They boot with the web servers.
func (f *fleetRun) launchWorkers(t *testing.T, s *Stack, used int) []*Server {
	t.Helper()
	if !f.sc.workerGroup {
		return nil
	}
	tags, id := WorkerGroupTags(t, f.tpl)
	size, err := strconv.Atoi(fmt.Sprint(cdktest.Props(f.tpl.Resources("AWS::AutoScaling::AutoScalingGroup")[id])["MinSize"]))
	if err != nil || size < 1 {
		t.Fatalf("worker group %s: MinSize %v", id, err)
	}
	f.workers = &workerRun{group: id, tags: tags, next: used + 1}
	f.workers.servers = f.workers.launch(t, s, f.sc, f.sc.workerNames(1, size))
	f.workers.firstDeploy = f.workers.servers
	return f.workers.servers
}

func (w *workerRun) launch(t *testing.T, s *Stack, sc scenario, names []string) []*Server {
	t.Helper()
	var out []*Server
	for _, name := range names {
		out = append(out, s.NewServer(t, name, w.next, w.tags, layers[sc.tier], baseRoot))
		w.next++
	}
	return out
}

func (f *fleetRun) workerSubtests(t *testing.T, s *Stack) {
	t.Run("WorkersBootAsWorkersOfTheirGroup", func(t *testing.T) { f.workersBootAsWorkers(t, s) })
	t.Run("WorkersServeNothing", func(t *testing.T) { f.workersServeNothing(t) })
	t.Run("WorkersRunNoScheduler", func(t *testing.T) { f.workersRunNoScheduler(t, s) })
	t.Run("EachWorkerRunsOneQueueWorkerAsTheWebUser", func(t *testing.T) { f.eachWorkerRunsOneQueueWorker(t, f.workers.servers) })
	t.Run("WebServersRunNoQueueWorker", func(t *testing.T) { f.webServersRunNoQueueWorker(t) })
	t.Run("QueuedJobsRunOnceOnTheWorkersOnly", func(t *testing.T) { f.jobsRunOnTheWorkers(t, s, "") })
}

// workersBootAsWorkers: each worker booted the tier's boot script, the web
// servers' (one launch template), as a worker: boot-ok, SUCCESS signalled
// once for its own group (which waits for MinCapacity signals) and the
// launch hook completed with CONTINUE, its log streams named as a worker's.
func (f *fleetRun) workersBootAsWorkers(t *testing.T, s *Stack) {
	group := f.tpl.Resources("AWS::AutoScaling::AutoScalingGroup")[f.workers.group]
	if policy, _ := group["CreationPolicy"].(map[string]any); policy["ResourceSignal"] == nil {
		t.Errorf("worker group %s waits for no signal: CreationPolicy %v", f.workers.group, group["CreationPolicy"])
	}
	want := strings.TrimRight(f.boot.Deployed(), "\n") + "\n"
	for _, srv := range f.workers.servers {
		b := f.boots[srv.Name]
		if b.Err != nil || !strings.Contains(b.Log, "boot succeeded") {
			t.Errorf("%s: boot failed: %v\n%s", srv.Name, b.Err, tail(b.Console, 4000))
			continue
		}
		if out := srv.Must(t, "cat", "/var/lib/tierkit/boot-ok"); strings.TrimSpace(out) == "" {
			t.Errorf("%s: no boot-ok marker", srv.Name)
		}
		if installed := srv.Must(t, "cat", "/var/lib/cloud/instance/tierkit/boot.sh"); installed != want {
			t.Errorf("%s: the installed boot.sh (%d bytes) is not the web servers' (%d bytes)", srv.Name, len(installed), len(want))
		}
		if !strings.Contains(b.Log, "worker server ("+fleet.WorkerTag+"=true)") {
			t.Errorf("%s: the boot log does not say it is a worker:\n%s", srv.Name, tail(b.Log, 2000))
		}
		sigs := []fakeaws.Signal{
			{Action: "SignalResource", Stack: StackID, Resource: f.workers.group, Status: "SUCCESS", UniqueID: srv.InstanceID},
			{Action: "CompleteLifecycleAction", Stack: fakeaws.GroupName, Resource: fleet.LifecycleHookName, Status: "CONTINUE", UniqueID: srv.InstanceID},
		}
		if got := signalsOf(s, srv); !slices.Equal(got, sigs) {
			t.Errorf("%s: signalled %+v; want exactly %+v", srv.Name, got, sigs)
		}
		agent := srv.Must(t, "cat", "/opt/aws/amazon-cloudwatch-agent/etc/tierkit.json")
		if n, w := strings.Count(agent, `"log_stream_name"`), strings.Count(agent, `"log_stream_name": "worker-`)+strings.Count(agent, `"log_stream_name":"worker-`); n == 0 || w != n {
			t.Errorf("%s: %d of %d log streams named worker-...: %s", srv.Name, w, n, agent)
		}
	}
}

// listening returns the TCP ports srv listens on (IPv4 and IPv6).
func listening(t *testing.T, srv *Server) []int {
	t.Helper()
	var ports []int
	out, _ := srv.Exec(context.Background(), "", "sh", "-c", "cat /proc/net/tcp /proc/net/tcp6 2>/dev/null")
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || f[3] != "0A" { // LISTEN
			continue
		}
		if i := strings.LastIndex(f[1], ":"); i >= 0 {
			if p, err := strconv.ParseInt(f[1][i+1:], 16, 32); err == nil {
				ports = append(ports, int(p))
			}
		}
	}
	return ports
}

// workersServeNothing: the web server the golden copy started is stopped
// and stays so, nothing listens on 80 or 443, the worker group is in no
// target group of the template, and the balancer never saw a worker.
func (f *fleetRun) workersServeNothing(t *testing.T) {
	props := cdktest.Props(f.tpl.Resources("AWS::AutoScaling::AutoScalingGroup")[f.workers.group])
	if props["TargetGroupARNs"] != nil || props["LoadBalancerNames"] != nil || props["HealthCheckType"] != "EC2" {
		t.Errorf("worker group %s: target groups %v, load balancers %v, health check %v; want none, none, EC2",
			f.workers.group, props["TargetGroupARNs"], props["LoadBalancerNames"], props["HealthCheckType"])
	}
	for _, srv := range f.workers.servers {
		if out, _ := srv.Exec(context.Background(), "", "systemctl", "is-active", f.sc.web); strings.TrimSpace(out) != "inactive" {
			t.Errorf("%s: %s is %q; want inactive", srv.Name, f.sc.web, strings.TrimSpace(out))
		}
		if ports := listening(t, srv); slices.Contains(ports, 80) || slices.Contains(ports, 443) {
			t.Errorf("%s: listens on %v; want nothing on 80 or 443", srv.Name, ports)
		}
		if _, known := f.lb.names[srv.Name]; known {
			t.Errorf("%s: the balancer has it among its servers", srv.Name)
		}
		if _, up := f.firstUp[srv.Name]; up {
			t.Errorf("%s: the balancer saw it healthy", srv.Name)
		}
		if b := f.boots[srv.Name]; strings.Contains(b.Log, "STEP=health-check") || strings.Contains(b.Log, "answered 200") {
			t.Errorf("%s: the boot made a health check:\n%s", srv.Name, tail(b.Log, 2000))
		}
	}
}

// workersRunNoScheduler: no worker has the scheduler's cron entry, nor the
// golden app's own in a file cron reads (Debian's cron reads names of
// letters, digits, _ and - in /etc/cron.d), and a cron tick there runs no
// scheduled job.
func (f *fleetRun) workersRunNoScheduler(t *testing.T, s *Stack) {
	const read = `shopt -s nullglob; for f in /etc/crontab /etc/cron.d/* /var/spool/cron/crontabs/*; do
  n=${f##*/}; [[ $n =~ ^[A-Za-z0-9_-]+$ ]] && grep -ls 'schedule:run' "$f"; done; true`
	for _, srv := range f.workers.servers {
		if _, err := srv.Exec(context.Background(), "", "test", "-e", laravel.SchedulerCronFile); err == nil {
			t.Errorf("%s: a worker has the scheduler's %s", srv.Name, laravel.SchedulerCronFile)
		}
		if out := srv.Must(t, "bash", "-c", read); strings.TrimSpace(out) != "" {
			t.Errorf("%s: cron runs schedule:run from %s", srv.Name, out)
		}
		srv.CronTick(t)
	}
	out, err := s.Query(f.sc.dbKind(), "SELECT DISTINCT host FROM "+f.a.table)
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range strings.Fields(out) {
		if strings.Contains(host, "-worker-") {
			t.Errorf("scheduled jobs ran on the worker %s", host)
		}
	}
}

// startedWorker returns the PID of srv's worker's main process, waiting
// up to 10 s for the path unit to start it after boot-ok (the stand-in
// looks every 0.5 s), or "".
func startedWorker(srv *Server) string {
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if pid := worker(srv); pid != "" || time.Now().After(deadline) {
			return pid
		}
	}
}

// eachWorkerRunsOneQueueWorker: one queue:work on each worker, as the web
// user, in the application's directory (the release it runs, when it has
// releases), started by the path unit once the boot succeeded.
func (f *fleetRun) eachWorkerRunsOneQueueWorker(t *testing.T, workers []*Server) {
	for _, srv := range workers {
		pid := startedWorker(srv)
		if pid == "" {
			t.Errorf("%s: %s is not running", srv.Name, laravel.QueueWorkerUnit)
			continue
		}
		ps := srv.Must(t, "ps", "-o", "user=,args=", "-p", pid)
		cwd := strings.TrimSpace(srv.Must(t, "readlink", "-f", "/proc/"+pid+"/cwd"))
		dir := strings.TrimSpace(srv.Must(t, "readlink", "-f", f.a.appDir))
		if !strings.HasPrefix(ps, "www-data ") || !strings.Contains(ps, "php artisan queue:work") || cwd != dir {
			t.Errorf("%s: the worker's main process %s is %q in %s; want php artisan queue:work as www-data in %s (%s)", srv.Name, pid, ps, cwd, f.a.appDir, dir)
		}
		if procs := workerProcesses(srv); len(procs) != 1 {
			t.Errorf("%s: %d queue:work processes %q; want one", srv.Name, len(procs), procs)
		}
		if log := srv.Must(t, "cat", unitsLog+laravel.QueueWorkerPath+".log"); !strings.Contains(log, "boot-ok exists: starting "+laravel.QueueWorkerUnit) {
			t.Errorf("%s: the path unit did not start the worker on boot-ok:\n%s", srv.Name, log)
		}
	}
}

// webServersRunNoQueueWorker: the web servers have no worker unit and run
// no queue:work; their boot says the worker group runs them.
func (f *fleetRun) webServersRunNoQueueWorker(t *testing.T) {
	for _, srv := range f.servers {
		if procs := workerProcesses(srv); len(procs) != 0 {
			t.Errorf("%s: a web server runs queue:work: %q", srv.Name, procs)
		}
		if out, _ := srv.Exec(context.Background(), "", "ls", "/etc/systemd/system/"+laravel.QueueWorkerUnit, "/etc/systemd/system/"+laravel.QueueWorkerPath); strings.Contains(out, "tierkit-queue") && !strings.Contains(out, "No such file") {
			t.Errorf("%s: a web server has worker units: %s", srv.Name, out)
		}
		if b := f.boots[srv.Name]; !strings.Contains(b.Log, "not a worker server, none runs here") {
			t.Errorf("%s: the boot log does not say the web server runs no worker:\n%s", srv.Name, tail(b.Log, 2000))
		}
	}
}

// jobsRunOnTheWorkers: jobs dispatched by the web servers through the
// balancer run exactly once each, all on the workers, each of them taking
// some; with release set, all from that release's code.
func (f *fleetRun) jobsRunOnTheWorkers(t *testing.T, s *Stack, release string) {
	const requests, each, seconds = 3, 4, 0.4
	batch := "workers-" + randomAlnum(6)
	start := time.Now()
	var from, jobs []string
	for r := range requests {
		server, names := f.dispatch(t, s, fmt.Sprintf("%s-%d", batch, r+1), each, seconds)
		from, jobs = append(from, server), append(jobs, names...)
	}
	runs := f.waitRuns(t, s, batch, 30*time.Second, fmt.Sprintf("%d jobs finished", len(jobs)), finished(len(jobs)))
	took := time.Since(start)
	exactlyOnce(t, jobs, runs)
	hosts := hostsOf(runs)
	for _, srv := range f.workers.servers {
		if hosts[srv.Name] == 0 {
			t.Errorf("the worker %s ran none of the jobs: %v", srv.Name, hosts)
		}
		delete(hosts, srv.Name)
	}
	if len(hosts) > 0 {
		t.Errorf("jobs ran on %v, not workers of the group", hosts)
	}
	if release != "" {
		out, err := s.Query(f.sc.dbKind(), "SELECT DISTINCT COALESCE(app_release, 'none') FROM queued_runs WHERE job LIKE '"+batch+"-%'")
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Fields(out); !slices.Equal(got, []string{release}) {
			t.Errorf("the jobs ran the code of releases %v; want %s only", got, release)
		}
	}
	if size := f.queueSize(t, s); size != "0" {
		t.Errorf("the queue holds %s jobs after every job ran; want 0", size)
	}
	t.Logf("%d jobs dispatched by %v ran once each in %.1f s, by %v", len(jobs), from, took.Seconds(), hostsOf(runs))
}

// workersRunTheSecondRelease is the worker group's instance refresh to the
// second release (after the web groups' here): new workers boot with the
// release's user data and serve it, each with one worker; the old ones are
// drained through the termination hook (their workers stop, the hook is
// completed with CONTINUE) and terminated. Jobs then run the second
// release's code, on the new workers only.
func (f *fleetRun) workersRunTheSecondRelease(t, scenario *testing.T, s *Stack, second rollout) {
	start := time.Now()
	old := f.workers.servers
	f.workers.tags, f.workers.group = WorkerGroupTags(t, second.tpl)
	fresh := f.workers.launch(scenario, s, f.sc, f.sc.workerNames(len(f.workers.firstDeploy)+1, len(old)))
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, srv := range fresh {
		wg.Add(1)
		go func() {
			defer wg.Done()
			srv.Start("php8.2-fpm", f.sc.web, "cron")
			b := srv.RunUserData(second.boot.Loader)
			mu.Lock()
			defer mu.Unlock()
			f.boots[srv.Name] = b
		}()
	}
	wg.Wait()
	booted := time.Since(start)
	for _, srv := range fresh {
		b := f.boots[srv.Name]
		if b.Err != nil || !strings.Contains(b.Log, "boot succeeded") {
			t.Fatalf("%s: boot failed: %v\n%s", srv.Name, b.Err, tail(b.Console, 4000))
		}
		servesRelease(t, srv, b.Log, second.release.ID)
		sigs := []fakeaws.Signal{
			{Action: "SignalResource", Stack: StackID, Resource: f.workers.group, Status: "SUCCESS", UniqueID: srv.InstanceID},
			{Action: "CompleteLifecycleAction", Stack: fakeaws.GroupName, Resource: fleet.LifecycleHookName, Status: "CONTINUE", UniqueID: srv.InstanceID},
		}
		if got := signalsOf(s, srv); !slices.Equal(got, sigs) {
			t.Errorf("%s: signalled %+v; want exactly %+v", srv.Name, got, sigs)
		}
	}
	f.eachWorkerRunsOneQueueWorker(t, fresh)
	for _, srv := range fresh {
		pid := worker(srv)
		if pid == "" {
			continue
		}
		if cwd, _ := srv.Exec(context.Background(), "", "readlink", "/proc/"+pid+"/cwd"); strings.TrimSpace(cwd) != releases.ReleasesDir(f.a.appDir)+"/"+second.release.ID {
			t.Errorf("%s: the worker runs in %s; want the second release's directory", srv.Name, strings.TrimSpace(cwd))
		}
	}

	// The old workers wait in the termination hook; their drain stops the
	// worker and completes it.
	drainStart := time.Now()
	for _, srv := range old {
		s.SetLifecycleState(srv.IP, "Terminated")
	}
	for _, srv := range old {
		isDrain := func(sig fakeaws.Signal) bool {
			return sig.Action == "CompleteLifecycleAction" && sig.Resource == laravel.QueueDrainHook && sig.UniqueID == srv.InstanceID
		}
		for deadline := time.Now().Add(30 * time.Second); !slices.ContainsFunc(s.Secrets.Signals(), isDrain); time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				out, _ := srv.Exec(context.Background(), "", "tail", "-n", "15", unitsLog+laravel.QueueDrainUnit+".log")
				t.Fatalf("%s: the hook %s was not completed within 30 s:\n%s", srv.Name, laravel.QueueDrainHook, out)
			}
		}
		want := []fakeaws.Signal{{Action: "CompleteLifecycleAction", Stack: fakeaws.GroupName, Resource: laravel.QueueDrainHook, Status: "CONTINUE", UniqueID: srv.InstanceID}}
		var got []fakeaws.Signal
		for _, sig := range signalsOf(s, srv) {
			if sig.Resource == laravel.QueueDrainHook {
				got = append(got, sig)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: hook completions %+v; want exactly %+v", srv.Name, got, want)
		}
		if procs := workerProcesses(srv); len(procs) != 0 {
			t.Errorf("%s: queue:work still runs after the drain: %q", srv.Name, procs)
		}
	}
	drained := time.Since(drainStart)
	for _, srv := range old {
		srv.Kill()
	}
	f.workers.servers = fresh
	t.Logf("workers of release %s booted in %.1f s; the old workers drained through %s in %.1f s", second.release.ID, booted.Seconds(), laravel.QueueDrainHook, drained.Seconds())

	f.jobsRunOnTheWorkers(t, s, second.release.ID)
	t.Logf("worker group refreshed to %s in %.1f s", second.release.ID, time.Since(start).Seconds())
}

// firstDeployWorkers names the workers of the first deploy (one of which
// may have run the first release's migration: they boot the same steps).
func (f *fleetRun) firstDeployWorkers() []string {
	if f.workers == nil {
		return nil
	}
	var out []string
	for _, srv := range f.workers.firstDeploy {
		out = append(out, srv.Name)
	}
	return out
}

// migrateLocks counts the migrate locks left in the cache store the tier
// gives Laravel: the database's cache_locks, or the Redis (the lock
// connection's database 0, and the cache's 1).
func (f *fleetRun) migrateLocks(s *Stack) (string, error) {
	if !f.sc.workerGroup {
		out, err := s.Query(f.sc.dbKind(), "SELECT COUNT(*) FROM cache_locks WHERE `key` LIKE '%command-migrate%'")
		return strings.TrimSpace(out), err
	}
	n := 0
	for _, db := range []string{"0", "1"} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		out, err := runCmd(ctx, "", "redis-cli", "--tls", "--cacert", filepath.Join(s.Dir, "redis", "ca.pem"), "-h", HubIP, "-p", strconv.Itoa(RedisPort),
			"--no-auth-warning", "-a", RedisToken, "-n", db, "--scan", "--pattern", "*command-migrate*")
		cancel()
		if err != nil {
			return "", fmt.Errorf("redis-cli: %v: %s", err, out)
		}
		n += len(strings.Fields(out))
	}
	return strconv.Itoa(n), nil
}
