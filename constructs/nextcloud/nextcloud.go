// Package nextcloud is the Nextcloud tier: the Nextcloud server of article
// 004, moved from one machine to a fleet of copies behind a load balancer.
// It composes the web tier and adds the Nextcloud part: a shared Redis-
// compatible cache (ElastiCache, TLS, AUTH) for file locking, the
// distributed cache and PHP sessions; primary object storage on the tier's
// S3 bucket with the instance role; and, at boot, one configuration file
// every server writes from the template (the proxy settings for the ALB,
// the database over TLS, the cache, the object store, the instance-wide
// values every node must share), the AMI's own cron entries disabled and
// background jobs on exactly one server.
package nextcloud

import (
	_ "embed"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/constructs/cache"
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

// Files, keys and addresses the boot steps use on every server.
const (
	// ConfigFile is the file the boot writes below InstallPath; Nextcloud
	// merges every config/*.config.php over config.php, key by key.
	ConfigFile = "config/tierkit.config.php"
	// LogFile is Nextcloud's log ('logfile'), shipped to CloudWatch.
	LogFile = "/var/log/nextcloud/nextcloud.log"
	// SessionIni is the name of the PHP ini drop-in that keeps PHP sessions
	// in the shared cache, written into every PHP conf.d directory found.
	SessionIni = "99-tierkit-nextcloud.ini"
	// CronFile is the tier's cron entry for Nextcloud's background jobs.
	CronFile = "/etc/cron.d/tierkit-nextcloud"
	// DisabledSuffix ends the name a disabled cron file is renamed to (boot.DisabledCronSuffix).
	DisabledSuffix = boot.DisabledCronSuffix
	// SeedKey is the JSON key of the generated-values secret: 80 letters and
	// digits, from which instanceid, passwordsalt and secret are derived.
	SeedKey = "seed"
)

// Defaults of the optional props.
const (
	defaultHealthCheckPath = "/status.php"
	defaultInstallPath     = "/var/www/nextcloud"
	defaultWebServer       = "apache2"
	defaultWebUser         = "www-data"
	defaultPrimaryStorage  = "s3"
	defaultBackgroundJobs  = "single-node"
	defaultCronFile        = "/etc/cron.d/nextcloud"
	defaultDatabaseName    = "app" // the database block's default
	defaultIdleTimeout     = 300 * time.Second
	defaultRateLimit       = 20000
	seedLength             = 80
)

// The values the string props accept.
var (
	webServers      = []string{"apache2", "httpd", "nginx"}
	primaryStorages = []string{"s3", "local"}
	backgroundJobs  = []string{"single-node", "off", "every-node"}
)

var (
	// pathPattern leaves out %, which ends a command in a crontab line.
	pathPattern = regexp.MustCompile(`^/[A-Za-z0-9@+=:,._/-]*$`)
	unitPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9@._-]{0,99}$`)
	userPattern = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)
)

// Props configures a Tier. The block props (Network, Boot, Fleet, Edge,
// Database, Uploads, Logs) are passed to the web tier, whose rules apply:
// the fields that wire the blocks together stay empty. The tier's own
// settings come first, then the caller's, then each block's defaults.
type Props struct {
	// DomainName is the name Nextcloud serves, e.g. "cloud.example.com":
	// overwritehost, trusted_domains and overwrite.cli.url. Required.
	DomainName string

	// Zone is the Route53 hosted zone that holds DomainName, e.g. from
	// awsroute53.HostedZone_FromHostedZoneAttributes (no lookup). Required.
	Zone awsroute53.IHostedZone

	// Image is the golden server's AMI: Nextcloud installed in InstallPath
	// (config/config.php with 'installed' => true), the web server, PHP with
	// the redis and apcu extensions, curl 7.75 or later and a cron daemon.
	// Required.
	Image awsec2.IMachineImage

	// HealthCheckPath is the path the load balancer checks.
	//
	// Default: "/status.php" (200 with JSON once PHP and the configuration
	// load; the ALB is a trusted proxy, so its IP Host header passes the
	// trusted_domains check through overwritehost).
	HealthCheckPath string

	// Network configures the VPC, or passes an existing one (imported with
	// its VpcCidrBlock: it becomes trusted_proxies).
	//
	// Default: a new VPC with the network block's defaults.
	Network network.Props

	// Boot configures the boot script: GoldenIP and IPFiles for the vhost
	// and /etc/hosts fix. WebServer is set by the tier from WebServer;
	// AgentConfig by the web tier.
	//
	// Default: no golden IP rewrite.
	Boot boot.Props

	// Fleet configures the servers. Singleton is set by the tier when
	// BackgroundJobs is "single-node" (in AutoScaling mode that adds a
	// one-server group); Vpc, Image and Boot by the web tier.
	//
	// Default: an Auto Scaling group of 2 to 4 t3.small.
	Fleet fleet.Props

	// Edge configures the load balancer (certificate, TLS policy, ...).
	//
	// Default: the edge block's defaults, except IdleTimeout: 300 s unless
	// set, so that an upload chunk on a slow link finishes.
	Edge edge.Props

	// Database configures the database (engine, size, ...) or passes an
	// existing one, whose secret must hold username and password. Nextcloud
	// uses the database DatabaseName names.
	//
	// Default: MySQL 8.4, Multi-AZ, database "app".
	Database database.Props

	// Uploads configures the tier's bucket, Nextcloud's primary object
	// storage when PrimaryStorage is "s3". Nextcloud needs it to itself.
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
	// Default: the firewall block's rules, with WebDAV's PROPFIND counted, not
	// blocked, besides bodies over 8 KB (uploads), and 20000 requests per IP
	// per 5 minutes: sync clients send many, and an office shares one address.
	Firewall firewall.Props

	// DisableFirewall leaves the load balancer without a web ACL, e.g. when
	// AWS Firewall Manager manages one.
	//
	// Default: false.
	DisableFirewall bool

	// Logs configures the log groups; the tier adds "Nextcloud" for
	// /var/log/nextcloud/nextcloud.log.
	//
	// Default: one year of retention.
	Logs logs.Props

	// Cache configures the shared cache (engine, node type, replicas, port);
	// Vpc is set by the tier.
	//
	// Default: the cache block's defaults (Valkey, cache.t4g.small, one
	// replica, port 6380, Multi-AZ, TLS and AUTH).
	Cache cache.Props

	// InstallPath is Nextcloud's root on the AMI (where occ, cron.php and
	// config/config.php are): a clean absolute path of letters, digits and
	// @+=:,._/-.
	//
	// Default: "/var/www/nextcloud".
	InstallPath string

	// WebServer is the systemd unit serving Nextcloud: "apache2" (Ubuntu),
	// "httpd" (Amazon Linux) or "nginx" (the article's). The boot stops it
	// first and starts it last; its logs are shipped.
	//
	// Default: "apache2".
	WebServer string

	// PHPFPMUnit is the PHP-FPM systemd unit restarted after the
	// configuration and the PHP session settings are written, e.g.
	// "php8.3-fpm" (Ubuntu) or "php-fpm" (Amazon Linux): needed with nginx,
	// and with Apache through proxy_fcgi.
	//
	// Default: "", none (Apache's mod_php restarts with Apache).
	PHPFPMUnit string

	// WebUser is the user PHP runs as: it reads the configuration file
	// (0640, root:WebUser), writes the log and runs cron.php.
	//
	// Default: "www-data".
	WebUser string

	// PrimaryStorage is where Nextcloud keeps files: "s3", the tier's bucket
	// as primary object storage (objectstore), reached with the instance
	// role (no key in the configuration: the AWS SDK uses the instance
	// profile); or "local", the AMI's data directory. It is a first-deploy
	// decision: switching an installed Nextcloud with files to "s3" hides
	// them (they stay in the data directory, unknown to the object store).
	// "local" with more than one server needs DataDirectoryShared.
	//
	// Default: "s3".
	PrimaryStorage string

	// DataDirectoryShared states that the AMI's data directory is shared
	// storage every server mounts (EFS, NFS), which the team provides:
	// required for "local" PrimaryStorage when more than one server can
	// serve, refused with "s3".
	//
	// Default: false.
	DataDirectoryShared bool

	// BackgroundJobs is where cron.php runs every 5 minutes as WebUser:
	// "single-node", on exactly one server (the fleet's singleton, in both
	// fleet modes, still one after scale-out or replacement); "off", nowhere
	// (use AJAX or webcron mode); "every-node", on every server, refused
	// unless exactly one server can serve (Fleet Mode Fixed, Instances 1).
	//
	// Default: "single-node".
	BackgroundJobs string

	// CronFiles are the AMI's own cron entries for Nextcloud (the golden
	// server's cron.php line), disabled at boot on every server whatever
	// BackgroundJobs says: each is renamed to a hidden name ending in
	// DisabledSuffix, which neither Debian's cron nor cronie reads. A listed
	// file that does not exist is skipped. Clean absolute paths, each once.
	// An empty non-nil slice disables nothing.
	//
	// Default: ["/etc/cron.d/nextcloud"].
	CronFiles []string
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// singleServer reports whether exactly one server can ever serve: a Fixed
// fleet of one.
func (p Props) singleServer() bool {
	return p.Fleet.Mode == fleet.Fixed && p.Fleet.Instances == 1
}

// servers describes how many servers can serve, for error messages.
func (p Props) servers() string {
	if p.Fleet.Mode == fleet.Fixed {
		n := p.Fleet.Instances
		if n == 0 {
			n = 2
		}
		return fmt.Sprintf("Fleet Mode fixed with %d instances", n)
	}
	return "an Auto Scaling group always can scale to more than one"
}

// webtierProps returns the props handed to the web tier: the caller's, with
// the tier's settings applied.
func (p Props) webtierProps() webtier.Props {
	bootProps := p.Boot
	bootProps.WebServer = orDefault(p.WebServer, defaultWebServer)
	fleetProps := p.Fleet
	if orDefault(p.BackgroundJobs, defaultBackgroundJobs) == "single-node" {
		fleetProps.Singleton = true
	}
	edgeProps := p.Edge
	if edgeProps.IdleTimeout == 0 {
		edgeProps.IdleTimeout = defaultIdleTimeout
	}
	firewallProps := p.Firewall
	if firewallProps.CountOnlyRules == nil {
		// WebDAV (every sync client) sends PROPFIND; uploads exceed 8 KB.
		firewallProps.CountOnlyRules = []string{"SizeRestrictions_BODY", "PROPFIND_METHOD"}
	}
	if firewallProps.RateLimit == 0 {
		firewallProps.RateLimit = defaultRateLimit
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
		Edge:            edgeProps,
		Database:        p.Database,
		Uploads:         p.Uploads,
		AlarmEmails:     p.AlarmEmails,
		Monitoring:      p.Monitoring,
		Firewall:        firewallProps,
		DisableFirewall: p.DisableFirewall,
	}
}

// Validate reports what is wrong with p, naming the field and what is
// allowed: the tier's own fields, and the web tier's rules (required fields,
// wiring fields). Each block validates its own settings when it is created.
func (p Props) Validate() error {
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
	if p.Cache.Vpc != nil {
		add("Cache.Vpc: set by the tier (the web tier's VPC); leave it empty")
	}
	if err := p.webtierProps().Validate(); err != nil {
		problems = append(problems, strings.Split(err.Error(), "; ")...)
	}

	if p.InstallPath != "" && (!pathPattern.MatchString(p.InstallPath) || path.Clean(p.InstallPath) != p.InstallPath || p.InstallPath == "/") {
		add("InstallPath: %q is not a clean absolute directory path; allowed: /, letters, digits and @+=:,._-, e.g. %s", p.InstallPath, defaultInstallPath)
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
	if oneOf("PrimaryStorage", p.PrimaryStorage, primaryStorages, defaultPrimaryStorage) {
		local := p.PrimaryStorage == "local"
		switch {
		case local && many && !p.DataDirectoryShared:
			add("PrimaryStorage: \"local\" keeps files in each server's data directory, and more than one serves (%s); allowed: s3, or local with DataDirectoryShared when the data directory is shared storage (EFS, NFS)", p.servers())
		case !local && p.DataDirectoryShared:
			add("DataDirectoryShared: set, but PrimaryStorage is s3; allowed: only with PrimaryStorage local")
		}
	}
	if oneOf("BackgroundJobs", p.BackgroundJobs, backgroundJobs, defaultBackgroundJobs) && p.BackgroundJobs == "every-node" && many {
		add("BackgroundJobs: \"every-node\" runs cron.php on each of several servers (%s); allowed: single-node, off", p.servers())
	}
	cron := map[string]bool{}
	for i, f := range p.CronFiles {
		switch {
		case !pathPattern.MatchString(f) || path.Clean(f) != f || strings.HasSuffix(f, "/"):
			add("CronFiles[%d]: %q is not a clean absolute file path; allowed: /, letters, digits and @+=:,._-, e.g. %s", i, f, defaultCronFile)
		case f == CronFile:
			add("CronFiles[%d]: %q is the tier's own background jobs entry", i, f)
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

// Tier is Nextcloud served by a fleet behind a load balancer.
type Tier struct {
	constructs.Construct
	tier       *webtier.Tier
	cache      *cache.Cache
	seed       awssecretsmanager.Secret
	logGroup   awslogs.LogGroup
	configKeys []string
	stepNames  []string
}

// Tier returns the web tier Nextcloud is built on, with every block.
func (t *Tier) Tier() *webtier.Tier { return t.tier }

// Cache returns the shared cache (file locking, distributed cache, sessions).
func (t *Tier) Cache() *cache.Cache { return t.cache }

// LoadBalancer returns the Application Load Balancer.
func (t *Tier) LoadBalancer() awselasticloadbalancingv2.ApplicationLoadBalancer {
	return t.tier.Edge().LoadBalancer()
}

// Database returns the database block.
func (t *Tier) Database() *database.Database { return t.tier.Database() }

// Bucket returns the tier's bucket: Nextcloud's primary object storage when
// PrimaryStorage is "s3" (the web tier's uploads bucket), Nextcloud's alone.
func (t *Tier) Bucket() awss3.Bucket { return t.tier.Uploads().Bucket() }

// Fleet returns the servers; its Boot() holds the tier's steps.
func (t *Tier) Fleet() *fleet.Fleet { return t.tier.Fleet() }

// Logs returns the log groups.
func (t *Tier) Logs() *logs.Logs { return t.tier.Logs() }

// LogGroup returns the log group of Nextcloud's log (LogFile).
func (t *Tier) LogGroup() awslogs.LogGroup { return t.logGroup }

// SeedSecret returns the generated-values secret: 80 letters and digits
// under SeedKey, from which every server derives the same instanceid,
// passwordsalt and secret when config.php lacks them.
func (t *Tier) SeedSecret() awssecretsmanager.Secret { return t.seed }

// ConfigKeys returns the keys the boot writes to ConfigFile on every server,
// in order; instanceid, passwordsalt and secret only where config.php lacks
// them.
func (t *Tier) ConfigKeys() []string { return slices.Clone(t.configKeys) }

// BootSteps returns the names of the boot steps the tier added, in order.
func (t *Tier) BootSteps() []string { return slices.Clone(t.stepNames) }

// NewTier creates the tier. It panics, naming id, when props are invalid.
func NewTier(scope constructs.Construct, id string, props *Props) *Tier {
	p := Props{}
	if props != nil {
		p = *props
		p.CronFiles = slices.Clone(props.CronFiles)
	}
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("nextcloud %s: %v", id, err))
	}
	p.InstallPath = orDefault(p.InstallPath, defaultInstallPath)
	p.WebUser = orDefault(p.WebUser, defaultWebUser)
	p.PrimaryStorage = orDefault(p.PrimaryStorage, defaultPrimaryStorage)
	p.BackgroundJobs = orDefault(p.BackgroundJobs, defaultBackgroundJobs)
	if props == nil || props.CronFiles == nil {
		p.CronFiles = []string{defaultCronFile}
	}

	t := &Tier{}
	constructs.NewConstruct_Override(t, scope, jsii.String(id))
	wp := p.webtierProps()
	// "Default" drops out of every logical ID: the stack's resources keep
	// the IDs of a bare web tier with this tier's id.
	t.tier = webtier.New(t, "Default", &wp)
	t.logGroup = t.tier.Logs().AddFile("Nextcloud", LogFile)
	t.tier.Monitoring().LinkLogGroups(t.logGroup)

	role := t.tier.Fleet().Role()
	cp := p.Cache
	cp.Vpc = t.tier.Network().Vpc()
	// "Cache" is part of the cache's logical IDs: renaming it replaces the
	// cache and its AUTH token.
	t.cache = cache.New(t, "Cache", &cp)
	t.cache.AllowFrom(t.tier.Fleet())
	t.tier.Monitoring().WatchCache(t.cache.ReplicationGroup().Ref(), 1+t.cache.Replicas())
	t.tier.Monitoring().LinkLogGroups(t.cache.SlowLog())
	t.cache.GrantSecretRead(role)

	t.seed = newSeed(t)
	t.seed.GrantRead(role, nil)

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

// newSeed creates the generated-values secret. Retained: a new seed would
// give servers of an AMI without instanceid, passwordsalt and secret other
// values than the running ones (every password hash and encrypted value
// depends on them).
func newSeed(t *Tier) awssecretsmanager.Secret {
	// "Seed" is part of the secret's logical ID: renaming it generates new values.
	seed := awssecretsmanager.NewSecret(t, jsii.String("Seed"), &awssecretsmanager.SecretProps{
		Description: jsii.String("Nextcloud instance-wide values (instanceid, passwordsalt, secret), derived from the key \"" + SeedKey + "\""),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			SecretStringTemplate: jsii.String("{}"),
			GenerateStringKey:    jsii.String(SeedKey),
			PasswordLength:       jsii.Number(seedLength),
			ExcludePunctuation:   jsii.Bool(true),
			IncludeSpace:         jsii.Bool(false),
		},
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	cdknag.NagSuppressions_AddResourceSuppressions(seed.Node().DefaultChild(), &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-SMG4"),
		Reason: jsii.String("Not rotated by design: the seed is Nextcloud's instanceid, passwordsalt and secret, which must never change for an installation (a new passwordsalt or secret breaks every stored password hash and encrypted value, a new instanceid orphans appdata)."),
	}}, jsii.Bool(false))
	return seed
}

// stepData is what the step templates are rendered from.
type stepData struct {
	InstallPath, WebUser, PHPFPMUnit, BackgroundJobs string
	CronFiles                                        []string
	CronFile, BootOK                                 string
	CAFile                                           string
	ConfigFile, LogFile, LogDir, SessionIni          string
	DBSecret, CacheSecret, SeedSecret, SeedKey       string
	DomainName, CIDR                                 string
	DBType, DBHost, DBName                           string
	CacheHost, CachePort                             string
	S3, Bucket                                       string
}

func (t *Tier) stepData(p Props) stepData {
	db := t.tier.Database()
	port := strconv.Itoa(db.Port())
	if db.Port() == 0 {
		port = *db.Instance().DbInstanceEndpointPort()
	}
	dbType := "mysql"
	if db.Engine() == database.Postgres {
		dbType = "pgsql"
	}
	t.configKeys = []string{
		"trusted_proxies", "overwritehost", "overwriteprotocol", "overwrite.cli.url", "trusted_domains",
		"dbtype", "dbhost", "dbname", "dbuser", "dbpassword",
	}
	if dbType == "mysql" {
		t.configKeys = append(t.configKeys, "dbdriveroptions")
	} else {
		t.configKeys = append(t.configKeys, "pgsql_ssl")
	}
	t.configKeys = append(t.configKeys, "memcache.local", "memcache.distributed", "memcache.locking", "redis")
	if p.PrimaryStorage == "s3" {
		t.configKeys = append(t.configKeys, "objectstore")
	}
	t.configKeys = append(t.configKeys, "log_type", "logfile", "instanceid", "passwordsalt", "secret")

	d := stepData{
		InstallPath: p.InstallPath, WebUser: p.WebUser, PHPFPMUnit: p.PHPFPMUnit, BackgroundJobs: p.BackgroundJobs,
		CronFiles: p.CronFiles, CronFile: CronFile, BootOK: "/var/lib/tierkit/boot-ok",
		CAFile:     database.CABundleFile,
		ConfigFile: ConfigFile, LogFile: LogFile, LogDir: path.Dir(LogFile), SessionIni: SessionIni,
		DBSecret: *db.Secret().SecretArn(), CacheSecret: *t.cache.Secret().SecretArn(), SeedSecret: *t.seed.SecretArn(), SeedKey: SeedKey,
		DomainName: p.DomainName, CIDR: t.tier.Network().CIDR(),
		DBType: dbType, DBHost: db.Endpoint() + ":" + port, DBName: orDefault(p.Database.DatabaseName, defaultDatabaseName),
		CacheHost: t.cache.Endpoint(), CachePort: strconv.Itoa(t.cache.Port()),
	}
	if p.PrimaryStorage == "s3" {
		d.S3, d.Bucket = "s3", *t.Bucket().BucketName()
	}
	return d
}

// The step bodies: bash, rendered once per tier with every value through
// boot.Quote. Template comments ({{/* */}}) explain them and stay out of
// the user data.
var (
	//go:embed config.sh.tmpl
	configText string
	//go:embed cron.sh.tmpl
	cronText string
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
	{"nextcloud-config", template.Must(template.New("nextcloud-config").Funcs(funcs).Parse(configText)), nil},
	{"background-jobs", template.Must(template.New("background-jobs").Funcs(funcs).Parse(cronText)), nil},
}

// render returns a step's body without indentation or blank lines: EC2
// caps user data at 16 KB. No template depends on leading whitespace
// (heredocs included).
func render(tmpl *template.Template, data stepData) string {
	var b strings.Builder
	if err := tmpl.Execute(&b, data); err != nil {
		panic(fmt.Sprintf("nextcloud: rendering step %s: %v", tmpl.Name(), err))
	}
	var lines []string
	for _, line := range strings.Split(b.String(), "\n") {
		if line = strings.TrimLeft(line, " \t"); line != "" {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, "\n")
}
