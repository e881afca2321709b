//go:build e2e

package realstack

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tierkit/tierkit/constructs/laravel"
	"github.com/tierkit/tierkit/constructs/webtier"
	"github.com/tierkit/tierkit/internal/fakeaws"
)

// The proof of Laravel's queue workers (QueueWorkers every-node, on the
// Redis): jobs dispatched through the balancer, run by the real
// queue:work under the boot's own units (the systemctl stand-in runs them
// as systemd would), and a server drained through the termination hook:
// its target lifecycle state turns Terminated in IMDS, as Auto Scaling
// sets it, and the drain unit the boot wrote does the rest.

// unitsLog is where the systemctl stand-in writes a unit's output (the
// journal's stand-in).
const unitsLog = "/var/log/tierkit-systemctl/"

// slowJob is how long the drained server's job works: long enough to be in
// hand when the drain stops the worker (the drain reads the lifecycle
// state every 5 s).
const slowJob = 8 * time.Second

func (f *fleetRun) queueSubtests(t *testing.T, s *Stack) {
	t.Run("EveryServerRunsOneWorkerAsTheWebUserAfterItsBoot", func(t *testing.T) { f.everyServerRunsAWorker(t) })
	t.Run("AQueuedJobRunsExactlyOnce", func(t *testing.T) { f.aQueuedJobRunsOnce(t, s) })
	t.Run("DrainingAServerFinishesItsJobAndCompletesTheHook", func(t *testing.T) { f.drainingAServer(t, s) })
}

// queuedRun is one row of queued_runs: one run of a job.
type queuedRun struct {
	job, host         string
	attempt           int
	started, finished time.Time // finished is zero while it runs
}

// runs returns the runs of batch's jobs, in the order they started.
func (f *fleetRun) runs(t *testing.T, s *Stack, batch string) []queuedRun {
	t.Helper()
	epoch := func(col string) string { return "COALESCE(EXTRACT(EPOCH FROM " + col + "), 0)" }
	if f.sc.dbKind() == "mysql" {
		epoch = func(col string) string {
			return "COALESCE(TIMESTAMPDIFF(MICROSECOND, '1970-01-01', " + col + ") / 1e6, 0)"
		}
	}
	out, err := s.Query(f.sc.dbKind(), "SELECT job, host, attempt, "+epoch("started_at")+", "+epoch("finished_at")+
		" FROM queued_runs WHERE job LIKE '"+batch+"-%' ORDER BY started_at, id")
	if err != nil {
		t.Fatal(err)
	}
	var runs []queuedRun
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		c := strings.Split(line, "\t")
		if len(c) != 5 {
			continue
		}
		r := queuedRun{job: c[0], host: c[1]}
		r.attempt, _ = strconv.Atoi(c[2])
		at := func(v string) time.Time {
			sec, _ := strconv.ParseFloat(v, 64)
			if sec == 0 {
				return time.Time{}
			}
			return time.UnixMilli(int64(sec * 1000))
		}
		r.started, r.finished = at(c[3]), at(c[4])
		runs = append(runs, r)
	}
	return runs
}

// waitRuns polls batch's runs every 200 ms until done says so.
func (f *fleetRun) waitRuns(t *testing.T, s *Stack, batch string, timeout time.Duration, what string, done func([]queuedRun) bool) []queuedRun {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		runs := f.runs(t, s, batch)
		if done(runs) {
			return runs
		}
		if time.Now().After(deadline) {
			f.dumpWorkers(t)
			t.Fatalf("after %s: %s; runs of %s: %+v", timeout, what, batch, runs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func finished(n int) func([]queuedRun) bool {
	return func(runs []queuedRun) bool {
		done := 0
		for _, r := range runs {
			if !r.finished.IsZero() {
				done++
			}
		}
		return done >= n
	}
}

// dispatch has the app dispatch count jobs of batch, each working for
// seconds, in one request through the balancer; it returns the server
// that dispatched them and the jobs' names.
func (f *fleetRun) dispatch(t *testing.T, s *Stack, batch string, count int, seconds float64) (string, []string) {
	t.Helper()
	url := fmt.Sprintf("https://%s/queue/jobs?batch=%s&count=%d&seconds=%g", f.a.domain, batch, count, seconds)
	resp, err := s.Client(f.lb).Post(url, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	w := decode(t, resp)
	jobs, _ := w["jobs"].([]any)
	if resp.StatusCode != http.StatusOK || w["connection"] != laravel.QueueRedis || len(jobs) != count {
		t.Fatalf("POST %s: %d %v; want %d jobs dispatched on the %s connection", url, resp.StatusCode, w, count, laravel.QueueRedis)
	}
	var names []string
	for _, j := range jobs {
		names = append(names, fmt.Sprint(j))
	}
	return fmt.Sprint(w["server"]), names
}

// queueSize is what the app counts on the queue: jobs waiting, delayed or
// reserved by a worker (a reserved job is handed out again after
// retry_after).
func (f *fleetRun) queueSize(t *testing.T, s *Stack) string {
	t.Helper()
	return fmt.Sprint(getJSON(t, s.Client(f.lb), "https://"+f.a.domain+"/queue/size")["size"])
}

// exactlyOnce reports each of jobs that did not run exactly once, to its
// end, at its first attempt, and each run of a job not in jobs.
func exactlyOnce(t *testing.T, jobs []string, runs []queuedRun) {
	t.Helper()
	byJob := map[string][]queuedRun{}
	for _, r := range runs {
		byJob[r.job] = append(byJob[r.job], r)
	}
	for _, job := range jobs {
		if r := byJob[job]; len(r) != 1 || r[0].finished.IsZero() || r[0].attempt != 1 {
			t.Errorf("job %s ran %d times: %+v; want once, finished, at attempt 1", job, len(r), r)
		}
		delete(byJob, job)
	}
	for job := range byJob {
		t.Errorf("job %s ran, but was never dispatched", job)
	}
}

func hostsOf(runs []queuedRun) map[string]int {
	hosts := map[string]int{}
	for _, r := range runs {
		hosts[r.host]++
	}
	return hosts
}

var (
	mainPID = regexp.MustCompile(`Main PID: (\d+)`)
	// stopLine is the stand-in's record of a stop: when, and the PID.
	stopLine = regexp.MustCompile(`(?m)^(\S+) ` + regexp.QuoteMeta(laravel.QueueWorkerUnit) + `: stopping: SIGTERM to the main process (\d+)$`)
)

// noteTime is the time format of the stand-in's records.
const noteTime = "2006-01-02T15:04:05.000Z"

// worker returns the PID of srv's worker's main process, or "".
func worker(srv *Server) string {
	out, _ := srv.Exec(context.Background(), "", "systemctl", "status", laravel.QueueWorkerUnit)
	if m := mainPID.FindStringSubmatch(out); m != nil {
		return m[1]
	}
	return ""
}

// workerProcesses returns the command lines of srv's processes running
// queue:work, each with its PID.
func workerProcesses(srv *Server) []string {
	var found []string
	for _, pid := range srv.processes() {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if args := strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " ")); strings.Contains(args, "queue:work") {
			found = append(found, strconv.Itoa(pid)+" "+args)
		}
	}
	return found
}

// dumpWorkers logs the tail of every server's worker and drain output.
func (f *fleetRun) dumpWorkers(t *testing.T) {
	for _, srv := range f.servers {
		for _, unit := range []string{laravel.QueueWorkerPath, laravel.QueueWorkerUnit, laravel.QueueDrainUnit} {
			out, _ := srv.Exec(context.Background(), "", "tail", "-n", "15", unitsLog+unit+".log")
			t.Logf("%s: %s:\n%s", srv.Name, unit, out)
		}
	}
}

// everyServerRunsAWorker: each server that booted runs one queue:work, as
// the web user in the app's directory, started by the path unit once the
// boot succeeded; the server whose boot failed runs none.
func (f *fleetRun) everyServerRunsAWorker(t *testing.T) {
	for _, srv := range f.servers {
		pid := worker(srv)
		if pid == "" {
			t.Errorf("%s: %s is not running", srv.Name, laravel.QueueWorkerUnit)
			continue
		}
		ps := srv.Must(t, "ps", "-o", "user=,args=", "-p", pid)
		cwd := strings.TrimSpace(srv.Must(t, "readlink", "/proc/"+pid+"/cwd"))
		if !strings.HasPrefix(ps, "www-data ") || !strings.Contains(ps, "php artisan queue:work") || cwd != f.a.appDir {
			t.Errorf("%s: the worker's main process %s is %q in %s; want php artisan queue:work as www-data in %s", srv.Name, pid, ps, cwd, f.a.appDir)
		}
		if procs := workerProcesses(srv); len(procs) != 1 {
			t.Errorf("%s: %d queue:work processes %q; want one", srv.Name, len(procs), procs)
		}
		log := srv.Must(t, "cat", unitsLog+laravel.QueueWorkerPath+".log")
		if !strings.Contains(log, webtier.BootOK+" exists: starting "+laravel.QueueWorkerUnit) {
			t.Errorf("%s: the path unit did not start the worker on boot-ok:\n%s", srv.Name, log)
		}
	}
	if f.bad != nil {
		if procs := workerProcesses(f.bad); len(procs) != 0 {
			t.Errorf("%s: the failed boot left workers running: %q", f.bad.Name, procs)
		}
	}
}

// aQueuedJobRunsOnce: jobs dispatched by every server through the balancer
// are each run exactly once, by the servers' workers competing for them
// (each job works 0.4 s: more than one worker's poll comes while they
// wait), and leave nothing on the queue.
func (f *fleetRun) aQueuedJobRunsOnce(t *testing.T, s *Stack) {
	const requests, each, seconds = 4, 3, 0.4
	batch := "once-" + randomAlnum(6)
	start := time.Now()
	var from, jobs []string
	for r := range requests {
		server, names := f.dispatch(t, s, fmt.Sprintf("%s-%d", batch, r+1), each, seconds)
		from, jobs = append(from, server), append(jobs, names...)
	}
	runs := f.waitRuns(t, s, batch, 30*time.Second, fmt.Sprintf("%d jobs finished", len(jobs)), finished(len(jobs)))
	took := time.Since(start)
	exactlyOnce(t, jobs, runs)
	if hosts := hostsOf(runs); len(hosts) < 2 {
		t.Errorf("every job ran on %v; want the servers' workers taking them in turn", hosts)
	}
	if size := f.queueSize(t, s); size != "0" {
		t.Errorf("the queue holds %s jobs after every job ran; want 0 (none reserved, to be run again)", size)
	}
	t.Logf("%d jobs dispatched by %v ran once each in %.1f s, by %v", requests*each, from, took.Seconds(), hostsOf(runs))
}

// drainingAServer: a server of the group is terminated while its worker
// has a slow job in hand. Its target lifecycle state turns Terminated (the
// balancer has taken it out already, as Auto Scaling does first); the
// drain unit stops the worker, which finishes the job, then completes the
// termination hook with CONTINUE, within the hook's heartbeat. The job ran
// once; the jobs dispatched later run on the other servers. The server is
// terminated at the end.
func (f *fleetRun) drainingAServer(t *testing.T, s *Stack) {
	target := f.servers[1]
	if target.Singleton || target.Tags.LifecycleHook == "" {
		t.Fatalf("%s: want a server of the main group (singleton %v, lifecycle hook tag %q)", target.Name, target.Singleton, target.Tags.LifecycleHook)
	}
	var others []string
	for _, srv := range f.servers {
		if srv != target {
			others = append(others, srv.Name)
		}
	}
	// One slow job for each worker: the target's takes one within its
	// --sleep of 3 s, while the others are busy with theirs.
	batch := "drain-" + randomAlnum(6)
	_, slowJobs := f.dispatch(t, s, batch, len(f.servers), slowJob.Seconds())
	runs := f.waitRuns(t, s, batch, 15*time.Second, target.Name+" took a job", func(runs []queuedRun) bool {
		return slices.ContainsFunc(runs, func(r queuedRun) bool { return r.host == target.Name })
	})
	inHand := runs[slices.IndexFunc(runs, func(r queuedRun) bool { return r.host == target.Name })]

	// Auto Scaling takes the server out of the balancer, then it waits in
	// the hook; once the hook is completed, it terminates the server.
	if err := f.lb.SetState(target, "maint"); err != nil {
		t.Fatal(err)
	}
	defer target.Kill()
	terminated := time.Now()
	s.SetLifecycleState(target.IP, "Terminated")

	isDrain := func(sig fakeaws.Signal) bool {
		return sig.Action == "CompleteLifecycleAction" && sig.Resource == laravel.QueueDrainHook && sig.UniqueID == target.InstanceID
	}
	var completed time.Time
	for deadline := terminated.Add(laravel.QueueDrainHeartbeat); completed.IsZero(); time.Sleep(100 * time.Millisecond) {
		if slices.ContainsFunc(s.Secrets.Signals(), isDrain) {
			completed = time.Now()
		} else if time.Now().After(deadline) {
			f.dumpWorkers(t)
			t.Fatalf("%s: the hook %s was not completed within its heartbeat, %s", target.Name, laravel.QueueDrainHook, laravel.QueueDrainHeartbeat)
		}
	}
	var drains []fakeaws.Signal
	for _, sig := range s.Secrets.Signals() {
		if isDrain(sig) {
			drains = append(drains, sig)
		}
	}
	want := fakeaws.Signal{Action: "CompleteLifecycleAction", Stack: fakeaws.GroupName, Resource: laravel.QueueDrainHook, Status: "CONTINUE", UniqueID: target.InstanceID}
	if len(drains) != 1 || drains[0] != want {
		t.Errorf("%s: hook completions %+v; want exactly %+v, signed with the role", target.Name, drains, want)
	}

	// The job in hand finished there, once, before the hook was completed.
	var job []queuedRun
	for _, r := range f.runs(t, s, batch) {
		if r.job == inHand.job {
			job = append(job, r)
		}
	}
	var jobDone time.Time
	if len(job) > 0 {
		jobDone = job[0].finished
	}
	if len(job) != 1 || job[0].host != target.Name || jobDone.IsZero() || jobDone.After(completed) {
		t.Errorf("the job in hand %s: runs %+v; want one, on %s, finished before the hook was completed (%s)", inHand.job, job, target.Name, completed.Format(time.StampMilli))
	}
	// The worker is gone, and stays gone: the path unit is stopped too.
	if procs := workerProcesses(target); len(procs) != 0 {
		t.Errorf("%s: queue:work still runs after the drain: %q", target.Name, procs)
	}
	for _, unit := range []string{laravel.QueueWorkerUnit, laravel.QueueWorkerPath, laravel.QueueDrainUnit} {
		if out, _ := target.Exec(context.Background(), "", "systemctl", "is-active", unit); strings.TrimSpace(out) != "inactive" {
			t.Errorf("%s: %s is %q after the drain; want inactive", target.Name, unit, strings.TrimSpace(out))
		}
	}
	// The worker was asked to stop while the job was in hand, and ended on
	// its own: status 0, not killed.
	workerLog, _ := target.Exec(context.Background(), "", "cat", unitsLog+laravel.QueueWorkerUnit+".log")
	var stopped time.Time
	if all := stopLine.FindAllStringSubmatch(workerLog, -1); all == nil {
		t.Errorf("%s: the worker's log records no stop:\n%s", target.Name, workerLog)
	} else {
		m := all[len(all)-1]
		stopped, _ = time.Parse(noteTime, m[1])
		if !strings.Contains(workerLog[strings.Index(workerLog, m[0]):], "main process "+m[2]+" exited, status 0\n") {
			t.Errorf("%s: the worker did not exit with status 0 after the stop:\n%s", target.Name, workerLog)
		}
		if stopped.Before(inHand.started) || !stopped.Before(jobDone) {
			t.Errorf("%s: the worker was stopped at %s; want while its job was in hand (%s to %s)", target.Name,
				stopped.Format(time.StampMilli), inHand.started.Format(time.StampMilli), jobDone.Format(time.StampMilli))
		}
	}
	drainLog, _ := target.Exec(context.Background(), "", "cat", unitsLog+laravel.QueueDrainUnit+".log")
	if !strings.Contains(drainLog, "lifecycle hook "+laravel.QueueDrainHook+" of "+fakeaws.GroupName+" completed: CONTINUE") {
		t.Errorf("%s: the drain's output does not say it completed the hook:\n%s", target.Name, drainLog)
	}

	// The other slow jobs finished too, each once; later jobs run on the
	// other servers only.
	f.waitRuns(t, s, batch, slowJob+15*time.Second, "every slow job finished", finished(len(f.servers)))
	after := "after-" + randomAlnum(6)
	const n = 6
	_, afterJobs := f.dispatch(t, s, after, n, 0)
	afterRuns := f.waitRuns(t, s, after, 30*time.Second, fmt.Sprintf("%d jobs finished after the drain", n), finished(n))
	exactlyOnce(t, slowJobs, f.runs(t, s, batch))
	exactlyOnce(t, afterJobs, afterRuns)
	if hosts := hostsOf(afterRuns); hosts[target.Name] > 0 {
		t.Errorf("jobs dispatched after the drain ran on %v; want only %v", hosts, others)
	}
	if size := f.queueSize(t, s); size != "0" {
		t.Errorf("the queue holds %s jobs after every job ran; want 0", size)
	}
	t.Logf("%s drained: job %s started %.1f s before the lifecycle state turned Terminated; after it, the worker was stopped at %.1f s, "+
		"the job finished at %.1f s, the hook was completed at %.1f s (heartbeat %s); %d later jobs ran on %v",
		target.Name, inHand.job, terminated.Sub(inHand.started).Seconds(), stopped.Sub(terminated).Seconds(), jobDone.Sub(terminated).Seconds(),
		completed.Sub(terminated).Seconds(), laravel.QueueDrainHeartbeat, n, hostsOf(afterRuns))
	t.Logf("%s: the drain's output:\n%s", target.Name, drainLog)
}
