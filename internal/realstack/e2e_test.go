//go:build e2e

package realstack

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/constructs/database"
	"github.com/tierkit/tierkit/constructs/fleet"
	"github.com/tierkit/tierkit/constructs/laravel"
	"github.com/tierkit/tierkit/constructs/nextcloud"
	"github.com/tierkit/tierkit/constructs/releases"
	"github.com/tierkit/tierkit/internal/cdktest"
	"github.com/tierkit/tierkit/internal/fakeaws"
)

// The golden root, built by scripts/e2e before the test enters its own
// network namespace: the base of Debian packages and one layer per
// application, each the golden server of one article.
var (
	baseRoot = os.Getenv("TIERKIT_E2E_BASE")
	layers   = map[string]string{"laravel": os.Getenv("TIERKIT_E2E_LAYER_LARAVEL"), "nextcloud": os.Getenv("TIERKIT_E2E_LAYER_NEXTCLOUD")}
	runDir   = os.Getenv("TIERKIT_E2E_RUN")
)

// scenario is one tier on one web server and one database engine.
type scenario struct {
	name   string
	tier   string // laravel or nextcloud
	web    string // apache2 or nginx
	engine database.Engine
	// autoscaling: 2 servers and the singleton group's (3); otherwise a
	// fixed fleet of 2, the first the singleton.
	autoscaling bool
	// redis: Laravel's sessions and cache in the TLS, AUTH cache.
	redis bool
	// denied: one more server whose role may not read the secrets.
	denied bool
	// settings: application settings and secrets from the template
	// (settings_e2e_test.go).
	settings bool
	// efs: Nextcloud's data directory on the tier's file system (a shared
	// export here, e2e_efs_test.go) instead of the bucket.
	efs bool
	// releases: the tier's Releases and Laravel's Migrate on boot; the
	// fleet boots release, then releases roll out (e2e_release_test.go).
	releases bool
	release  *releases.Release
	// queue: Laravel's queue workers on every server, on the Redis
	// (e2e_queue_test.go); drained through the termination hook, so with
	// autoscaling.
	queue bool
	// workerGroup: Laravel's queue workers on a worker group of their own,
	// on the Redis, which is the cache store (e2e_workers_test.go).
	workerGroup bool
	// upgrade: Nextcloud's Releases and Upgrade on boot; a release of a
	// newer Nextcloud rolls out last (e2e_upgrade_test.go).
	upgrade bool
}

var scenarios = []scenario{
	{name: "laravel-apache-mariadb", tier: "laravel", web: "apache2", engine: database.MariaDB, autoscaling: true, settings: true, releases: true, workerGroup: true},
	{name: "laravel-nginx-postgres", tier: "laravel", web: "nginx", engine: database.Postgres, autoscaling: true, redis: true, denied: true, queue: true},
	{name: "nextcloud-nginx-mariadb", tier: "nextcloud", web: "nginx", engine: database.MariaDB, autoscaling: true, settings: true, upgrade: true},
	{name: "nextcloud-apache-postgres", tier: "nextcloud", web: "apache2", engine: database.Postgres, efs: true},
}

// app is what differs between the two fixtures.
type app struct {
	domain, whoami, session, upload string
	vhost                           map[string]string // web server -> vhost file
	table, appDir                   string
	// secretStep is the tier's step that reads the database secret.
	secretStep string
}

var apps = map[string]app{
	"laravel": {domain: "api.example.com", whoami: "/whoami", session: "/session", upload: "/upload",
		vhost: map[string]string{"apache2": "/etc/apache2/sites-available/api.conf", "nginx": "/etc/nginx/sites-available/api"},
		table: "scheduled_runs", appDir: "/var/www/html", secretStep: "laravel-env"},
	"nextcloud": {domain: "cloud.example.com", whoami: "/whoami.php", session: "/session.php", upload: "/upload.php",
		vhost: map[string]string{"apache2": "/etc/apache2/sites-available/nextcloud.conf", "nginx": "/etc/nginx/sites-available/nextcloud"},
		table: "oc_cron_runs", appDir: "/var/www/nextcloud", secretStep: "nextcloud-config"},
}

func (sc scenario) build(stack awscdk.Stack) {
	a := apps[sc.tier]
	// Every file of the AMI that holds the golden address, as a team finds
	// them with grep on the golden server: both web servers are installed.
	bootProps := boot.Props{GoldenIP: GoldenIP, IPFiles: []string{"/etc/hosts", a.vhost["apache2"], a.vhost["nginx"]}}
	fleetProps := fleet.Props{Mode: fleet.Fixed, Instances: 2}
	if sc.autoscaling {
		fleetProps = fleet.Props{}
	}
	switch sc.tier {
	case "laravel":
		p := &laravel.APIProps{
			DomainName: a.domain, Zone: cdktest.Zone(stack), Image: cdktest.Image(),
			Boot: bootProps, Fleet: fleetProps, Database: database.Props{Engine: sc.engine},
			WebServer: sc.web, PHPFPMUnit: "php8.2-fpm",
		}
		if sc.redis {
			p.SessionDriver, p.CacheStore, p.RedisHost, p.RedisPort, p.RedisTLS = "redis", "redis", CacheHost, RedisPort, true
			p.RedisAuthSecret = RedisAuthSecret
		}
		if sc.settings {
			laravelSettings(p)
		}
		if sc.releases {
			p.Releases, p.Release, p.Migrate = true, sc.release, laravel.MigrateOnBoot
		}
		if sc.queue {
			p.QueueWorkers, p.QueueConnection = laravel.QueueWorkersEveryNode, laravel.QueueRedis
		}
		sc.buildWorkerGroup(p)
		laravel.NewAPITier(stack, "Api", p)
	case "nextcloud":
		p := &nextcloud.Props{
			DomainName: a.domain, Zone: cdktest.Zone(stack), Image: cdktest.Image(),
			Boot: bootProps, Fleet: fleetProps, Database: database.Props{Engine: sc.engine},
			WebServer: sc.web, PHPFPMUnit: "php8.2-fpm", PrimaryStorage: sc.primaryStorage(),
		}
		if sc.settings {
			nextcloudSettings(p)
		}
		if sc.upgrade {
			p.Releases, p.Release, p.Upgrade = true, sc.release, nextcloud.UpgradeOnBoot
		}
		nextcloud.NewTier(stack, "Cloud", p)
	}
}

func (sc scenario) dbKind() string {
	if sc.engine == database.Postgres {
		return "pgsql"
	}
	return "mysql"
}

func (sc scenario) dbPort() int {
	if sc.engine == database.Postgres {
		return PGPort
	}
	return MySQLPort
}

func TestRealStack(t *testing.T) {
	if baseRoot == "" || layers["laravel"] == "" || layers["nextcloud"] == "" || runDir == "" {
		t.Fatal("TIERKIT_E2E_BASE, TIERKIT_E2E_LAYER_LARAVEL, TIERKIT_E2E_LAYER_NEXTCLOUD and TIERKIT_E2E_RUN are unset: run scripts/e2e")
	}
	s := NewStack(t, runDir)
	for _, sc := range scenarios {
		if !t.Run(sc.name, func(t *testing.T) { runScenario(t, s, sc) }) && os.Getenv("TIERKIT_E2E_KEEP_GOING") == "" {
			break
		}
	}
}

// fleetRun is one scenario's servers, booted.
type fleetRun struct {
	sc         scenario
	a          app
	lb         *LB
	servers    []*Server // the ones that must serve
	singleton  *Server
	bad        *Server    // the server whose boot must fail, or nil
	workers    *workerRun // the worker group's servers, or nil
	tpl        *cdktest.Template
	boot       cdktest.Boot // the loader and the boot script, as delivered
	s3From     int          // the first of S3's requests made in this scenario
	secretIDs  map[string]string
	boots      map[string]Boot
	downFirst  map[string]string    // status before the user data ran
	userDataAt map[string]time.Time // when the user data started
	firstUp    map[string]time.Time // when the balancer first saw it healthy
}

func runScenario(t *testing.T, s *Stack, sc scenario) {
	a := apps[sc.tier]
	start := time.Now()
	if sc.releases {
		sc.release = publishRelease(t, s, 1)
	}
	tpl := Synth(t, sc.build)
	// As `cdk deploy` does: the boot script's asset goes to the bootstrap
	// bucket; CloudFormation resolves the user data (the loader).
	delivered := Delivered(t, tpl, sc.dbPort())
	if err := s.Publish(delivered.Bucket, delivered.Key, []byte(delivered.Script)); err != nil {
		t.Fatal(err)
	}
	userData := delivered.Loader
	healthPath := ""
	for _, tg := range tpl.Resources("AWS::ElasticLoadBalancingV2::TargetGroup") {
		healthPath, _ = cdktest.Props(tg)["HealthCheckPath"].(string)
	}
	if healthPath == "" {
		t.Fatal("no health check path in the template")
	}
	t.Logf("synthesized in %.1f s; user data (loader) %d bytes, %d values; boot script s3://%s/%s %d bytes; health check %s",
		time.Since(start).Seconds(), len(userData), len(delivered.Values), delivered.Bucket, delivered.Key, len(delivered.Script), healthPath)

	secretIDs := Secrets(tpl)
	schema := cdktest.ReadFile(t, filepath.Join("golden", sc.tier, "schema."+sc.dbKind()+".sql"))
	if err := s.Reset(sc.dbKind(), schema); err != nil {
		t.Fatal(err)
	}
	s.Secrets.Secrets = map[string]map[string]any{
		secretIDs["database"]: {"username": DBUser, "password": s.DBPassword, "dbname": DBName, "host": DBHost, "port": sc.dbPort(), "engine": string(sc.engine)},
	}
	if id := secretIDs["cache"]; id != "" {
		s.Secrets.Secrets[id] = map[string]any{"token": RedisToken}
	}
	if sc.redis || sc.workerGroup {
		s.Secrets.Secrets[RedisAuthSecret] = map[string]any{"token": RedisToken}
	}
	if id := secretIDs["seed"]; id != "" {
		s.Secrets.Secrets[id] = map[string]any{"seed": randomAlnum(80)}
	}
	serveSettingsSecrets(s)

	f := &fleetRun{sc: sc, a: a, tpl: tpl, boot: delivered, s3From: len(s.S3Requests()), secretIDs: secretIDs,
		boots: map[string]Boot{}, downFirst: map[string]string{}, userDataAt: map[string]time.Time{}, firstUp: map[string]time.Time{}}
	n := 2
	if sc.autoscaling {
		n = 3
	}
	// Each server's tags, as EC2 launches it: a fixed fleet's instances
	// their own; the main group's servers its tags, the singleton group's
	// server that group's. The denied server is one more of the main group
	// (Auto Scaling) or a replacement of the last instance (fixed).
	tags := make([]Tags, n)
	var badTags Tags
	if sc.autoscaling {
		main, single := GroupTags(t, tpl)
		for i := range n - 1 {
			tags[i] = main
		}
		tags[n-1], badTags = single, main
	} else {
		inst := InstanceTags(t, tpl)
		if len(inst) != n {
			t.Fatalf("the template has %d instances; want %d", len(inst), n)
		}
		copy(tags, inst)
		badTags = inst[n-1]
	}
	if badTags.Singleton {
		t.Fatal("the denied server would be the singleton")
	}
	// The balancer knows the servers before they exist, and takes none in
	// service until it passed its health checks, as a target group
	// registers a launching instance.
	var all []*Server
	names := []string{}
	for i := 1; i <= n; i++ {
		names = append(names, fmt.Sprintf("%s-%d", sc.name[:strings.Index(sc.name, "-")], i))
	}
	if sc.denied {
		names = append(names, sc.name[:strings.Index(sc.name, "-")]+"-denied")
	}
	names = append(names, sc.spareNames(len(names))...)
	names = append(names, sc.upgradeSpareNames(len(names))...)
	lb, err := s.NewLB(a.domain, healthPath, names, func(i int) string { return ServerIP(i + 1) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lb.Stop)
	f.lb = lb
	for _, name := range names {
		if _, err := lb.WaitStatus(name, "DOWN", 10*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= n; i++ {
		// Fixed: Server1 is the singleton; Auto Scaling: the singleton group's server.
		want := (!sc.autoscaling && i == 1) || (sc.autoscaling && i == n)
		if tags[i-1].Singleton != want {
			t.Fatalf("server %d: tagged singleton %v in the template; want %v", i, tags[i-1].Singleton, want)
		}
		srv := s.NewServer(t, names[i-1], i, tags[i-1], layers[sc.tier], baseRoot)
		if sc.efs {
			shareEFS(t, s, sc, srv)
		}
		all = append(all, srv)
		f.servers = append(f.servers, srv)
		if srv.Singleton {
			f.singleton = srv
		}
	}
	if sc.denied {
		f.bad = s.NewServer(t, names[n], n+1, badTags, layers[sc.tier], baseRoot)
		s.Secrets.DenyFrom = map[string]bool{f.bad.IP: true}
		all = append(all, f.bad)
	} else {
		s.Secrets.DenyFrom = map[string]bool{}
	}
	all = append(all, f.launchWorkers(t, s, len(names))...)

	// Boot every server at once, as an Auto Scaling group launches them:
	// the enabled services first, then the user data.
	stopWatch := f.watch(all)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, srv := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			failed := srv.Start("php8.2-fpm", sc.web, "cron")
			time.Sleep(2500 * time.Millisecond) // two health checks
			status := lb.Status(srv.Name)
			if strings.HasPrefix(status, "UP") {
				status += " (" + probe(srv.IP, healthPath) + ")"
			}
			mu.Lock()
			f.userDataAt[srv.Name] = time.Now()
			mu.Unlock()
			b := srv.RunUserData(userData)
			mu.Lock()
			defer mu.Unlock()
			f.downFirst[srv.Name] = status
			f.boots[srv.Name] = b
			t.Logf("%s: services that did not start from the golden copy: %v; before the user data: %s; boot %.1f s (%v)", srv.Name, failed, status, b.Duration.Seconds(), b.Err)
		}()
	}
	wg.Wait()
	for _, srv := range f.servers {
		if _, err := lb.WaitStatus(srv.Name, "UP", 10*time.Second); err != nil {
			t.Errorf("%v\nboot log:\n%s", err, tail(f.boots[srv.Name].Console, 4000))
		}
	}
	t.Logf("fleet of %d booted and in service %.1f s after the synth", len(all), time.Since(start).Seconds())

	t.Run("EveryServerReachesBootOK", f.everyServerReachesBootOK)
	t.Run("EveryServerSignalsSuccessOnce", func(t *testing.T) { f.everyServerSignalsSuccessOnce(t, s) })
	t.Run("TheBootScriptCameFromS3WithTheRole", func(t *testing.T) { f.bootScriptCameFromS3(t, s) })
	t.Run("NoGoldenIPIsLeft", f.noGoldenIPIsLeft)
	t.Run("HTTPRedirectsToHTTPS", func(t *testing.T) { f.httpRedirectsToHTTPS(t, s) })
	t.Run("AppSeesHTTPSAndTheClientAddress", func(t *testing.T) { f.appSeesHTTPSAndTheClient(t, s) })
	t.Run("ConfigurationIsTheTiersNotTheStaleCache", func(t *testing.T) { f.configurationIsTheTiers(t, s) })
	t.Run("DatabaseConnectionsAreTLS", func(t *testing.T) { f.databaseIsTLS(t, s) })
	t.Run("AWrongDatabaseCAIsRefused", func(t *testing.T) { f.wrongCAIsRefused(t, s) })
	t.Run("SessionsSurviveMovingBetweenServers", func(t *testing.T) { f.sessionsSurvive(t, s) })
	t.Run("UploadsLandInTheBucketWithTheInstanceRole", func(t *testing.T) { f.uploadsLand(t, s) })
	t.Run("ScheduledJobsRunOnTheSingletonOnly", func(t *testing.T) { f.scheduledJobsOnSingletonOnly(t, s) })
	if sc.tier == "nextcloud" {
		t.Run("EveryServerSharesTheInstanceSecrets", func(t *testing.T) { f.sharedInstanceSecrets(t, s) })
	}
	if sc.settings {
		t.Run("SettingsAndSecretsReachTheApp", func(t *testing.T) { f.settingsReachTheApp(t, s) })
		t.Run("SecretValuesAreNotInTheUserDataOrTemplate", f.secretValuesStayOut)
	}
	t.Run("HealthCheckPassesOnlyAfterTheBoot", func(t *testing.T) { stopWatch(); f.healthOnlyAfterBoot(t) })
	if f.bad != nil {
		t.Run("AFailingStepLeavesTheServerOut", func(t *testing.T) { f.failingStepLeavesServerOut(t, s) })
	}
	// Before the drill, which kills servers.
	t.Run("ASecondBootRefreshesAChangedSecret", func(t *testing.T) { f.secondBootRefreshesASecret(t, s) })
	if sc.efs {
		t.Run("DataDirectoryIsSharedAndMountedFirst", func(t *testing.T) { f.dataDirectoryIsShared(t, s) })
	}
	if sc.queue {
		f.queueSubtests(t, s)
	}
	if sc.workerGroup {
		f.workerSubtests(t, s)
	}
	// The queue's drain ends with a server terminated; the other Auto
	// Scaling scenarios run the drill.
	if sc.autoscaling && !sc.queue {
		t.Run("FailoverDrill", func(t *testing.T) { f.failoverDrill(t, s) })
	}
	if sc.tier == "nextcloud" && sc.autoscaling {
		t.Run("SessionLockOfADeadServerExpires", func(t *testing.T) { f.sessionLockExpires(t, s) })
	}
	if sc.releases {
		f.rollOutReleases(t, s)
	}
	if sc.upgrade {
		f.upgradeSubtests(t, s)
	}
	t.Logf("scenario done in %.1f s", time.Since(start).Seconds())
}

// watch records, every 100 ms until stopped, when the balancer first saw
// each server healthy.
func (f *fleetRun) watch(all []*Server) (stop func()) {
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		for {
			select {
			case <-done:
				return
			case <-time.After(100 * time.Millisecond):
			}
			for _, srv := range all {
				if _, seen := f.firstUp[srv.Name]; !seen && strings.HasPrefix(f.lb.Status(srv.Name), "UP") {
					f.firstUp[srv.Name] = time.Now()
				}
			}
		}
	}()
	var once sync.Once
	// firstUp is the watcher's alone until it has exited.
	return func() { once.Do(func() { close(done); <-exited }) }
}

func (f *fleetRun) everyServerReachesBootOK(t *testing.T) {
	for _, srv := range f.servers {
		b := f.boots[srv.Name]
		if b.Err != nil || !strings.Contains(b.Log, "boot succeeded") {
			t.Errorf("%s: boot failed: %v\n%s", srv.Name, b.Err, tail(b.Console, 4000))
			continue
		}
		if out := srv.Must(t, "cat", "/var/lib/tierkit/boot-ok"); strings.TrimSpace(out) == "" {
			t.Errorf("%s: no boot-ok marker", srv.Name)
		}
	}
}

func (f *fleetRun) noGoldenIPIsLeft(t *testing.T) {
	// Nextcloud's config.php is never edited: tierkit.config.php replaces
	// its keys (checked through the app in ConfigurationIsTheTiers).
	for _, srv := range f.servers {
		out, _ := srv.Exec(context.Background(), "", "grep", "-rIlsE", `(^|[^0-9.])10\.0\.1\.10([^0-9]|$)`, "/etc", f.a.appDir,
			"--exclude=config.php", "--exclude-dir=vendor")
		if strings.TrimSpace(out) != "" {
			t.Errorf("%s: the golden server's address is still in:\n%s", srv.Name, out)
		}
	}
}

func (f *fleetRun) httpRedirectsToHTTPS(t *testing.T, s *Stack) {
	resp, err := s.Client(f.lb).Get("http://" + f.a.domain + "/some/path?x=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "https://"+f.a.domain+"/some/path?x=1" {
		t.Errorf("http:// answered %d, Location %q; want 301 to the same URL over https", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func (f *fleetRun) whoamiAll(t *testing.T, s *Stack) map[string]map[string]any {
	t.Helper()
	c := s.Client(f.lb)
	seen := map[string]map[string]any{}
	for i := 0; i < 4*len(f.servers) && len(seen) < len(f.servers); i++ {
		w := getJSON(t, c, "https://"+f.a.domain+f.a.whoami)
		seen[fmt.Sprint(w["server"])] = w
	}
	if len(seen) != len(f.servers) {
		t.Fatalf("the balancer reached %d servers of %d", len(seen), len(f.servers))
	}
	return seen
}

func (f *fleetRun) appSeesHTTPSAndTheClient(t *testing.T, s *Stack) {
	for name, w := range f.whoamiAll(t, s) {
		scheme := w["scheme"]
		if f.sc.tier == "nextcloud" {
			scheme = w["protocol"]
		}
		if scheme != "https" || w["client_ip"] != ClientIP {
			t.Errorf("%s: the app sees scheme %v and client %v; want https and %s (the balancer trusted as proxy)", name, scheme, w["client_ip"], ClientIP)
		}
	}
}

func (f *fleetRun) configurationIsTheTiers(t *testing.T, s *Stack) {
	for name, w := range f.whoamiAll(t, s) {
		if f.sc.tier == "laravel" {
			want := map[string]any{"db_host": DBHost, "app_url": "https://" + f.a.domain, "config_cached": true, "app_env": "production"}
			if f.sc.redis {
				want["session_driver"], want["cache_store"] = "redis", "redis"
			} else {
				want["session_driver"], want["cache_store"] = "database", "database"
			}
			if f.sc.workerGroup {
				want["cache_store"] = "redis"
			}
			for k, v := range want {
				if w[k] != v {
					t.Errorf("%s: %s = %v; want %v (the tier's, not the golden server's cached configuration)", name, k, w[k], v)
				}
			}
		} else {
			want := map[string]any{"dbhost": fmt.Sprintf("%s:%d", DBHost, f.sc.dbPort()), "host": f.a.domain, "overwrite_cli_url": "https://" + f.a.domain, "cache": "ok"}
			for k, v := range want {
				if w[k] != v {
					t.Errorf("%s: %s = %v; want %v", name, k, w[k], v)
				}
			}
		}
	}
	// The AMI's REDIS_PASSWORD is stale: the sessions work only with the
	// password the tier read from RedisAuthSecret.
	for _, srv := range f.servers {
		if !f.sc.redis {
			break
		}
		if env := srv.Must(t, "cat", f.a.appDir+"/.env"); !strings.Contains(env, "\nREDIS_PASSWORD="+RedisToken+"\n") {
			t.Errorf("%s: .env lacks REDIS_PASSWORD from %s", srv.Name, RedisAuthSecret)
		}
	}
}

func (f *fleetRun) databaseIsTLS(t *testing.T, s *Stack) {
	for name, w := range f.whoamiAll(t, s) {
		if w["db_error"] != nil && w["db_error"] != "" || w["db_tls"] == nil || w["db_tls"] == "" {
			t.Errorf("%s: database TLS %v, error %v; want a TLS cipher", name, w["db_tls"], w["db_error"])
		}
	}
}

// direct asks a server itself, bypassing the balancer, as the balancer does.
func direct(t *testing.T, srv *Server, host, path string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+srv.IP+path, nil)
	req.Host = host
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return decode(t, resp)
}

func (f *fleetRun) wrongCAIsRefused(t *testing.T, s *Stack) {
	srv := f.servers[0]
	bundle := database.CABundleFile
	srv.Must(t, "cp", bundle, bundle+".e2e")
	ctx := context.Background()
	if _, err := srv.Exec(ctx, s.WrongCA.PEM, "sh", "-c", "cat >"+bundle); err != nil {
		t.Fatal(err)
	}
	w := direct(t, srv, f.a.domain, f.a.whoami)
	srv.Must(t, "mv", bundle+".e2e", bundle)
	if w["db_tls"] != nil && w["db_tls"] != "" || w["db_error"] == nil || w["db_error"] == "" {
		t.Errorf("%s: with a CA bundle that did not sign the database's certificate the app connected (tls %v, error %v); want a refused connection", srv.Name, w["db_tls"], w["db_error"])
	}
	t.Logf("%s with a wrong CA: %v", srv.Name, w["db_error"])
	if w := direct(t, srv, f.a.domain, f.a.whoami); w["db_tls"] == nil || w["db_tls"] == "" {
		t.Errorf("%s: with the right bundle back: tls %v, error %v", srv.Name, w["db_tls"], w["db_error"])
	}
}

func (f *fleetRun) sessionsSurvive(t *testing.T, s *Stack) {
	c := s.Client(f.lb)
	servers := map[string]bool{}
	for i := 1; i <= 3*len(f.servers); i++ {
		w := getJSON(t, c, "https://"+f.a.domain+f.a.session)
		servers[fmt.Sprint(w["server"])] = true
		if fmt.Sprint(w["count"]) != fmt.Sprint(i) {
			t.Fatalf("request %d on %v: the session's count is %v; want %d (the session was lost moving between servers)", i, w["server"], w["count"], i)
		}
	}
	if len(servers) < 2 {
		t.Errorf("every request reached %v; want several servers", servers)
	}
}

func (f *fleetRun) uploadsLand(t *testing.T, s *Stack) {
	if f.sc.efs {
		t.Skip("files stay in the data directory on the file system: DataDirectoryIsSharedAndMountedFirst")
	}
	c := s.Client(f.lb)
	body := "uploaded through " + f.sc.name + " " + randomAlnum(8)
	resp, err := c.Post("https://"+f.a.domain+f.a.upload, "text/plain", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	w := decode(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("upload answered %d: %v", resp.StatusCode, w)
	}
	key := fmt.Sprint(w["key"])
	obj, err := s.S3.HeadObject(Bucket, key)
	if err != nil || obj == nil || obj.Size != int64(len(body)) {
		t.Errorf("object %s in %s: %v (size %v); want the %d bytes uploaded", key, Bucket, err, obj, len(body))
	}
	for _, r := range s.S3Requests() {
		if r.SignatureError != "" {
			t.Errorf("S3 request %s %s from %s: %s", r.Method, r.Path, r.From, r.SignatureError)
		}
	}
	// The instance role, not access keys: the golden server's are gone from
	// the app's settings and from its cached configuration.
	if f.sc.tier == "laravel" && w["credentials"] != "instance-role" {
		t.Errorf("the upload was signed with %v; want the instance role's credentials", w["credentials"])
	}
	for _, srv := range f.servers {
		out, _ := srv.Exec(context.Background(), "", "grep", "-rIlsE", `AKIA|^\s*AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY)=`,
			f.a.appDir+"/.env", f.a.appDir+"/config", f.a.appDir+"/bootstrap/cache")
		if strings.TrimSpace(out) != "" {
			t.Errorf("%s: access keys in %s", srv.Name, out)
		}
	}
}

func (f *fleetRun) scheduledJobsOnSingletonOnly(t *testing.T, s *Stack) {
	for _, srv := range f.servers {
		t.Logf("%s cron tick:\n%s", srv.Name, srv.CronTick(t))
	}
	out, err := s.Query(f.sc.dbKind(), "SELECT DISTINCT host FROM "+f.a.table)
	if err != nil {
		t.Fatal(err)
	}
	hosts := strings.Fields(out)
	if len(hosts) != 1 || hosts[0] != f.singleton.Name {
		t.Errorf("scheduled jobs ran on %v; want the singleton %s only", hosts, f.singleton.Name)
	}
}

func (f *fleetRun) sharedInstanceSecrets(t *testing.T, s *Stack) {
	var first map[string]any
	for name, w := range f.whoamiAll(t, s) {
		if first == nil {
			first = w
		}
		for _, k := range []string{"instanceid", "passwordsalt", "secret"} {
			if w[k] != first[k] || w[k] == "" {
				t.Errorf("%s: %s = %v, another server has %v; every server must share it", name, k, w[k], first[k])
			}
		}
	}
}

func (f *fleetRun) healthOnlyAfterBoot(t *testing.T) {
	for _, srv := range f.servers {
		if st := f.downFirst[srv.Name]; strings.HasPrefix(st, "UP") {
			t.Errorf("%s: healthy (%s) with its enabled services started, before its user data ran: a copy of the golden server must not take traffic", srv.Name, st)
		}
		up, ran := f.firstUp[srv.Name], f.userDataAt[srv.Name]
		if up.IsZero() || up.Before(ran) {
			t.Errorf("%s: first healthy at %s, its user data started at %s; want healthy only after the boot", srv.Name, up.Format(time.StampMilli), ran.Format(time.StampMilli))
		}
	}
}

func (f *fleetRun) failingStepLeavesServerOut(t *testing.T, s *Stack) {
	b := f.boots[f.bad.Name]
	if b.Err == nil || !strings.Contains(b.Log, "AccessDeniedException") {
		t.Errorf("%s: the boot with a denied secret ended %v; log:\n%s", f.bad.Name, b.Err, b.Log)
	}
	if _, up := f.firstUp[f.bad.Name]; up || strings.HasPrefix(f.lb.Status(f.bad.Name), "UP") {
		t.Errorf("%s: the balancer saw the failed server healthy", f.bad.Name)
	}
	if out, _ := f.bad.Exec(context.Background(), "", "cat", "/var/lib/tierkit/boot-failed"); !strings.Contains(out, "step "+f.a.secretStep+" failed") {
		t.Errorf("%s: the boot-failed marker is %q; want the step that reads the secret, %s, named failed", f.bad.Name, out, f.a.secretStep)
	}
	// CloudFormation (and the lifecycle hook) learn of it at once, rather
	// than after the boot timeout.
	sigs := signalsOf(s, f.bad)
	want := []fakeaws.Signal{{Action: "SignalResource", Stack: StackID, Resource: f.bad.Tags.SignalResource, Status: "FAILURE", UniqueID: f.bad.InstanceID}}
	if f.bad.Tags.LifecycleHook != "" {
		want = append(want, fakeaws.Signal{Action: "CompleteLifecycleAction", Stack: fakeaws.GroupName, Resource: f.bad.Tags.LifecycleHook, Status: "ABANDON", UniqueID: f.bad.InstanceID})
	}
	if !slices.Equal(sigs, want) {
		t.Errorf("%s: the failed boot signalled %+v; want %+v", f.bad.Name, sigs, want)
	}
}

// signalsOf returns the signals sent for srv (its instance ID: unique to
// each server launched in the run).
func signalsOf(s *Stack, srv *Server) []fakeaws.Signal {
	var out []fakeaws.Signal
	for _, sig := range s.Secrets.Signals() {
		if sig.UniqueID == srv.InstanceID {
			out = append(out, sig)
		}
	}
	return out
}

// everyServerSignalsSuccessOnce: each server that booted told CloudFormation
// so, once, for the resource its tag names (its own instance, or its group),
// and completed its group's launch lifecycle hook, each call signed with the
// instance role.
func (f *fleetRun) everyServerSignalsSuccessOnce(t *testing.T, s *Stack) {
	for _, srv := range f.servers {
		id := srv.Tags.SignalResource
		r, ok := f.tpl.Resources("AWS::EC2::Instance")[id]
		if !ok {
			r, ok = f.tpl.Resources("AWS::AutoScaling::AutoScalingGroup")[id]
		}
		if policy, _ := r["CreationPolicy"].(map[string]any); !ok || policy["ResourceSignal"] == nil {
			t.Errorf("%s: tagged to signal %q, which is not an instance or group of the template waiting for signals (CreationPolicy %v)", srv.Name, id, r["CreationPolicy"])
		}
		want := []fakeaws.Signal{{Action: "SignalResource", Stack: StackID, Resource: id, Status: "SUCCESS", UniqueID: srv.InstanceID}}
		if f.sc.autoscaling {
			if srv.Tags.LifecycleHook != fleet.LifecycleHookName {
				t.Errorf("%s: a group's server tagged with lifecycle hook %q; want %q", srv.Name, srv.Tags.LifecycleHook, fleet.LifecycleHookName)
			}
			want = append(want, fakeaws.Signal{Action: "CompleteLifecycleAction", Stack: fakeaws.GroupName, Resource: fleet.LifecycleHookName, Status: "CONTINUE", UniqueID: srv.InstanceID})
		}
		// A refused signal would show a SignatureError here.
		if got := signalsOf(s, srv); !slices.Equal(got, want) {
			t.Errorf("%s: signalled %+v; want exactly %+v", srv.Name, got, want)
		}
		if b := f.boots[srv.Name]; !strings.Contains(b.Log, "signalled SUCCESS to CloudFormation for "+id) {
			t.Errorf("%s: the boot log does not say it signalled SUCCESS for %s:\n%s", srv.Name, id, tail(b.Log, 2000))
		}
	}
}

// bootScriptCameFromS3: every server (the denied one too: its role may read
// the script, not the secrets) fetched the boot script once, from its own
// address, signed with the instance role, at the asset's place in the
// bootstrap bucket; what runs is the asset with every deploy-time value
// filled in, in the instance's own cloud-init directory.
func (f *fleetRun) bootScriptCameFromS3(t *testing.T, s *Stack) {
	host := f.boot.Bucket + ".s3." + fakeaws.Region + ".amazonaws.com"
	gets := map[string][]S3Request{}
	for _, r := range s.S3Requests()[f.s3From:] {
		if r.Path == "/"+f.boot.Key {
			gets[r.From] = append(gets[r.From], r)
		}
	}
	want := strings.TrimRight(f.boot.Deployed(), "\n") + "\n"
	servers := append([]*Server(nil), f.servers...)
	if f.bad != nil {
		servers = append(servers, f.bad)
	}
	for _, srv := range servers {
		g := gets[srv.IP]
		if len(g) != 1 || g[0].Method != http.MethodGet || g[0].Host != host || g[0].SignatureError != "" {
			t.Errorf("%s: requests for the boot script from %s: %+v; want one GET to %s, signed with the role", srv.Name, srv.IP, g, host)
		}
		if b := f.boots[srv.Name]; !strings.Contains(b.Log, "boot script fetched from s3://"+f.boot.Bucket+"/"+f.boot.Key+", SHA-256 checked") {
			t.Errorf("%s: the boot log does not say the script was fetched and checked:\n%s", srv.Name, tail(b.Log, 2000))
		}
		dir := srv.Must(t, "readlink", "-f", "/var/lib/cloud/instance/tierkit")
		if strings.TrimSpace(dir) != "/var/lib/cloud/instances/"+srv.InstanceID+"/tierkit" {
			t.Errorf("%s: the loader's directory is %s; want the instance's own, below /var/lib/cloud/instances/%s", srv.Name, dir, srv.InstanceID)
		}
		installed := srv.Must(t, "cat", "/var/lib/cloud/instance/tierkit/boot.sh")
		if i := strings.Index(installed, "@tierkit:"); i >= 0 {
			t.Errorf("%s: the installed boot.sh still holds a placeholder: %q", srv.Name, installed[i:min(len(installed), i+40)])
		}
		if installed != want {
			t.Errorf("%s: the installed boot.sh (%d bytes) is not the asset with the deploy-time values filled in (%d bytes)", srv.Name, len(installed), len(want))
		}
	}
}

// secondBootRefreshesASecret: the database password changes (a rotation)
// and one server starts again, as after a stop and start: cloud-init runs
// the per-boot hook, the loader runs the cached boot script again, which
// reads the secret anew. Nothing is fetched or signalled again.
func (f *fleetRun) secondBootRefreshesASecret(t *testing.T, s *Stack) {
	srv := f.servers[0]
	dbID := f.secretIDs["database"]
	setPassword := func(password string) {
		t.Helper()
		if err := s.SetDBPassword(f.sc.dbKind(), password); err != nil {
			t.Fatal(err)
		}
		secrets := maps.Clone(s.Secrets.Secrets)
		secrets[dbID] = maps.Clone(secrets[dbID])
		secrets[dbID]["password"] = password
		s.Secrets.Secrets = secrets
	}
	restartUp := func(what string) Boot {
		t.Helper()
		b := srv.Restart()
		t.Logf("%s: %s took %.1f s (%v)", srv.Name, what, b.Duration.Seconds(), b.Err)
		if _, err := f.lb.WaitStatus(srv.Name, "UP", 15*time.Second); err != nil {
			t.Errorf("after %s: %v", what, err)
		}
		return b
	}
	s3Before, sigsBefore := len(s.S3Requests()), signalsOf(s, srv)
	newPassword := "e2e-db-Rot-" + randomAlnum(16)
	setPassword(newPassword)
	// Whatever happens here, the later subtests find the old password on
	// the database, in the secret and on the server (a third start).
	defer func() {
		setPassword(s.DBPassword)
		if b := restartUp("the start with the password restored"); b.Err != nil || !strings.Contains(b.Log, "boot succeeded") {
			t.Errorf("%s: the start with the password restored failed: %v\n%s", srv.Name, b.Err, tail(b.Console, 4000))
		}
		for _, other := range f.servers {
			if _, err := f.lb.WaitStatus(other.Name, "UP", 15*time.Second); err != nil {
				t.Errorf("with the password restored: %v", err)
			}
		}
	}()

	b := restartUp("the second start")
	if b.Err != nil || !strings.Contains(b.Log, "boot succeeded") {
		t.Fatalf("%s: the second boot failed: %v\n%s", srv.Name, b.Err, tail(b.Console, 4000))
	}
	if out, _ := srv.Exec(context.Background(), "", "sh", "-c", "cat /var/lib/tierkit/boot-ok && ! test -e /var/lib/tierkit/boot-failed"); strings.TrimSpace(out) == "" {
		t.Errorf("%s: after the second boot: boot-ok %q (want a date), or a boot-failed marker", srv.Name, out)
	}
	for _, r := range s.S3Requests()[s3Before:] {
		if r.From == srv.IP {
			t.Errorf("%s: the second boot requested %s %s from S3; want the cached, checked copy used", srv.Name, r.Method, r.Path)
		}
	}
	if strings.Contains(b.Log, "boot script fetched") {
		t.Errorf("%s: the second boot fetched the boot script again:\n%s", srv.Name, tail(b.Log, 2000))
	}
	if got := signalsOf(s, srv); !slices.Equal(got, sigsBefore) {
		t.Errorf("%s: signals after the second boot %+v; want only the first boot's %+v (CloudFormation takes one per instance)", srv.Name, got, sigsBefore)
	}

	// The application's configuration holds the new password.
	files := []string{f.a.appDir + "/" + nextcloud.ConfigFile}
	if f.sc.tier == "laravel" {
		files = []string{f.a.appDir + "/.env", f.a.appDir + "/bootstrap/cache/config.php"}
	}
	for _, file := range files {
		text := srv.Must(t, "cat", file)
		if !strings.Contains(text, newPassword) || strings.Contains(text, s.DBPassword) {
			t.Errorf("%s: %s does not hold the new password (or still holds the old one)", srv.Name, file)
		}
	}

	// The database now takes only the new password: the app connects.
	c := s.Client(f.lb)
	var w map[string]any
	for i := 0; i < 8*len(f.servers) && w == nil; i++ {
		resp, err := c.Get("https://" + f.a.domain + f.a.whoami)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var got map[string]any
		if resp.StatusCode == http.StatusOK && json.Unmarshal(b, &got) == nil && got["server"] == srv.Name {
			w = got
		}
	}
	if w == nil {
		t.Fatalf("the balancer never reached %s", srv.Name)
	}
	if w["db_tls"] == nil || w["db_tls"] == "" || w["db_error"] != nil && w["db_error"] != "" {
		t.Errorf("%s through the balancer with the new password: database TLS %v, error %v; want connected", srv.Name, w["db_tls"], w["db_error"])
	}
}

// load is clients requesting the session page through the balancer until
// stopped, each with its own session.
type load struct {
	mu       sync.Mutex
	ok, fail int
	errors   []string
	lost     int // a session count that did not follow the previous one (nor a failed request's)
	stop     chan struct{}
	wg       sync.WaitGroup
}

func (f *fleetRun) startLoad(s *Stack, clients int) *load {
	l := &load{stop: make(chan struct{})}
	for i := 0; i < clients; i++ {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			c := s.Client(f.lb)
			// unanswered counts the failed requests since the last answer:
			// a server killed after it saved the session, before it
			// answered, moved the count on with no answer (the ALB does not
			// re-send either), so the next one may skip that many.
			count, unanswered := 0, 0
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				resp, err := c.Get("https://" + f.a.domain + f.a.session)
				var w map[string]any
				if err == nil {
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 || json.Unmarshal(b, &w) != nil {
						err = fmt.Errorf("%d %s", resp.StatusCode, tail(string(b), 200))
					}
				}
				l.mu.Lock()
				if err != nil {
					l.fail++
					unanswered++
					l.errors = append(l.errors, err.Error())
				} else {
					l.ok++
					next := -1
					fmt.Sscan(fmt.Sprint(w["count"]), &next)
					if next < count+1 || next > count+1+unanswered {
						l.lost++
					}
					count, unanswered = next, 0
				}
				l.mu.Unlock()
			}
		}()
	}
	return l
}

func (l *load) end() (ok, fail, lost int, errs []string) {
	close(l.stop)
	l.wg.Wait()
	return l.ok, l.fail, l.lost, l.errors
}

// failoverDrill is article 004's test, offline, while clients work: a
// server drained and stopped, then started again (the web server only, as
// the stop/start of scripts/drill; the user data does not run again),
// then another server killed abruptly.
func (f *fleetRun) failoverDrill(t *testing.T, s *Stack) {
	const clients = 4
	drained, killed := f.servers[0], f.servers[1]
	l := f.startLoad(s, clients)
	time.Sleep(time.Second)
	if err := f.lb.SetState(drained, "drain"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for f.lb.Sessions(drained) != "0" && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	drained.Must(t, "systemctl", "stop", f.sc.web)
	if err := f.lb.SetState(drained, "maint"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	drained.Must(t, "systemctl", "start", f.sc.web)
	if err := f.lb.SetState(drained, "ready"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.lb.WaitStatus(drained.Name, "UP", 15*time.Second); err != nil {
		t.Error(err)
	}
	ok, fail, lost, errs := l.end()
	t.Logf("drained, stopped and started %s: %d requests answered, %d failed, %d sessions broken", drained.Name, ok, fail, lost)
	if fail > 0 || lost > 0 || ok == 0 {
		t.Errorf("draining %s: %d failed requests and %d broken sessions of %d; want none: %v", drained.Name, fail, lost, ok+fail, errs)
	}

	l = f.startLoad(s, clients)
	time.Sleep(time.Second)
	killed.Kill()
	took, err := f.lb.WaitStatus(killed.Name, "DOWN", 15*time.Second)
	if err != nil {
		t.Error(err)
	}
	time.Sleep(time.Second)
	ok, fail, lost, errs = l.end()
	t.Logf("killed %s: the balancer took it out %.2f s after the kill (checks every 1 s, 2 failures); %d requests answered, %d failed, %d sessions broken", killed.Name, took.Seconds(), ok, fail, lost)
	if fail > clients || lost > 0 || ok == 0 {
		t.Errorf("killing %s: %d failed requests (at most %d were in flight) and %d broken sessions: %v", killed.Name, fail, clients, lost, errs)
	}
}

// sessionLockExpires measures what a user waits whose server died while
// one of their requests held the PHP session lock in Redis.
func (f *fleetRun) sessionLockExpires(t *testing.T, s *Stack) {
	alive := f.singleton
	var victim *Server
	for _, srv := range f.servers {
		if srv != alive && strings.HasPrefix(f.lb.Status(srv.Name), "UP") {
			victim = srv
		}
	}
	if victim == nil {
		t.Fatal("no server in service but the singleton")
	}
	c := s.Client(f.lb)
	getJSON(t, c, "https://"+f.a.domain+f.a.session)
	u, _ := http.NewRequest(http.MethodGet, "https://"+f.a.domain, nil)
	var cookie []string
	for _, ck := range c.Jar.Cookies(u.URL) {
		cookie = append(cookie, ck.Name+"="+ck.Value)
	}
	// The request that holds the lock, on the victim, directly.
	go func() {
		req, _ := http.NewRequest(http.MethodGet, "http://"+victim.IP+f.a.session+"?hold=60", nil)
		req.Host = f.a.domain
		req.Header.Set("X-Forwarded-Proto", "https")
		req.Header.Set("Cookie", strings.Join(cookie, "; "))
		if resp, err := (&http.Client{Timeout: 90 * time.Second}).Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	time.Sleep(1500 * time.Millisecond)
	victim.Kill()
	start := time.Now()
	w := getJSON(t, c, "https://"+f.a.domain+f.a.session)
	waited := time.Since(start)
	t.Logf("the next request of a user whose server died holding the session lock answered after %.1f s (on %v)", waited.Seconds(), w["server"])
	// The lock was taken 1.5 s before the kill and lives 10 s (the tier's
	// redis.session.lock_expire); without it, an hour (Nextcloud's
	// max_execution_time).
	if waited > 10*time.Second {
		t.Errorf("the next request waited %.1f s for the dead server's session lock; want at most the lock's 10 s", waited.Seconds())
	}
}

// probe is what a health check of the server gets: status and body.
func probe(ip, path string) string {
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + ip + path)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return fmt.Sprintf("%d %s", resp.StatusCode, tail(string(b), 300))
}

func getJSON(t *testing.T, c *http.Client, url string) map[string]any {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, tail(string(b), 2000))
	}
	return decode(t, resp)
}

func decode(t *testing.T, resp *http.Response) map[string]any {
	t.Helper()
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var w map[string]any
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatalf("%s: not JSON (%d): %s", resp.Request.URL, resp.StatusCode, tail(string(b), 2000))
	}
	return w
}

func randomAlnum(n int) string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		x, _ := rand.Int(rand.Reader, big.NewInt(int64(len(chars))))
		b[i] = chars[x.Int64()]
	}
	return string(b)
}
