// Package laravel is the Laravel API tier: a Laravel application (the API of
// a separate frontend, such as a Nuxt site at example.com calling
// api.example.com) served by a fleet of copies of one working server, as
// article 000 built by hand. It composes the web tier and adds the Laravel
// part: at boot, every server gets the same .env settings for this
// deployment (the database from Secrets Manager over TLS, shared sessions and
// cache, S3 uploads with the instance role, the load balancer as trusted
// proxy, the frontend's origins), its configuration is cached as the web
// user, the AMI's own cron entries are disabled and Laravel's scheduler runs
// on exactly one server.
package laravel

import (
	_ "embed"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/constructs/database"
	"github.com/tierkit/tierkit/constructs/edge"
	"github.com/tierkit/tierkit/constructs/firewall"
	"github.com/tierkit/tierkit/constructs/fleet"
	"github.com/tierkit/tierkit/constructs/logs"
	"github.com/tierkit/tierkit/constructs/monitoring"
	"github.com/tierkit/tierkit/constructs/network"
	"github.com/tierkit/tierkit/constructs/storage"
	"github.com/tierkit/tierkit/constructs/webtier"
)

// Files and addresses the boot steps use on every server.
const (
	// SchedulerCronFile is the tier's cron entry for Laravel's scheduler.
	SchedulerCronFile = "/etc/cron.d/tierkit-scheduler"
	// DisabledSuffix ends the name a disabled cron file is renamed to (boot.DisabledCronSuffix).
	DisabledSuffix = boot.DisabledCronSuffix
)

// Defaults of the optional props.
const (
	defaultHealthCheckPath = "/up"
	defaultAppPath         = "/var/www/html"
	defaultAppEnv          = "production"
	defaultWebServer       = "apache2"
	defaultWebUser         = "www-data"
	defaultSessionDriver   = "database"
	defaultCacheStore      = "database"
	defaultRedisPort       = 6379
	defaultLogChannel      = "daily"
	defaultScheduler       = "single-node"
	defaultCronFile        = "/etc/cron.d/laravel"
	defaultDatabaseName    = "app" // the database block's default
)

// The values the string props accept.
var (
	webServers     = []string{"apache2", "httpd", "nginx"}
	sessionDrivers = []string{"database", "redis", "dynamodb", "cookie", "file", "array"}
	cacheStores    = []string{"database", "redis", "dynamodb", "file", "array"}
	logChannels    = []string{"daily", "single"}
	schedulers     = []string{"single-node", "off", "every-node"}
	// serverLocal are the drivers that keep their data on one server.
	serverLocal = []string{"file", "array"}
)

var (
	// appPathPattern leaves out %, which ends a command in a crontab line.
	appPathPattern = regexp.MustCompile(`^/[A-Za-z0-9@+=:,._/-]*$`)
	unitPattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9@._-]{0,99}$`)
	userPattern    = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)
	appEnvPattern  = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)
	hostPattern    = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)
)

// APIProps configures an APITier. The block props (Network, Boot, Fleet,
// Edge, Database, Uploads, Logs) are passed to the web tier, whose rules
// apply: the fields that wire the blocks together stay empty. The tier's
// own settings come first, then the caller's, then each block's defaults.
type APIProps struct {
	// DomainName is the name the API serves, e.g. "api.example.com"; APP_URL
	// is https:// and this name. Required.
	DomainName string

	// Zone is the Route53 hosted zone that holds DomainName, e.g. from
	// awsroute53.HostedZone_FromHostedZoneAttributes (no lookup). Required.
	Zone awsroute53.IHostedZone

	// Image is the golden server's AMI: the Laravel application in AppPath,
	// its .env with APP_KEY, the web server, PHP with its extensions, curl
	// 7.75 or later and a cron daemon. Required.
	Image awsec2.IMachineImage

	// HealthCheckPath is the path the load balancer checks.
	//
	// Default: "/up", Laravel 11's health route (200 once the application boots).
	HealthCheckPath string

	// Network configures the VPC, or passes an existing one.
	//
	// Default: a new VPC with the network block's defaults.
	Network network.Props

	// Boot configures the boot script: GoldenIP and IPFiles for the article's
	// vhost and /etc/hosts fix. WebServer is set by the tier from WebServer;
	// AgentConfig by the web tier.
	//
	// Default: no golden IP rewrite.
	Boot boot.Props

	// Fleet configures the servers. Singleton is set by the tier when
	// Scheduler is "single-node" (in AutoScaling mode that adds a one-server
	// group); Vpc, Image and Boot by the web tier.
	//
	// Default: an Auto Scaling group of 2 to 4 t3.small.
	Fleet fleet.Props

	// Edge configures the load balancer (certificate, TLS policy, ...).
	//
	// Default: the edge block's defaults.
	Edge edge.Props

	// Database configures the database (engine, size, ...) or passes an
	// existing one, whose secret must hold username and password.
	//
	// Default: MySQL 8.4, Multi-AZ.
	Database database.Props

	// Uploads configures the uploads bucket; FrontendOrigins are added to
	// its CORSOrigins.
	//
	// Default: the storage block's defaults.
	Uploads storage.Props

	// AlarmEmails receive the tier's alarms and the Auto Scaling
	// notifications (each address confirms its subscription once).
	//
	// Default: none; subscribe to the topic (MonitoringTopic) later.
	AlarmEmails []string

	// Monitoring configures the alarms' thresholds, or brings the topic they
	// notify; the watched resources are set by the tier.
	//
	// Default: the monitoring block's thresholds and a new encrypted topic.
	Monitoring monitoring.Props

	// Firewall configures the AWS WAF web ACL in front of the load balancer.
	//
	// Default: the firewall block's defaults (AWS managed common, known bad inputs, SQL
	// injection and PHP rules; bodies over 8 KB counted, not blocked; 2000
	// requests per IP per 5 minutes).
	Firewall firewall.Props

	// DisableFirewall leaves the load balancer without a web ACL, e.g. when
	// AWS Firewall Manager manages one.
	//
	// Default: false.
	DisableFirewall bool

	// Logs configures the log groups; the tier adds one for the
	// application's log files (AppPath/storage/logs/*.log).
	//
	// Default: one year of retention.
	Logs logs.Props

	// AppPath is the Laravel application's root on the AMI (where artisan
	// and .env are): a clean absolute path of letters, digits and @+=:,._/-.
	//
	// Default: "/var/www/html".
	AppPath string

	// AppEnv is written as APP_ENV (APP_DEBUG is always false: the API faces
	// the internet, and Laravel's debug page shows the environment, the
	// database password included).
	//
	// Default: "production".
	AppEnv string

	// WebServer is the systemd unit serving the application: "apache2"
	// (Ubuntu, the article's), "httpd" (Amazon Linux) or "nginx". The boot
	// script stops it first and starts it last; its logs are shipped.
	//
	// Default: "apache2".
	WebServer string

	// PHPFPMUnit is the PHP-FPM systemd unit restarted after the
	// configuration is cached, e.g. "php8.3-fpm" (Ubuntu) or "php-fpm"
	// (Amazon Linux); needed with nginx, and with Apache through proxy_fcgi,
	// so that no worker keeps the AMI's configuration in its opcache.
	//
	// Default: "", no PHP-FPM unit is restarted (Apache's mod_php restarts
	// with Apache).
	PHPFPMUnit string

	// WebUser is the user PHP runs as: it owns storage/ and bootstrap/cache,
	// reads .env (mode 0640, owner root, group WebUser) and runs artisan and
	// the scheduler.
	//
	// Default: "www-data".
	WebUser string

	// SessionDriver is SESSION_DRIVER: "database" (the article's choice;
	// needs the sessions table), "redis" (needs RedisHost), "dynamodb" (the
	// tier creates the table), or "cookie". "file" and "array" keep sessions
	// on one server and are refused unless exactly one server can serve
	// (Fleet Mode Fixed with Instances 1).
	//
	// Default: "database".
	SessionDriver string

	// CacheStore is CACHE_STORE, the store shared by every server, which
	// also holds the scheduler's onOneServer locks: "database" (needs the
	// cache and cache_locks tables), "redis" (needs RedisHost) or "dynamodb"
	// (the tier creates the table). "file" and "array" are refused unless
	// exactly one server can serve.
	//
	// Default: "database".
	CacheStore string

	// RedisHost is REDIS_HOST, e.g. an ElastiCache endpoint (a token is
	// fine). Required when SessionDriver or CacheStore is "redis", refused
	// otherwise. The tier creates no Redis: let the fleet in with
	// Fleet().Connections().
	//
	// Default: none.
	RedisHost string

	// RedisPort is REDIS_PORT, 1 to 65535; only with RedisHost.
	//
	// Default: 6379.
	RedisPort int

	// RedisTLS writes REDIS_SCHEME=tls (ElastiCache with encryption in
	// transit) instead of tcp; only with RedisHost.
	//
	// Default: false, REDIS_SCHEME=tcp.
	RedisTLS bool

	// FrontendOrigins are the browser origins of the frontend, e.g.
	// "https://example.com" (scheme and host, optional port, no path or
	// trailing slash): FRONTEND_URL is the first, CORS_ALLOWED_ORIGINS all
	// of them comma-joined, SANCTUM_STATEFUL_DOMAINS their hosts; they are
	// also added to the uploads bucket's CORSOrigins.
	//
	// Default: none, those keys are left as the AMI has them.
	FrontendOrigins []string

	// LogChannel is LOG_CHANNEL: "daily" (storage/logs/laravel-YYYY-MM-DD.log)
	// or "single" (storage/logs/laravel.log), both shipped to CloudWatch.
	// Channels that write elsewhere (stderr, syslog, errorlog, stack) are
	// refused: the agent ships files from storage/logs only.
	//
	// Default: "daily".
	LogChannel string

	// Scheduler is where `php artisan schedule:run` runs every minute:
	// "single-node", on exactly one server (the fleet's singleton, in both
	// fleet modes); "off", nowhere; "every-node", on every server, refused
	// unless exactly one server can serve (Fleet Mode Fixed with Instances 1).
	//
	// Default: "single-node".
	Scheduler string

	// CronFiles are the AMI's own cron entries for the application (the
	// golden server's scheduler), disabled at boot on every server whatever
	// Scheduler says: each is renamed to a hidden name ending in
	// DisabledSuffix, which neither Debian's cron nor cronie reads. A listed
	// file that does not exist is skipped. Clean absolute paths, each once.
	// An empty non-nil slice disables nothing.
	//
	// Default: ["/etc/cron.d/laravel"].
	CronFiles []string
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// singleServer reports whether exactly one server can ever serve: a Fixed
// fleet of one. An Auto Scaling group always can have more (its maximum is
// above its minimum).
func (p APIProps) singleServer() bool {
	return p.Fleet.Mode == fleet.Fixed && p.Fleet.Instances == 1
}

func (p APIProps) uses(value string) bool {
	return orDefault(p.SessionDriver, defaultSessionDriver) == value || orDefault(p.CacheStore, defaultCacheStore) == value
}

// webtierProps returns the props handed to the web tier: the caller's, with
// the tier's settings applied.
func (p APIProps) webtierProps() webtier.Props {
	bootProps := p.Boot
	bootProps.WebServer = orDefault(p.WebServer, defaultWebServer)
	fleetProps := p.Fleet
	if orDefault(p.Scheduler, defaultScheduler) == "single-node" {
		fleetProps.Singleton = true
	}
	uploads := p.Uploads
	uploads.CORSOrigins = nil
	for _, o := range append(slices.Clone(p.FrontendOrigins), p.Uploads.CORSOrigins...) {
		if !slices.Contains(uploads.CORSOrigins, o) {
			uploads.CORSOrigins = append(uploads.CORSOrigins, o)
		}
	}
	return webtier.Props{
		DomainName:      p.DomainName,
		Zone:            p.Zone,
		Image:           p.Image,
		HealthCheckPath: orDefault(p.HealthCheckPath, defaultHealthCheckPath),
		Network:         p.Network,
		Logs:            p.Logs,
		Boot:            bootProps,
		Fleet:           fleetProps,
		Edge:            p.Edge,
		Database:        p.Database,
		Uploads:         uploads,
		AlarmEmails:     p.AlarmEmails,
		Monitoring:      p.Monitoring,
		Firewall:        p.Firewall,
		DisableFirewall: p.DisableFirewall,
	}
}

// Validate reports what is wrong with p, naming the field and what is
// allowed: the tier's own fields, and the web tier's rules (required fields,
// wiring fields). Each block validates its own settings when it is created.
func (p APIProps) Validate() error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	oneOf := func(field, value string, allowed []string, def string) bool {
		if value != "" && !slices.Contains(allowed, value) {
			add("%s: %q is not supported; allowed: %s (\"\" for the default, %q)", field, value, strings.Join(allowed, ", "), def)
			return false
		}
		return true
	}

	if p.Boot.WebServer != "" {
		add("Boot.WebServer: set by the tier from WebServer; leave it empty")
	}
	if err := p.webtierProps().Validate(); err != nil {
		problems = append(problems, strings.Split(err.Error(), "; ")...)
	}

	if p.AppPath != "" && (!appPathPattern.MatchString(p.AppPath) || path.Clean(p.AppPath) != p.AppPath || p.AppPath == "/") {
		add("AppPath: %q is not a clean absolute directory path; allowed: /, letters, digits and @+=:,._-, e.g. %s", p.AppPath, defaultAppPath)
	}
	if p.AppEnv != "" && !appEnvPattern.MatchString(p.AppEnv) {
		add("AppEnv: %q is not an environment name; allowed: a lower-case letter, then up to 31 lower-case letters, digits, _ or -, e.g. production", p.AppEnv)
	}
	oneOf("WebServer", p.WebServer, webServers, defaultWebServer)
	if p.PHPFPMUnit != "" {
		if !unitPattern.MatchString(p.PHPFPMUnit) {
			add("PHPFPMUnit: %q is not a systemd unit name; allowed: letters, digits and @._-, e.g. php8.3-fpm", p.PHPFPMUnit)
		} else if p.PHPFPMUnit == orDefault(p.WebServer, defaultWebServer) {
			add("PHPFPMUnit: %q is the web server; allowed: the PHP-FPM unit, e.g. php8.3-fpm", p.PHPFPMUnit)
		}
	}
	if p.WebUser != "" && !userPattern.MatchString(p.WebUser) {
		add("WebUser: %q is not a user name; allowed: a lower-case letter or _, then up to 31 lower-case letters, digits, _ or -, e.g. www-data", p.WebUser)
	}

	many := !p.singleServer()
	if oneOf("SessionDriver", p.SessionDriver, sessionDrivers, defaultSessionDriver) && many && slices.Contains(serverLocal, p.SessionDriver) {
		add("SessionDriver: %q keeps sessions on one server, and more than one serves (%s); allowed: database, redis, dynamodb, cookie", p.SessionDriver, p.servers())
	}
	if oneOf("CacheStore", p.CacheStore, cacheStores, defaultCacheStore) && many && slices.Contains(serverLocal, p.CacheStore) {
		add("CacheStore: %q is not shared between servers, and more than one serves (%s); allowed: database, redis, dynamodb", p.CacheStore, p.servers())
	}
	if p.uses("redis") {
		if p.RedisHost == "" {
			add("RedisHost: required when SessionDriver or CacheStore is redis")
		} else if !*awscdk.Token_IsUnresolved(jsii.String(p.RedisHost)) && !hostPattern.MatchString(p.RedisHost) {
			add("RedisHost: %q is not a host name or IPv4 address; allowed: e.g. my-cache.abc123.use1.cache.amazonaws.com", p.RedisHost)
		}
		if p.RedisPort < 0 || p.RedisPort > 65535 {
			add("RedisPort: %d is out of range; allowed: 1 to 65535 (0 for the default, %d)", p.RedisPort, defaultRedisPort)
		}
	} else {
		for field, set := range map[string]bool{"RedisHost": p.RedisHost != "", "RedisPort": p.RedisPort != 0, "RedisTLS": p.RedisTLS} {
			if set {
				add("%s: set, but neither SessionDriver nor CacheStore is redis; allowed: only with redis", field)
			}
		}
	}

	seen := map[string]bool{}
	for i, origin := range p.FrontendOrigins {
		u, err := url.Parse(origin)
		switch {
		case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
			add("FrontendOrigins[%d]: %q is not an origin; allowed: scheme and host (and port), no path or trailing slash, e.g. https://example.com", i, origin)
		case seen[origin]:
			add("FrontendOrigins[%d]: %q is listed twice", i, origin)
		}
		seen[origin] = true
	}

	if p.LogChannel != "" && !slices.Contains(logChannels, p.LogChannel) {
		add("LogChannel: %q does not write to storage/logs, the files the CloudWatch agent ships; allowed: daily, single (\"\" for the default, daily)", p.LogChannel)
	}
	if oneOf("Scheduler", p.Scheduler, schedulers, defaultScheduler) && p.Scheduler == "every-node" && many {
		add("Scheduler: \"every-node\" runs every task on each of several servers (%s); allowed: single-node (with onOneServer for tasks that must not overlap), off", p.servers())
	}
	cron := map[string]bool{}
	for i, f := range p.CronFiles {
		switch {
		case !appPathPattern.MatchString(f) || path.Clean(f) != f || strings.HasSuffix(f, "/"):
			add("CronFiles[%d]: %q is not a clean absolute file path; allowed: /, letters, digits and @+=:,._-, e.g. %s", i, f, defaultCronFile)
		case f == SchedulerCronFile:
			add("CronFiles[%d]: %q is the tier's own scheduler entry", i, f)
		case cron[f]:
			add("CronFiles[%d]: %q is listed twice", i, f)
		}
		cron[f] = true
	}

	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// servers describes how many servers can serve, for error messages.
func (p APIProps) servers() string {
	if p.Fleet.Mode == fleet.Fixed {
		n := p.Fleet.Instances
		if n == 0 {
			n = 2
		}
		return fmt.Sprintf("Fleet Mode fixed with %d instances", n)
	}
	return "an Auto Scaling group always can scale to more than one"
}

// APITier is a Laravel API served by a fleet behind a load balancer.
type APITier struct {
	constructs.Construct
	tier      *webtier.Tier
	table     awsdynamodb.Table
	appLogs   awslogs.LogGroup
	envKeys   []string
	removed   []string
	stepNames []string
}

// Tier returns the web tier the API is built on, with every block.
func (t *APITier) Tier() *webtier.Tier { return t.tier }

// LoadBalancer returns the Application Load Balancer.
func (t *APITier) LoadBalancer() awselasticloadbalancingv2.ApplicationLoadBalancer {
	return t.tier.Edge().LoadBalancer()
}

// Database returns the database block.
func (t *APITier) Database() *database.Database { return t.tier.Database() }

// Uploads returns the uploads bucket block.
func (t *APITier) Uploads() *storage.Uploads { return t.tier.Uploads() }

// Fleet returns the servers; its Boot() holds the tier's steps.
func (t *APITier) Fleet() *fleet.Fleet { return t.tier.Fleet() }

// Logs returns the log groups.
func (t *APITier) Logs() *logs.Logs { return t.tier.Logs() }

// AppLogGroup returns the log group of the application's log files
// (AppPath/storage/logs/*.log).
func (t *APITier) AppLogGroup() awslogs.LogGroup { return t.appLogs }

// CacheTable returns the DynamoDB table of the "dynamodb" session driver
// and cache store, or nil when neither uses it.
func (t *APITier) CacheTable() awsdynamodb.Table { return t.table }

// EnvKeys returns the .env keys the boot writes on every server, in order.
func (t *APITier) EnvKeys() []string { return slices.Clone(t.envKeys) }

// RemovedEnvKeys returns the .env keys the boot removes because they would
// override the tier's settings (access keys instead of the instance role, a
// DB_URL pointing at the golden server's database, ...).
func (t *APITier) RemovedEnvKeys() []string { return slices.Clone(t.removed) }

// BootSteps returns the names of the boot steps the tier added, in order.
func (t *APITier) BootSteps() []string { return slices.Clone(t.stepNames) }

// NewAPITier creates the tier. It panics, naming id, when props are invalid.
func NewAPITier(scope constructs.Construct, id string, props *APIProps) *APITier {
	p := APIProps{}
	if props != nil {
		p = *props
		p.FrontendOrigins = slices.Clone(props.FrontendOrigins)
		p.CronFiles = slices.Clone(props.CronFiles)
	}
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("laravel %s: %v", id, err))
	}
	p.AppPath = orDefault(p.AppPath, defaultAppPath)
	p.AppEnv = orDefault(p.AppEnv, defaultAppEnv)
	p.WebUser = orDefault(p.WebUser, defaultWebUser)
	p.SessionDriver = orDefault(p.SessionDriver, defaultSessionDriver)
	p.CacheStore = orDefault(p.CacheStore, defaultCacheStore)
	p.LogChannel = orDefault(p.LogChannel, defaultLogChannel)
	p.Scheduler = orDefault(p.Scheduler, defaultScheduler)
	if p.RedisPort == 0 {
		p.RedisPort = defaultRedisPort
	}
	if props == nil || props.CronFiles == nil {
		p.CronFiles = []string{defaultCronFile}
	}

	t := &APITier{}
	constructs.NewConstruct_Override(t, scope, jsii.String(id))
	wp := p.webtierProps()
	// "Default" drops out of every logical ID: the stack's resources keep
	// the IDs of a bare web tier with this tier's id, so a stack can move
	// from webtier.New to NewAPITier without replacing its database.
	t.tier = webtier.New(t, "Default", &wp)
	t.appLogs = t.tier.Logs().AddFile("Laravel", p.AppPath+"/storage/logs/*.log")
	t.tier.Monitoring().LinkLogGroups(t.appLogs)

	if p.uses("dynamodb") {
		t.table = newCacheTable(t)
		t.table.GrantReadWriteData(t.tier.Fleet().Role())
	}

	data := t.stepData(p)
	script := t.tier.Fleet().Boot()
	// The AMI's cron entries go first: until the settings are rendered, they
	// would run against the golden server's.
	if len(data.CronFiles) > 0 {
		script.AddStep("cron-off", boot.DisableCronFilesStep(data.CronFiles))
		t.stepNames = append(t.stepNames, "cron-off")
	}
	for _, s := range steps {
		if s.when != nil && !s.when(data) {
			continue
		}
		script.AddStep(s.name, render(s.tmpl, data))
		t.stepNames = append(t.stepNames, s.name)
	}
	return t
}

// newCacheTable creates the table Laravel's DynamoDB cache store (and the
// dynamodb session driver, which uses that store) reads and writes. Its
// key attribute is "key" and its expiry attribute "expires_at": the names
// of Laravel's default stores.dynamodb.attributes.
func newCacheTable(t *APITier) awsdynamodb.Table {
	// "CacheTable" is part of the table's logical ID: renaming it replaces
	// the table, and every session in it.
	return awsdynamodb.NewTable(t, jsii.String("CacheTable"), &awsdynamodb.TableProps{
		PartitionKey:        &awsdynamodb.Attribute{Name: jsii.String("key"), Type: awsdynamodb.AttributeType_STRING},
		TimeToLiveAttribute: jsii.String("expires_at"),
		BillingMode:         awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		Encryption:         awsdynamodb.TableEncryption_AWS_MANAGED,
		DeletionProtection: jsii.Bool(true),
		RemovalPolicy:      awscdk.RemovalPolicy_RETAIN,
	})
}

// envEntry is one .env setting: a value fixed at synthesis (possibly a CDK
// token, resolved at deploy time), or a shell variable read at boot.
type envEntry struct{ Key, Value, Var string }

// stepData is what the step templates are rendered from.
type stepData struct {
	AppPath, WebUser, PHPFPMUnit, Scheduler string
	CronFiles                               []string
	CronFile, BootOK                        string
	SecretID, DBName                        string
	Env                                     []envEntry
	Drop                                    string
}

func (t *APITier) stepData(p APIProps) stepData {
	db := t.tier.Database()
	port := strconv.Itoa(db.Port())
	if db.Port() == 0 {
		port = *db.Instance().DbInstanceEndpointPort()
	}
	env := []envEntry{
		{Key: "APP_ENV", Value: p.AppEnv},
		{Key: "APP_DEBUG", Value: "false"},
		{Key: "APP_URL", Value: "https://" + p.DomainName},
		{Key: "DB_CONNECTION", Value: connection(db.Engine())},
		{Key: "DB_HOST", Value: db.Endpoint()},
		{Key: "DB_PORT", Value: port},
		{Key: "DB_DATABASE", Var: "dbname"},
		{Key: "DB_USERNAME", Var: "username"},
		{Key: "DB_PASSWORD", Var: "password"},
	}
	if db.Engine() == database.Postgres {
		env = append(env, envEntry{Key: "DB_SSLMODE", Value: "require"}, envEntry{Key: "DB_SSLROOTCERT", Value: database.CABundleFile})
	} else {
		env = append(env, envEntry{Key: "MYSQL_ATTR_SSL_CA", Value: database.CABundleFile})
	}
	env = append(env,
		envEntry{Key: "SESSION_DRIVER", Value: p.SessionDriver},
		envEntry{Key: "SESSION_SECURE_COOKIE", Value: "true"},
		envEntry{Key: "CACHE_STORE", Value: p.CacheStore},
	)
	drop := []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "DB_URL", "DATABASE_URL", "DB_SOCKET"}
	if p.uses("redis") {
		scheme := "tcp"
		if p.RedisTLS {
			scheme = "tls"
		}
		env = append(env,
			envEntry{Key: "REDIS_HOST", Value: p.RedisHost},
			envEntry{Key: "REDIS_PORT", Value: strconv.Itoa(p.RedisPort)},
			envEntry{Key: "REDIS_SCHEME", Value: scheme},
		)
		drop = append(drop, "REDIS_URL")
	}
	if t.table != nil {
		env = append(env, envEntry{Key: "DYNAMODB_CACHE_TABLE", Value: *t.table.TableName()})
		drop = append(drop, "DYNAMODB_ENDPOINT")
	}
	env = append(env,
		envEntry{Key: "FILESYSTEM_DISK", Value: "s3"},
		envEntry{Key: "AWS_BUCKET", Value: *t.tier.Uploads().Bucket().BucketName()},
		envEntry{Key: "AWS_DEFAULT_REGION", Var: "REGION"},
		envEntry{Key: "AWS_USE_PATH_STYLE_ENDPOINT", Value: "false"},
		envEntry{Key: "TRUSTED_PROXIES", Value: t.tier.Network().CIDR()},
	)
	if len(p.FrontendOrigins) > 0 {
		var hosts []string
		for _, o := range p.FrontendOrigins {
			u, _ := url.Parse(o)
			if !slices.Contains(hosts, u.Host) {
				hosts = append(hosts, u.Host)
			}
		}
		env = append(env,
			envEntry{Key: "FRONTEND_URL", Value: p.FrontendOrigins[0]},
			envEntry{Key: "CORS_ALLOWED_ORIGINS", Value: strings.Join(p.FrontendOrigins, ",")},
			envEntry{Key: "SANCTUM_STATEFUL_DOMAINS", Value: strings.Join(hosts, ",")},
		)
	}
	env = append(env, envEntry{Key: "LOG_CHANNEL", Value: p.LogChannel})
	for _, e := range env {
		t.envKeys = append(t.envKeys, e.Key)
	}
	t.removed = drop

	dbName := orDefault(p.Database.DatabaseName, defaultDatabaseName)
	return stepData{
		AppPath: p.AppPath, WebUser: p.WebUser, PHPFPMUnit: p.PHPFPMUnit, Scheduler: p.Scheduler,
		CronFiles: p.CronFiles, CronFile: SchedulerCronFile, BootOK: "/var/lib/tierkit/boot-ok",
		SecretID: *db.Secret().SecretArn(), DBName: dbName,
		Env: env, Drop: strings.Join(drop, " "),
	}
}

// connection is Laravel's connection name for an engine.
func connection(e database.Engine) string {
	switch e {
	case database.Postgres:
		return "pgsql"
	case database.MariaDB:
		return "mariadb"
	default:
		return "mysql"
	}
}

// The step bodies: bash, rendered once per tier with every value through
// boot.Quote. Template comments ({{/* */}}) explain them and stay out of
// the user data.
var (
	//go:embed env.sh.tmpl
	envText string
	//go:embed cache.sh.tmpl
	cacheText string
	//go:embed scheduler.sh.tmpl
	schedulerText string
)

var funcs = template.FuncMap{"quote": boot.Quote}

// steps are the tier's boot steps in the order they run, after boot's
// cron-off step (DisableCronFilesStep), which New adds first.
var steps = []struct {
	name string
	tmpl *template.Template
	when func(stepData) bool
}{
	// The database block's step is plain bash: as a template it renders to itself.
	{"rds-ca", template.Must(template.New("rds-ca").Parse(database.CABundleStep())), nil},
	{"laravel-env", template.Must(template.New("laravel-env").Funcs(funcs).Parse(envText)), nil},
	{"laravel-cache", template.Must(template.New("laravel-cache").Funcs(funcs).Parse(cacheText)), nil},
	{"scheduler", template.Must(template.New("scheduler").Funcs(funcs).Parse(schedulerText)), nil},
}

// render returns a step's body without indentation or blank lines: EC2
// caps user data at 16 KB, and the web tier's script takes half of it. No
// template depends on leading whitespace (heredocs included).
func render(tmpl *template.Template, data stepData) string {
	var b strings.Builder
	if err := tmpl.Execute(&b, data); err != nil {
		panic(fmt.Sprintf("laravel: rendering step %s: %v", tmpl.Name(), err))
	}
	var lines []string
	for _, line := range strings.Split(b.String(), "\n") {
		if line = strings.TrimLeft(line, " \t"); line != "" {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, "\n")
}
