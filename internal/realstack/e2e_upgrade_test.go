//go:build e2e

package realstack

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tierkit/tierkit/constructs/nextcloud"
	"github.com/tierkit/tierkit/constructs/releases"
)

// Nextcloud upgrades on real servers (nextcloud.App.Upgrade "on-boot"). The
// scenario with upgrade boots its fleet from the AMI's Nextcloud 29 with
// Releases and Upgrade on (the first boot records 29 as the database's
// version and starts every server's guard). After its other subtests, a
// team ships Nextcloud 30 as a release (the stand-in's code with the newer
// version.php and a core migration, golden/nextcloud-upgrade) and rolls it
// out: a batch of new servers boots at once while the old servers serve.
// One new server must run occ upgrade, once, after every old server
// fenced itself (503 from its own status.php, out of the balancer); the
// others only record the version in their config.php; every new server
// serves Nextcloud 30.

const (
	// upgradeServers is the batch of Nextcloud 30 servers booted at once:
	// one upgrades, the others wait for its lock.
	upgradeServers = 3
	// ncOldVersion is the AMI's Nextcloud (golden/nextcloud/version.php),
	// ncNewVersion the release's (golden/nextcloud-upgrade/version.php),
	// ncMigration the core migration only the release has.
	ncOldVersion = "29.0.0.19"
	ncNewVersion = "30.0.0.14"
	ncMigration  = "30000Date20241201000000"
	ncReleaseID  = "e2e-nextcloud-30"
	// ncRefusedVersion is a release Nextcloud 30 may not upgrade to
	// (two major versions on): its occ upgrade refuses before any
	// migration.
	ncRefusedVersion    = "32.0.0.1"
	ncRefusedReleaseID  = "e2e-nextcloud-32"
	ncRefusedVersionPHP = "<?php\n// Nextcloud 32 upgrades from 31 only: from 30 occ upgrade refuses.\n" +
		"$OC_Version = [32, 0, 0, 1];\n$OC_VersionString = '32.0.0';\n" +
		"$OC_VersionCanBeUpgradedFrom = ['nextcloud' => ['31.0' => true, '32.0' => true], 'owncloud' => []];\n"
)

// upgradeSpareNames are the balancer's names of the Nextcloud 30 servers,
// registered up front; used names come before them.
func (sc scenario) upgradeSpareNames(used int) []string {
	if !sc.upgrade {
		return nil
	}
	prefix := sc.name[:strings.Index(sc.name, "-")]
	var out []string
	for i := 1; i <= upgradeServers+1; i++ {
		out = append(out, fmt.Sprintf("%s-%d", prefix, used+i))
	}
	return out
}

// publishNextcloudRelease packs the newer Nextcloud as scripts/release packs
// a directory: the stand-in's code (golden/nextcloud without its installer,
// schemas and README) with golden/nextcloud-upgrade over it, and puts it in
// the release bucket.
//
// id names the release; over, when not nil, replaces files of it.
func publishNextcloudRelease(t *testing.T, s *Stack, id string, over map[string][]byte) *releases.Release {
	t.Helper()
	files := map[string][]byte{}
	for _, dir := range []string{filepath.Join("golden", "nextcloud"), filepath.Join("golden", "nextcloud-upgrade")} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel := filepath.ToSlash(strings.TrimPrefix(path, dir+string(filepath.Separator)))
			if rel == "install.sh" || rel == "README.md" || strings.HasPrefix(rel, "schema.") {
				return nil
			}
			files[rel], err = os.ReadFile(path)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range over {
		files[name] = body
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	names := slices.Sorted(func(yield func(string) bool) {
		for name := range files {
			if !yield(name) {
				return
			}
		}
	})
	dirs := map[string]bool{}
	for _, name := range names {
		for d := filepath.Dir(name); d != "."; d = filepath.Dir(d) {
			if !dirs[d] {
				dirs[d] = true
				if err := tw.WriteHeader(&tar.Header{Name: d + "/", Mode: 0o755, Typeflag: tar.TypeDir, ModTime: time.Now()}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(files[name])), Typeflag: tar.TypeReg, ModTime: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(files[name]); err != nil {
			t.Fatal(err)
		}
	}
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
	t.Logf("release %s: %d files, %d bytes, in s3://%s/%s", r.ID, len(files), buf.Len(), ReleaseBucket, r.Key())
	return r
}

// fenceSeen is when the watcher first saw each old server answer 503 from
// the fence on its own status.php, and first out of the balancer.
type fenceSeen struct {
	fenced, out map[string]time.Time
	answer      map[string]string
}

// watchFence probes every 200 ms, until stopped, each server's own
// status.php and its state in the balancer.
func (f *fleetRun) watchFence(servers []*Server) (stop func() fenceSeen) {
	seen := fenceSeen{fenced: map[string]time.Time{}, out: map[string]time.Time{}, answer: map[string]string{}}
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		for {
			select {
			case <-done:
				return
			case <-time.After(200 * time.Millisecond):
			}
			for _, srv := range servers {
				if _, ok := seen.fenced[srv.Name]; !ok {
					if got := probe(srv.IP, "/status.php"); strings.HasPrefix(got, "503 ") {
						seen.fenced[srv.Name], seen.answer[srv.Name] = time.Now(), got
					}
				}
				if _, ok := seen.out[srv.Name]; !ok && !strings.HasPrefix(f.lb.Status(srv.Name), "UP") {
					seen.out[srv.Name] = time.Now()
				}
			}
		}
	}()
	var once sync.Once
	return func() fenceSeen { once.Do(func() { close(done); <-exited }); return seen }
}

// upgrade is the rollout of the newer Nextcloud: its servers, the old ones
// it replaced, and what the watcher saw of the old ones.
type upgrade struct {
	servers, old []*Server
	fence        fenceSeen
	took         time.Duration
}

// launchUpgrade ships a newer Nextcloud as release id (files over
// replaced) and boots a batch of new servers with the new template at
// once, as an instance refresh does, while the old servers serve and the
// watcher observes them. When the new servers must serve (healthy), they
// become the fleet.
func (f *fleetRun) launchUpgrade(t, scenario *testing.T, s *Stack, id string, over map[string][]byte, spares []string, first int, healthy bool) upgrade {
	t.Helper()
	start := time.Now()
	sc := f.sc
	sc.release = publishNextcloudRelease(t, s, id, over)
	tpl := Synth(t, sc.build)
	delivered := Delivered(t, tpl, sc.dbPort())
	if err := s.Publish(delivered.Bucket, delivered.Key, []byte(delivered.Script)); err != nil {
		t.Fatal(err)
	}
	var u upgrade
	for _, srv := range f.servers {
		if strings.HasPrefix(f.lb.Status(srv.Name), "UP") {
			u.old = append(u.old, srv)
		}
	}
	if len(u.old) == 0 {
		t.Fatal("no server of the first deploy is in service")
	}
	main, single := GroupTags(t, tpl)
	for i, name := range spares {
		tags := main
		if i == 0 {
			tags = single
		}
		u.servers = append(u.servers, s.NewServer(scenario, name, first+i, tags, layers[sc.tier], baseRoot))
	}
	stopFence := f.watchFence(u.old)
	stopUp := f.watch(u.servers)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, srv := range u.servers {
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
			t.Logf("%s (release %s): services that did not start: %v; boot %.1f s (%v)", srv.Name, id, failed, b.Duration.Seconds(), b.Err)
		}()
	}
	wg.Wait()
	for _, srv := range u.servers {
		if !healthy {
			break
		}
		if _, err := f.lb.WaitStatus(srv.Name, "UP", 15*time.Second); err != nil {
			t.Errorf("%v\nboot log:\n%s", err, tail(f.boots[srv.Name].Console, 4000))
		}
	}
	// The watchers poll every 100 and 200 ms: one more round for each.
	time.Sleep(300 * time.Millisecond)
	stopUp()
	u.fence = stopFence()
	u.took = time.Since(start)
	t.Logf("release %s: synthesized, %d servers booted in %.1f s", id, len(u.servers), u.took.Seconds())
	if !healthy {
		return u
	}
	f.servers, f.tpl, f.boot, f.singleton = u.servers, tpl, delivered, nil
	for _, srv := range u.servers {
		if srv.Singleton {
			f.singleton = srv
		}
	}
	return u
}

// upgradeSubtests run last in the scenario: the upgrade replaces the fleet.
func (f *fleetRun) upgradeSubtests(t *testing.T, s *Stack) {
	scenario := t
	used := len(f.servers)
	if f.bad != nil {
		used++
	}
	spares := f.sc.upgradeSpareNames(used)
	t.Run("TheFirstBootRecordsTheAMIsVersionAndGuardsEveryServer", func(t *testing.T) { f.firstBootRecordsTheVersion(t, s) })
	var u upgrade
	if !t.Run("ANewNextcloudVersionUpgradesTheDatabaseOnce", func(t *testing.T) {
		u = f.launchUpgrade(t, scenario, s, ncReleaseID, nil, spares[:upgradeServers], used+1, true)
		f.upgradedOnce(t, s, u)
	}) {
		return
	}
	t.Run("OldServersAreFencedBeforeTheSchemaChanges", func(t *testing.T) { f.fencedBeforeTheSchemaChanges(t, s, u) })
	for _, srv := range u.old {
		srv.Kill()
	}
	t.Run("TheFenceLiftsAfterARefusedUpgrade", func(t *testing.T) {
		f.fenceLiftsAfterARefusedUpgrade(t, scenario, s, spares[upgradeServers:], used+upgradeServers+1)
	})
}

// upgradeRecords returns the tier's tierkit_upgrade table, "name value" a line.
func upgradeRecords(t *testing.T, s *Stack, f *fleetRun) string {
	t.Helper()
	out, err := s.Query(f.sc.dbKind(), "SELECT name, value FROM oc_"+nextcloud.UpgradeTable+" ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// occRuns returns the stand-in's record of the occ commands that ran:
// host, command and start time, in order.
func occRuns(t *testing.T, s *Stack, f *fleetRun) [][3]string {
	t.Helper()
	out, err := s.Query(f.sc.dbKind(), "SELECT host, command, at FROM oc_e2e_occ_runs ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	var runs [][3]string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if parts := strings.Split(line, "\t"); len(parts) == 3 {
			runs = append(runs, [3]string{parts[0], parts[1], parts[2]})
		}
	}
	return runs
}

// firstBootRecordsTheVersion: the first deploy with Upgrade found config.php
// at the code's version on every server: the database records 29 as its
// target and done, no occ ran, and every server's guard runs.
func (f *fleetRun) firstBootRecordsTheVersion(t *testing.T, s *Stack) {
	if got, want := upgradeRecords(t, s, f), "done\t"+ncOldVersion+"\ntarget\t"+ncOldVersion; got != want {
		t.Errorf("tierkit_upgrade:\n%s\nwant:\n%s", got, want)
	}
	if runs := occRuns(t, s, f); len(runs) != 0 {
		t.Errorf("occ ran at the first deploy: %v; want nothing", runs)
	}
	for _, srv := range f.servers {
		if !strings.HasPrefix(f.lb.Status(srv.Name), "UP") {
			continue // the drill killed it
		}
		if out, err := srv.Exec(t.Context(), "", "systemctl", "is-active", nextcloud.GuardUnit); strings.TrimSpace(out) != "active" {
			t.Errorf("%s: %s is %q (%v); want active", srv.Name, nextcloud.GuardUnit, strings.TrimSpace(out), err)
		}
		if b := f.boots[srv.Name]; !strings.Contains(b.Log, "Nextcloud "+ncOldVersion+": config.php is at this version; recorded as the database's") &&
			!strings.Contains(b.Log, "Nextcloud "+ncOldVersion+": the database is at this version") {
			t.Errorf("%s: the boot log does not say it recorded or found Nextcloud %s:\n%s", srv.Name, ncOldVersion, tail(b.Log, 3000))
		}
	}
}

// upgradedOnce: of the new servers booted at once, exactly one ran occ
// upgrade (with maintenance mode around it and the three repairs after);
// the migration ran once and its table holds one row, by that server; the
// others only set config.php's version; the database records 30; every
// new server booted, answers Nextcloud 30 out of maintenance, and is in
// the balancer.
func (f *fleetRun) upgradedOnce(t *testing.T, s *Stack, u upgrade) {
	names := map[string]bool{}
	for _, srv := range u.servers {
		names[srv.Name] = true
		b := f.boots[srv.Name]
		if b.Err != nil || !strings.Contains(b.Log, "boot succeeded") {
			t.Errorf("%s: boot failed: %v\n%s", srv.Name, b.Err, tail(b.Console, 4000))
		}
	}
	byCommand := map[string][]string{}
	for _, r := range occRuns(t, s, f) {
		byCommand[r[1]] = append(byCommand[r[1]], r[0])
	}
	t.Logf("occ commands (command: servers): %v", byCommand)
	upgraders := byCommand["upgrade"]
	if len(upgraders) != 1 || !names[upgraders[0]] {
		t.Fatalf("occ upgrade ran on %v; want exactly once, on one of the new servers", upgraders)
	}
	upgrader := upgraders[0]
	for _, c := range []string{"maintenance:mode --on", "maintenance:mode --off", "db:add-missing-indices", "db:add-missing-columns", "db:add-missing-primary-keys"} {
		if got := byCommand[c]; !slices.Equal(got, []string{upgrader}) {
			t.Errorf("occ %s ran on %v; want once, on %s, the upgrading server", c, got, upgrader)
		}
	}
	var followers []string
	for _, srv := range u.servers {
		if srv.Name != upgrader {
			followers = append(followers, srv.Name)
		}
	}
	if got := slices.Sorted(slices.Values(byCommand["config:system:set version"])); !slices.Equal(got, followers) {
		t.Errorf("occ config:system:set version ran on %v; want once on each of %v, the servers that did not upgrade", got, followers)
	}
	if len(byCommand) != 7 {
		t.Errorf("occ ran %v; want only the upgrade, maintenance mode, the three repairs and config:system:set version", byCommand)
	}
	if out, err := s.Query(f.sc.dbKind(), "SELECT version FROM oc_migrations WHERE app = 'core' ORDER BY version"); err != nil || strings.TrimSpace(out) != "29000Date20240124132201\n"+ncMigration {
		t.Errorf("core's migrations: %q (%v); want the golden server's and %s once", out, err, ncMigration)
	}
	if out, err := s.Query(f.sc.dbKind(), "SELECT host FROM oc_e2e_upgraded"); err != nil || strings.TrimSpace(out) != upgrader {
		t.Errorf("the new version's table holds %q (%v); want one row, by %s", out, err, upgrader)
	}
	if got, want := upgradeRecords(t, s, f), "done\t"+ncNewVersion+"\ntarget\t"+ncNewVersion; got != want {
		t.Errorf("tierkit_upgrade:\n%s\nwant:\n%s", got, want)
	}
	for _, srv := range u.servers {
		b := f.boots[srv.Name]
		want := "the database was upgraded to Nextcloud " + ncNewVersion + " by another server: config.php records " + ncNewVersion + " (no second upgrade)"
		if srv.Name == upgrader {
			want = "upgraded Nextcloud from " + ncOldVersion + " to " + ncNewVersion + " on this server"
		}
		if !strings.Contains(b.Log, want) {
			t.Errorf("%s: the boot log does not say %q:\n%s", srv.Name, want, tail(b.Log, 3000))
		}
		st := direct(t, srv, f.a.domain, "/status.php")
		if st["version"] != ncNewVersion || st["maintenance"] != false || st["needsDbUpgrade"] != false {
			t.Errorf("%s: status.php answers %v; want version %s, no maintenance, no upgrade needed", srv.Name, st, ncNewVersion)
		}
		if up, ran := f.firstUp[srv.Name], f.userDataAt[srv.Name]; up.IsZero() || up.Before(ran) {
			t.Errorf("%s: first healthy at %s, its user data started at %s", srv.Name, up.Format(time.StampMilli), ran.Format(time.StampMilli))
		}
		if out, _ := srv.Exec(t.Context(), "", "systemctl", "is-active", nextcloud.GuardUnit); strings.TrimSpace(out) != "active" {
			t.Errorf("%s: %s is %q; want active", srv.Name, nextcloud.GuardUnit, strings.TrimSpace(out))
		}
	}
}

// fencedBeforeTheSchemaChanges: every old server still serving when the
// rollout began answered 503 from the fence on its own status.php, and
// the balancer took it out, before occ upgrade started on the new server;
// the fence file is there and the guard stays up.
func (f *fleetRun) fencedBeforeTheSchemaChanges(t *testing.T, s *Stack, u upgrade) {
	var at time.Time
	for _, r := range occRuns(t, s, f) {
		if r[1] == "upgrade" && at.IsZero() {
			sec, err := strconv.ParseFloat(r[2], 64)
			if err != nil {
				t.Fatal(err)
			}
			at = time.UnixMicro(int64(sec * 1e6))
		}
	}
	if at.IsZero() {
		t.Fatal("occ upgrade did not run")
	}
	for _, srv := range u.old {
		fenced, out := u.fence.fenced[srv.Name], u.fence.out[srv.Name]
		if fenced.IsZero() || !fenced.Before(at) {
			t.Errorf("%s (Nextcloud %s): first answered 503 at %s; occ upgrade started at %s: want the fence before", srv.Name, ncOldVersion, fenced.Format(time.StampMilli), at.Format(time.StampMilli))
		}
		if out.IsZero() || !out.Before(at) {
			t.Errorf("%s: out of the balancer at %s; occ upgrade started at %s: want out before", srv.Name, out.Format(time.StampMilli), at.Format(time.StampMilli))
		}
		if a := u.fence.answer[srv.Name]; !strings.Contains(a, "older Nextcloud than the database") {
			t.Errorf("%s: its status.php answered %q; want the fence's 503", srv.Name, a)
		}
		srv.Must(t, "test", "-f", f.a.appDir+"/"+nextcloud.FenceFile)
		if st := f.lb.Status(srv.Name); strings.HasPrefix(st, "UP") {
			t.Errorf("%s (Nextcloud %s) is %s in the balancer after the upgrade", srv.Name, ncOldVersion, st)
		}
		t.Logf("%s: fenced %.1f s and out of the balancer %.1f s before occ upgrade started", srv.Name, at.Sub(fenced).Seconds(), at.Sub(out).Seconds())
	}
}

// fenceLiftsAfterARefusedUpgrade ships Nextcloud 32, which may not upgrade
// from 30: the new server records the target, the Nextcloud 30 servers
// fence themselves and leave the balancer; its occ upgrade refuses before
// any migration, so its boot fails, the target returns to 30, the guards
// lift the fences and every Nextcloud 30 server serves again, with the
// schema as it was.
func (f *fleetRun) fenceLiftsAfterARefusedUpgrade(t, scenario *testing.T, s *Stack, spares []string, first int) {
	migrations := func() string {
		t.Helper()
		out, err := s.Query(f.sc.dbKind(), "SELECT app, version FROM oc_migrations ORDER BY app, version")
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	before := migrations()
	u := f.launchUpgrade(t, scenario, s, ncRefusedReleaseID, map[string][]byte{"version.php": []byte(ncRefusedVersionPHP)}, spares, first, false)
	for _, srv := range u.servers {
		b := f.boots[srv.Name]
		want := "occ upgrade to Nextcloud " + ncRefusedVersion + " failed before any migration ran: the servers of Nextcloud " + ncNewVersion + " serve again"
		if b.Err == nil || !strings.Contains(b.Log, want) || !strings.Contains(b.Log, "occ: Exception: Updates between multiple major versions and downgrades are unsupported.") {
			t.Errorf("%s: the boot of Nextcloud %s ended %v; want it failed with %q and occ's refusal:\n%s", srv.Name, ncRefusedVersion, b.Err, want, tail(b.Log, 3000))
		}
		// Its config.php is the AMI's (29): occ upgrade must judge the jump
		// from the database's 30.
		if !strings.Contains(b.Log, "config.php says Nextcloud "+ncOldVersion+", the database is at "+ncNewVersion) {
			t.Errorf("%s: config.php did not record the database's %s before occ upgrade:\n%s", srv.Name, ncNewVersion, tail(b.Log, 3000))
		}
		if _, up := f.firstUp[srv.Name]; up {
			t.Errorf("%s: the balancer saw the refused server healthy", srv.Name)
		}
	}
	for _, srv := range u.old {
		if u.fence.fenced[srv.Name].IsZero() || u.fence.out[srv.Name].IsZero() {
			t.Errorf("%s (Nextcloud %s) was not fenced (503 %s, out %s) while the database's target was %s", srv.Name, ncNewVersion,
				u.fence.fenced[srv.Name].Format(time.StampMilli), u.fence.out[srv.Name].Format(time.StampMilli), ncRefusedVersion)
		}
	}
	if got, want := upgradeRecords(t, s, f), "done\t"+ncNewVersion+"\ntarget\t"+ncNewVersion; got != want {
		t.Errorf("tierkit_upgrade after the refused upgrade:\n%s\nwant:\n%s", got, want)
	}
	if got := migrations(); got != before {
		t.Errorf("the migrations changed:\n%s\nwant as before:\n%s", got, before)
	}
	// The guards read the target every 10 s; then two health checks.
	var slowest time.Duration
	for _, srv := range u.old {
		took, err := f.lb.WaitStatus(srv.Name, "UP", 30*time.Second)
		if err != nil {
			t.Error(err)
			continue
		}
		slowest = max(slowest, took)
		if _, err := srv.Exec(t.Context(), "", "test", "-e", f.a.appDir+"/"+nextcloud.FenceFile); err == nil {
			t.Errorf("%s: the fence is still there", srv.Name)
		}
		if st := direct(t, srv, f.a.domain, "/status.php"); st["version"] != ncNewVersion || st["maintenance"] != false {
			t.Errorf("%s: status.php answers %v; want Nextcloud %s out of maintenance", srv.Name, st, ncNewVersion)
		}
	}
	t.Logf("Nextcloud %s servers fenced during the refused upgrade, back in the balancer at most %.1f s after its boot failed (%.1f s after the launch)",
		ncNewVersion, slowest.Seconds(), u.took.Seconds())
	for _, srv := range u.servers {
		srv.Kill()
	}
}
