//go:build e2e

package realstack

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tierkit/tierkit/constructs/fleet"
	"github.com/tierkit/tierkit/constructs/releases"
	"github.com/tierkit/tierkit/internal/cdktest"
	"github.com/tierkit/tierkit/internal/fakeaws"
)

// Releases and Laravel's once-only migrations on real servers. The scenario
// with releases boots its fleet with the first release (the first deploy,
// migrating the database once), then, after the scenario's other subtests,
// ships two more the way a user does (scripts/release's archive and
// SHA-256 in the release bucket, the template naming them) and rolls each
// out as an instance refresh does: new servers from the golden root with
// the new user data, a batch at once, taken in by the balancer when
// healthy, the old ones drained and terminated after. The second release's
// migration must run once and every server serve it; the third's migration
// fails, and the second must keep serving.
//
// Release k is the golden application (golden/laravel/html), the first k
// migrations of golden/laravel-releases/migrations, and a file RELEASE
// holding its id, which the fixture's /whoami answers. Debian's Laravel 8
// has no `migrate --isolated`: the fixture backports it
// (app/Console/Commands/MigrateCommand.php).

const (
	// releaseMigrations are the releases' migrations, the k-th added by
	// release k.
	releaseMigrations = "golden/laravel-releases/migrations"
	// secondReleaseServers and brokenReleaseServers are the batches the
	// two rollouts launch at once: the second release replaces the main
	// group's two servers and the singleton group's one; the refresh to the
	// broken release fails at its first server.
	secondReleaseServers = 3
	brokenReleaseServers = 1
)

// releaseID names release k.
func releaseID(k int) string { return fmt.Sprintf("e2e-release-%d", k) }

// spareNames are the balancer's names of the servers the rollouts launch,
// registered up front as a target group's instances are (the balancer's
// list is fixed when it starts); used names come before them.
func (sc scenario) spareNames(used int) []string {
	if !sc.releases {
		return nil
	}
	prefix := sc.name[:strings.Index(sc.name, "-")]
	var out []string
	for i := 1; i <= secondReleaseServers+brokenReleaseServers; i++ {
		out = append(out, fmt.Sprintf("%s-%d", prefix, used+i))
	}
	return out
}

// publishRelease builds release k's archive, as scripts/release packs a
// directory (a gzipped tar of its content), and puts it in the release
// bucket under its key; it returns the release the template names.
func publishRelease(t *testing.T, s *Stack, k int) *releases.Release {
	t.Helper()
	id := releaseID(k)
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	add := func(name string, mode int64, body []byte) {
		typ := byte(tar.TypeReg)
		if body == nil {
			typ = tar.TypeDir
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(body)), Typeflag: typ, ModTime: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	app := filepath.Join("golden", "laravel", "html")
	err := filepath.WalkDir(app, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == app {
			return err
		}
		rel := filepath.ToSlash(strings.TrimPrefix(path, app+string(filepath.Separator)))
		if d.IsDir() {
			add(rel+"/", 0o755, nil)
			return nil
		}
		body, err := os.ReadFile(path)
		mode := int64(0o644)
		if rel == "artisan" {
			mode = 0o755
		}
		add(rel, mode, body)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	migrations, err := filepath.Glob(filepath.Join(releaseMigrations, "*.php"))
	if err != nil || len(migrations) < k {
		t.Fatalf("%d migrations in %s (%v); release %d needs %d", len(migrations), releaseMigrations, err, k, k)
	}
	sort.Strings(migrations)
	add("database/", 0o755, nil)
	add("database/migrations/", 0o755, nil)
	for _, m := range migrations[:k] {
		add("database/migrations/"+filepath.Base(m), 0o644, []byte(cdktest.ReadFile(t, m)))
	}
	add("RELEASE", 0o644, []byte(id+"\n"))
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	r := &releases.Release{ID: id, SHA256: hex.EncodeToString(sum[:])}
	if err := s.Publish(ReleaseBucket, r.Key(), buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	t.Logf("release %s: %d bytes, SHA-256 %s, in s3://%s/%s", id, buf.Len(), r.SHA256, ReleaseBucket, r.Key())
	return r
}

// rollout is one release's rollout: its template, as delivered, and the
// servers it launched.
type rollout struct {
	release *releases.Release
	tpl     *cdktest.Template
	boot    cdktest.Boot
	servers []*Server
	s3From  int
}

// launch ships release k: the archive in the release bucket, the template
// synthesized with it and its boot script published, then a batch of new
// servers (the singleton group's first when singleton) booted at once
// with the new user data, each first starting its enabled services, as
// Auto Scaling launches them. The balancer's watcher records when each is
// first healthy; the boots land in f.boots. The servers live as long as
// scenario, the scenario's test.
func (f *fleetRun) launch(t, scenario *testing.T, s *Stack, k int, spares []string, first int, singleton bool) rollout {
	t.Helper()
	start := time.Now()
	sc := f.sc
	sc.release = publishRelease(t, s, k)
	tpl := Synth(t, sc.build)
	delivered := Delivered(t, tpl, sc.dbPort())
	if err := s.Publish(delivered.Bucket, delivered.Key, []byte(delivered.Script)); err != nil {
		t.Fatal(err)
	}
	synthesized := time.Since(start)
	main, single := GroupTags(t, tpl)
	r := rollout{release: sc.release, tpl: tpl, boot: delivered, s3From: len(s.S3Requests())}
	for i, name := range spares {
		tags := main
		if singleton && i == 0 {
			tags = single
		}
		r.servers = append(r.servers, s.NewServer(scenario, name, first+i, tags, layers[sc.tier], baseRoot))
	}
	stop := f.watch(r.servers)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, srv := range r.servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			failed := srv.Start("php8.2-fpm", sc.web, "cron")
			mu.Lock()
			f.userDataAt[srv.Name] = time.Now()
			mu.Unlock()
			b := srv.RunUserData(delivered.Loader)
			mu.Lock()
			defer mu.Unlock()
			f.boots[srv.Name] = b
			result := "succeeded"
			if b.Err != nil {
				result = "failed: " + tail(strings.TrimSpace(b.Log), 200)
			}
			t.Logf("%s (release %s): services that did not start: %v; boot %.1f s, %s", srv.Name, r.release.ID, failed, b.Duration.Seconds(), result)
		}()
	}
	wg.Wait()
	// Two health checks: a server that booted is in service by then.
	time.Sleep(2500 * time.Millisecond)
	stop()
	t.Logf("release %s: synthesized and published in %.1f s; %d servers launched and booted in %.1f s in all", r.release.ID, synthesized.Seconds(), len(r.servers), time.Since(start).Seconds())
	return r
}

// rollOutReleases runs the release subtests, last in the scenario: the
// rollouts replace the fleet.
func (f *fleetRun) rollOutReleases(t *testing.T, s *Stack) {
	start, scenario := time.Now(), t
	used := len(f.servers)
	if f.bad != nil {
		used++
	}
	spares := f.sc.spareNames(used)
	t.Run("TheFirstDeployServesTheFirstRelease", func(t *testing.T) { f.firstDeployServesTheFirstRelease(t) })
	var second rollout
	if !t.Run("ASecondReleaseIsServedByEveryServer", func(t *testing.T) {
		second = f.secondReleaseIsServed(t, scenario, s, spares[:secondReleaseServers], used+1)
	}) {
		return
	}
	t.Run("TheMigrationRanExactlyOnce", func(t *testing.T) { f.migrationRanOnce(t, s, second) })
	if f.workers != nil {
		t.Run("TheWorkersRunTheSecondRelease", func(t *testing.T) { f.workersRunTheSecondRelease(t, scenario, s, second) })
	}
	t.Run("ABrokenReleaseLeavesThePreviousReleaseServing", func(t *testing.T) {
		f.brokenReleaseLeavesThePrevious(t, scenario, s, second, spares[secondReleaseServers:], used+secondReleaseServers+1)
	})
	t.Logf("releases: %.1f s", time.Since(start).Seconds())
}

// servesRelease checks what srv runs: the release in the state file and
// the boot log, the application's path linked to it.
func servesRelease(t *testing.T, srv *Server, log, id string) {
	t.Helper()
	if got := strings.TrimSpace(srv.Must(t, "cat", "/var/lib/tierkit/release")); got != id {
		t.Errorf("%s: /var/lib/tierkit/release says %q; want %q", srv.Name, got, id)
	}
	if got := strings.TrimSpace(srv.Must(t, "readlink", apps["laravel"].appDir)); got != "releases/"+id {
		t.Errorf("%s: %s links to %q; want releases/%s", srv.Name, apps["laravel"].appDir, got, id)
	}
	if !strings.Contains(log, "serving release "+id) {
		t.Errorf("%s: the boot log does not say it serves %s:\n%s", srv.Name, id, tail(log, 3000))
	}
}

// firstDeployServesTheFirstRelease: the fleet booted with the first release
// in its template: every server fetched it and serves it (the AMI's code
// kept beside it), and answers as it.
func (f *fleetRun) firstDeployServesTheFirstRelease(t *testing.T) {
	id := f.sc.release.ID
	for _, srv := range f.servers {
		if !strings.HasPrefix(f.lb.Status(srv.Name), "UP") {
			continue // the drill killed it
		}
		b := f.boots[srv.Name]
		servesRelease(t, srv, b.Log, id)
		if !strings.Contains(b.Log, "release "+id+" fetched from s3://"+ReleaseBucket+"/"+f.sc.release.Key()+", SHA-256 checked") {
			t.Errorf("%s: the boot log does not say the release was fetched and checked:\n%s", srv.Name, tail(b.Log, 3000))
		}
		if w := direct(t, srv, f.a.domain, f.a.whoami); w["release"] != id {
			t.Errorf("%s answers release %v; want %s", srv.Name, w["release"], id)
		}
		srv.Must(t, "test", "-f", releases.ReleasesDir(f.a.appDir)+"/"+releases.AMI+"/artisan")
	}
}

// secondReleaseIsServed rolls the second release out while clients work:
// the new batch boots, the balancer takes each in once healthy, then the
// old servers are drained and terminated. Every server then serves the
// second release, fetched with the role and checked, and signalled success
// once; no request failed and no session broke meanwhile.
func (f *fleetRun) secondReleaseIsServed(t, scenario *testing.T, s *Stack, spares []string, first int) rollout {
	start := time.Now()
	var old []*Server
	for _, srv := range f.servers {
		if strings.HasPrefix(f.lb.Status(srv.Name), "UP") {
			old = append(old, srv)
		}
	}
	l := f.startLoad(s, 1)
	r := f.launch(t, scenario, s, 2, spares, first, true)
	for _, srv := range r.servers {
		if _, err := f.lb.WaitStatus(srv.Name, "UP", 15*time.Second); err != nil {
			t.Errorf("%v\nboot log:\n%s", err, tail(f.boots[srv.Name].Console, 4000))
		}
	}
	inService := time.Since(start)
	for _, srv := range old {
		if err := f.lb.SetState(srv, "drain"); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for f.lb.Sessions(srv) != "0" && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if err := f.lb.SetState(srv, "maint"); err != nil {
			t.Fatal(err)
		}
		srv.Kill()
	}
	ok, fail, lost, errs := l.end()
	t.Logf("release %s rolled out in %.1f s (new servers in service after %.1f s); %d requests answered meanwhile, %d failed, %d sessions broken",
		r.release.ID, time.Since(start).Seconds(), inService.Seconds(), ok, fail, lost)
	if fail > 0 || lost > 0 || ok == 0 {
		t.Errorf("during the rollout: %d failed requests and %d broken sessions of %d; want none: %v", fail, lost, ok+fail, errs)
	}

	f.servers, f.tpl, f.boot, f.singleton = r.servers, r.tpl, r.boot, nil
	for _, srv := range r.servers {
		if srv.Singleton {
			f.singleton = srv
		}
	}
	f.everyServerReachesBootOK(t)
	f.everyServerSignalsSuccessOnce(t, s)
	gets := map[string]int{}
	for _, req := range s.S3Requests()[r.s3From:] {
		if req.Path == "/"+r.release.Key() && req.Method == "GET" && req.SignatureError == "" && req.Host == ReleaseBucket+".s3."+fakeaws.Region+".amazonaws.com" {
			gets[req.From]++
		}
	}
	for _, srv := range r.servers {
		b := f.boots[srv.Name]
		servesRelease(t, srv, b.Log, r.release.ID)
		if gets[srv.IP] != 1 {
			t.Errorf("%s: fetched s3://%s/%s %d times with the role; want once", srv.Name, ReleaseBucket, r.release.Key(), gets[srv.IP])
		}
		// Healthy only after its boot, which migrated before starting the
		// web server: no server ran the new code on the old schema.
		if up, ran := f.firstUp[srv.Name], f.userDataAt[srv.Name]; up.IsZero() || up.Before(ran) {
			t.Errorf("%s: first healthy at %s, its user data started at %s", srv.Name, up.Format(time.StampMilli), ran.Format(time.StampMilli))
		}
		if i, j := strings.Index(b.Log, "migrations ran as www-data"), strings.Index(b.Log, "boot succeeded"); i < 0 || j < i {
			t.Errorf("%s: the boot log does not migrate before the boot succeeded:\n%s", srv.Name, tail(b.Log, 3000))
		}
	}
	for name, w := range f.whoamiAll(t, s) {
		if w["release"] != r.release.ID {
			t.Errorf("%s answers release %v through the balancer; want %s", name, w["release"], r.release.ID)
		}
	}
	for _, srv := range old {
		if st := f.lb.Status(srv.Name); strings.HasPrefix(st, "UP") {
			t.Errorf("%s (the first release) is still %s in the balancer", srv.Name, st)
		}
	}
	return r
}

// migrationState returns Laravel's migrations table and the runs the
// releases' migrations recorded, one row a line.
func (f *fleetRun) migrationState(t *testing.T, s *Stack) (migrations, runs string) {
	t.Helper()
	migrations, err := s.Query(f.sc.dbKind(), "SELECT migration, batch FROM migrations ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	runs, err = s.Query(f.sc.dbKind(), "SELECT migration, host FROM release_runs ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(migrations), strings.TrimSpace(runs)
}

// migrationRanOnce: of the three servers of the first deploy and the three
// of the second release, booted at once each time, one ran each release's
// migration: the table the migrations write shows one run each, by a
// server of its release, Laravel's migrations table one batch each; the
// others waited for the lock or found nothing to migrate, and no lock is
// left.
func (f *fleetRun) migrationRanOnce(t *testing.T, s *Stack, second rollout) {
	migrations, runs := f.migrationState(t, s)
	want := "2026_12_01_000000_create_release_runs_table\t1\n2026_12_02_000000_record_the_second_release\t2"
	if migrations != want {
		t.Errorf("Laravel's migrations table:\n%s\nwant one batch per release:\n%s", migrations, want)
	}
	rows := strings.Split(runs, "\n")
	var firstDeploy []string
	for i := 1; i <= 3; i++ {
		firstDeploy = append(firstDeploy, fmt.Sprintf("%s-%d", f.sc.name[:strings.Index(f.sc.name, "-")], i))
	}
	firstDeploy = append(firstDeploy, f.firstDeployWorkers()...)
	var secondNames []string
	for _, srv := range second.servers {
		secondNames = append(secondNames, srv.Name)
	}
	if len(rows) != 2 || !strings.HasPrefix(rows[0], "create_release_runs_table\t") || !strings.HasPrefix(rows[1], "record_the_second_release\t") ||
		!slices.Contains(firstDeploy, strings.TrimPrefix(rows[0], "create_release_runs_table\t")) ||
		!slices.Contains(secondNames, strings.TrimPrefix(rows[1], "record_the_second_release\t")) {
		t.Errorf("the migrations' runs:\n%s\nwant exactly one run of the first release's migration (on one of %v) and one of the second's (on one of %v)", runs, firstDeploy, secondNames)
	}
	t.Logf("runs (migration, server):\n%s", runs)
	if locks, err := f.migrateLocks(s); err != nil || locks != "0" {
		t.Errorf("migrate locks left in the cache store: %q (%v); want none", locks, err)
	}
	// The second release's migration takes seconds: the servers booted
	// beside the one running it found the lock taken, waited, and then
	// found nothing to migrate.
	waited := map[string]int{}
	for name, b := range f.boots {
		if n := strings.Count(b.Log, "another server is migrating"); n > 0 {
			waited[name] = n
		}
	}
	t.Logf("servers that found the migrate lock taken (tries): %v", waited)
	busy := 0
	for _, srv := range second.servers {
		b := f.boots[srv.Name]
		if waited[srv.Name] > 0 {
			busy++
			if !strings.Contains(b.Log, "artisan: The [migrate] command is already running.") || !strings.Contains(b.Log, "Nothing to migrate") {
				t.Errorf("%s: waited for the lock, but its log does not say artisan found it taken, then nothing to migrate:\n%s", srv.Name, tail(b.Log, 3000))
			}
		}
	}
	if busy == 0 {
		t.Errorf("none of the %d servers of the second release found the migrate lock taken: the lock was not exercised", len(second.servers))
	}
}

// brokenReleaseLeavesThePrevious ships a release whose migration fails:
// each new server's boot fails at laravel-migrate, signals FAILURE and
// ABANDON once, and never passes a health check; the servers of the
// release before keep answering as it, and the database is as it was
// (no table, column, migration or run added, no lock left).
func (f *fleetRun) brokenReleaseLeavesThePrevious(t, scenario *testing.T, s *Stack, previous rollout, spares []string, first int) {
	schema := func() string {
		t.Helper()
		out, err := s.Query(f.sc.dbKind(), "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = '"+DBName+"' ORDER BY 1, 2")
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	schemaBefore := schema()
	migrationsBefore, runsBefore := f.migrationState(t, s)
	r := f.launch(t, scenario, s, 3, spares, first, false)
	for _, srv := range r.servers {
		b := f.boots[srv.Name]
		if b.Err == nil || !strings.Contains(b.Log, "php artisan migrate failed") {
			t.Errorf("%s: the boot of the broken release ended %v; want the migration failed:\n%s", srv.Name, b.Err, tail(b.Log, 3000))
		}
		if strings.Contains(b.Log, "insert into") || strings.Contains(b.Log, "no_such_column`, ") {
			t.Errorf("%s: the boot log holds the failed migration's SQL:\n%s", srv.Name, tail(b.Log, 3000))
		}
		if out, _ := srv.Exec(context.Background(), "", "cat", "/var/lib/tierkit/boot-failed"); !strings.Contains(out, "step laravel-migrate failed") {
			t.Errorf("%s: the boot-failed marker is %q; want step laravel-migrate named failed", srv.Name, out)
		}
		want := []fakeaws.Signal{
			{Action: "SignalResource", Stack: StackID, Resource: srv.Tags.SignalResource, Status: "FAILURE", UniqueID: srv.InstanceID},
			{Action: "CompleteLifecycleAction", Stack: fakeaws.GroupName, Resource: fleet.LifecycleHookName, Status: "ABANDON", UniqueID: srv.InstanceID},
		}
		if got := signalsOf(s, srv); !slices.Equal(got, want) {
			t.Errorf("%s: signalled %+v; want exactly %+v", srv.Name, got, want)
		}
		if _, up := f.firstUp[srv.Name]; up || strings.HasPrefix(f.lb.Status(srv.Name), "UP") {
			t.Errorf("%s: the balancer saw a server of the broken release healthy", srv.Name)
		}
	}
	for name, w := range f.whoamiAll(t, s) {
		if w["release"] != previous.release.ID {
			t.Errorf("%s answers release %v through the balancer; want %s, the release before the broken one", name, w["release"], previous.release.ID)
		}
	}
	if got := schema(); got != schemaBefore {
		t.Errorf("the schema changed:\n%s\nwant as before:\n%s", got, schemaBefore)
	}
	if migrations, runs := f.migrationState(t, s); migrations != migrationsBefore || runs != runsBefore {
		t.Errorf("after the broken release: migrations\n%s\nruns\n%s\nwant as before:\n%s\n%s", migrations, runs, migrationsBefore, runsBefore)
	}
	if locks, err := f.migrateLocks(s); err != nil || locks != "0" {
		t.Errorf("migrate locks left in the cache store: %q (%v); want none (a failed migration releases it)", locks, err)
	}
	// The refresh's rollback terminates the failed servers.
	for _, srv := range r.servers {
		srv.Kill()
	}
}
