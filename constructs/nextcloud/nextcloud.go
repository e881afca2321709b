// Package nextcloud is the Nextcloud profile of the web tier: the Nextcloud
// server of article 004, moved from one machine to a fleet of copies behind
// a load balancer.
//
// The web tier (constructs/webtier) composes every block; App adds only the
// Nextcloud part: a shared Redis-compatible cache (ElastiCache, TLS, AUTH)
// for file locking, the distributed cache and PHP sessions; primary object
// storage on the tier's S3 bucket with the instance role, or the data
// directory on an EFS file system every server mounts; at boot, one
// configuration file every server writes from the template (the proxy
// settings for the ALB, the database over TLS, the cache, the object store,
// the instance-wide values every node must share); background jobs on
// exactly one server; WebDAV let through the firewall. NewTier takes the web
// tier's props and the App's in one flat Props.
package nextcloud

//go:generate go run ../../internal/propsgen -type Props -app App

import (
	"cmp"
	_ "embed"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/constructs/cache"
	"github.com/tierkit/tierkit/constructs/database"
	"github.com/tierkit/tierkit/constructs/filesystem"
	"github.com/tierkit/tierkit/constructs/webtier"
	"github.com/tierkit/tierkit/internal/check"
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
	// LogID is the id of the log group of LogFile: Tier.AppLogGroup(LogID).
	LogID = "Nextcloud"
	// SeedKey is the JSON key of the generated-values secret: 80 letters and
	// digits, from which instanceid, passwordsalt and secret are derived.
	SeedKey = "seed"
)

// Defaults of the optional settings.
const (
	defaultHealthCheckPath = "/status.php"
	defaultInstallPath     = "/var/www/nextcloud"
	defaultPrimaryStorage  = "s3"
	defaultCronFile        = "/etc/cron.d/nextcloud"
	defaultDatabaseName    = "app" // the database block's default
	defaultIdleTimeout     = 300 * time.Second
	defaultRateLimit       = 20000
	seedLength             = 80
)

var primaryStorages = []string{"s3", "local", "efs"}

// App is the Nextcloud profile: its settings, and once attached to a tier
// the resources it created. A field with a json tag is also a key of the
// nextcloud tier in cdk.json.
type App struct {
	// Cache configures the shared cache (engine, node type, replicas, port);
	// Vpc is set by the tier. With Cache.Existing the tier uses that cache as
	// it is: the fleet is let in on its security group, the servers read its
	// AUTH token from its secret, and no ElastiCache resource or cache alarm
	// is created. Nextcloud's configuration connects with TLS and AUTH
	// (tls://, a password, sessions with auth=), so an existing cache must
	// have both: Existing.TLS and Existing.Secret, whose token holds only
	// letters, digits and ._~- (it travels in the session URL; the boot
	// fails otherwise).
	//
	// Default: the cache block's defaults (Valkey, cache.t4g.small, one
	// replica, port 6380, Multi-AZ, TLS and AUTH).
	Cache cache.Props

	// InstallPath is Nextcloud's root on the AMI (where occ, cron.php and
	// config/config.php, with 'installed' => true, are): a clean absolute
	// path of letters, digits and @+=:,._/-.
	//
	// Default: "/var/www/nextcloud".
	InstallPath string `json:"installPath"`

	// PrimaryStorage is where Nextcloud keeps files: "s3", the tier's bucket
	// as primary object storage (objectstore), reached with the instance
	// role (no key in the configuration: the AWS SDK uses the instance
	// profile); "efs", the data directory on an encrypted EFS file system the
	// tier creates (constructs/filesystem), mounted at DataDirectory on every
	// server before the web server starts, so any number of servers share
	// it; or "local", the AMI's data directory. It is a first-deploy
	// decision: switching an installed Nextcloud with files to "s3" hides
	// them (they stay in the data directory, unknown to the object store);
	// an existing install with files moves to "efs" by copying its data
	// directory (see the README). "local" with more than one server needs
	// DataDirectoryShared.
	//
	// Default: "s3".
	PrimaryStorage string `json:"primaryStorage"`

	// DataDirectory is Nextcloud's data directory ('datadirectory') with
	// "efs" PrimaryStorage: where the file system is mounted and what the
	// boot writes as datadirectory. Keep the golden server's own (config.php's
	// 'datadirectory'): Nextcloud names its root storage after the path, and
	// moving it needs database changes. A clean absolute path of letters,
	// digits and @+=:,._/-, not InstallPath or above it.
	//
	// Default: "<InstallPath>/data"; allowed only with "efs".
	DataDirectory string `json:"dataDirectory"`

	// DataDirectoryShared states that the AMI's data directory is shared
	// storage every server mounts (NFS), which the team provides:
	// required for "local" PrimaryStorage when more than one server can
	// serve, refused with "s3" and "efs" (the tier's file system is shared).
	//
	// Default: false.
	DataDirectoryShared bool `json:"dataDirectoryShared"`

	// BackgroundJobs is where cron.php runs every 5 minutes as the web user:
	// "single-node", on exactly one server (the fleet's singleton, in both
	// fleet modes, still one after scale-out or replacement); "off", nowhere
	// (use AJAX or webcron mode); "every-node", on every server, refused
	// unless exactly one server can serve (Fleet Mode Fixed, Instances 1).
	//
	// Default: "single-node".
	BackgroundJobs string `json:"backgroundJobs"`

	// Upgrade is when a new Nextcloud version (in the AMI or a release)
	// upgrades the database: "off", never (occ upgrade by hand); "on-boot",
	// at the boot of the first server of the new version, before any
	// server of it serves: maintenance mode on, occ upgrade, the
	// db:add-missing-indices, -columns and -primary-keys repairs,
	// maintenance mode off, once across the fleet under a lock in the
	// tier's database (the other servers only record the version in their
	// config.php), while every server of an older version is fenced out of
	// the load balancer (see the README's Nextcloud upgrades).
	//
	// Default: "off".
	Upgrade string `json:"upgrade"`

	// Config are more config.php keys, written into ConfigFile on every
	// server, e.g. {"default_phone_region": "DE", "mail_smtpport": 587,
	// "enabledPreviewProviders": ["OC\\Preview\\PNG"]}: strings, numbers,
	// booleans, null, lists and objects, each rendered as the PHP literal of
	// that value (a string exactly as given). A key replaces config.php's
	// whole value. Keys: letters, digits, _, . and -; not one the tier writes
	// (ConfigKeys: the proxies, the database, the cache, the object store,
	// the log, the instance values) nor installed or version. In the
	// template, so no secrets: ConfigSecrets.
	//
	// Default: none.
	Config map[string]any `json:"config"`

	// ConfigSecrets are config.php keys whose string values are read at
	// boot, with the instance role, from Secrets Manager or SSM Parameter
	// Store, never written into the user data, the template or a log, e.g.
	// {"mail_smtppassword": "secretsmanager:arn:aws:secretsmanager:eu-west-1:123456789012:secret:mail-AbCdEf#password"}.
	// A value is "secretsmanager:ARN" (the secret's string; the complete
	// ARN, with the 6 characters Secrets Manager adds), "secretsmanager:ARN#KEY"
	// (the string KEY of the secret's JSON) or "ssm:NAME" or "ssm:ARN" (a
	// parameter, SecureString decrypted), in the tier's region; the fleet's
	// role may read exactly those. The same keys as Config; not a key of
	// Config too. A rotated secret reaches a server at its next start.
	//
	// Default: none.
	ConfigSecrets map[string]string `json:"configSecrets"`

	// DecryptKeys are the ARNs of the customer-managed KMS keys the
	// ConfigSecrets secrets or SecureString parameters are encrypted with:
	// the fleet's role may kms:Decrypt with each, through Secrets Manager and
	// SSM only. Only with ConfigSecrets.
	//
	// Default: none (the AWS managed keys aws/secretsmanager and aws/ssm
	// need no grant).
	DecryptKeys []string `json:"decryptKeys"`

	cache      *cache.Cache
	seed       awssecretsmanager.Secret
	files      *filesystem.FileSystem
	configKeys []string
}

// Tier is Nextcloud served by the web tier.
type Tier = webtier.Tier[*App]

// NewTier creates the web tier with the Nextcloud profile. It panics, naming
// id, when props are invalid (see Props.Validate).
func NewTier(scope constructs.Construct, id string, props *Props) *Tier {
	web, app := props.split()
	return webtier.New(scope, id, &web, &app)
}

// SharedCache returns the shared cache (file locking, distributed cache,
// sessions).
func (a *App) SharedCache() *cache.Cache { return a.cache }

// FileSystem returns the data directory's file system with "efs"
// PrimaryStorage, or nil.
func (a *App) FileSystem() *filesystem.FileSystem { return a.files }

// SeedSecret returns the generated-values secret: 80 letters and digits
// under SeedKey, from which every server derives the same instanceid,
// passwordsalt and secret when config.php lacks them.
func (a *App) SeedSecret() awssecretsmanager.Secret { return a.seed }

// ConfigKeys returns the keys the boot writes to ConfigFile on every server,
// in order; instanceid, passwordsalt and secret only where config.php lacks
// them.
func (a *App) ConfigKeys() []string { return slices.Clone(a.configKeys) }

// Profile returns what Nextcloud asks of the web tier.
func (a *App) Profile() webtier.Profile {
	install := cmp.Or(a.InstallPath, defaultInstallPath)
	return webtier.Profile{
		Name:            "nextcloud",
		HealthCheckPath: defaultHealthCheckPath,
		LogFiles:        []webtier.LogFile{{ID: LogID, Path: LogFile}},
		CronFiles:       []string{defaultCronFile},
		Job: &webtier.Job{
			Setting: "BackgroundJobs", Mode: a.BackgroundJobs, Step: "background-jobs", Description: "Nextcloud's background jobs",
			CronFile: CronFile, Schedule: "*/5 * * * *", Command: "php --define apc.enable_cli=1 -f " + install + "/cron.php",
			Requires: install + "/cron.php", RequiresWhy: "InstallPath is not the Nextcloud root",
		},
		// So that an upload chunk on a slow link finishes.
		IdleTimeout: defaultIdleTimeout,
		// WebDAV (every sync client) sends PROPFIND; uploads exceed 8 KB.
		CountOnlyRules: []string{"SizeRestrictions_BODY", "PROPFIND_METHOD"},
		// WebDAV's paths are file names and its bodies file contents.
		ScopedRules: webDAVScoped(),
		// Sync clients send many requests, and an office shares one address.
		RateLimit: defaultRateLimit,
		// A release is the code: the configuration and the data stay.
		AppPath: install, Shared: []string{"config", "data"},
		// An upgrade fences every old server until the first new one
		// serves: the refresh must not read that window as a failure.
		RolloutMaintenance: a.Upgrade == UpgradeOnBoot,
	}
}

// Validate reports what is wrong with the Nextcloud settings for the tier p.
func (a *App) Validate(p webtier.Props) error {
	var pr check.Problems
	if a.Cache.Vpc != nil {
		pr.Add("Cache.Vpc", "set by the tier (the web tier's VPC); leave it empty")
	} else if err := a.Cache.ValidateSettings(); err != nil {
		pr.Add("Cache", "%v", err)
	}
	if e := a.Cache.Existing; e != nil {
		if !e.TLS {
			pr.Add("Cache.Existing.TLS", "false; Nextcloud's configuration connects to the cache with TLS and AUTH (tls://, password); allowed: a cache with encryption in transit, Existing.TLS true")
		}
		if e.Secret == nil {
			pr.Add("Cache.Existing.Secret", "missing; Nextcloud's configuration connects to the cache with TLS and AUTH, and sessions and file locks must not be open to every client in the security group; allowed: the secret holding the cache's AUTH token")
		}
	}
	if a.InstallPath != "" && !check.Path(a.InstallPath) {
		pr.Add("InstallPath", "%q is not a clean absolute directory path; allowed: /, letters, digits and @+=:,._-, e.g. %s", a.InstallPath, defaultInstallPath)
	}
	if pr.OneOf("PrimaryStorage", a.PrimaryStorage, primaryStorages, defaultPrimaryStorage) {
		storage := cmp.Or(a.PrimaryStorage, defaultPrimaryStorage)
		switch {
		case storage == "local" && !p.OneServer() && !a.DataDirectoryShared:
			pr.Add("PrimaryStorage", "\"local\" keeps files in each server's data directory, and more than one serves (%s); allowed: s3, efs, or local with DataDirectoryShared when the data directory is shared storage (NFS)", p.Servers())
		case storage != "local" && a.DataDirectoryShared:
			pr.Add("DataDirectoryShared", "set, but PrimaryStorage is %s; allowed: only with PrimaryStorage local (efs is shared storage already)", storage)
		}
		if a.DataDirectory != "" {
			install := cmp.Or(a.InstallPath, defaultInstallPath)
			switch {
			case storage != "efs":
				pr.Add("DataDirectory", "set, but PrimaryStorage is %s; allowed: only with PrimaryStorage efs (the AMI's config.php names the data directory otherwise)", storage)
			case !check.Path(a.DataDirectory):
				pr.Add("DataDirectory", "%q is not a clean absolute directory path; allowed: /, letters, digits and @+=:,._-, e.g. %s/data", a.DataDirectory, install)
			case a.DataDirectory == install || strings.HasPrefix(install+"/", a.DataDirectory+"/"):
				pr.Add("DataDirectory", "%q would hide Nextcloud's code (InstallPath %s) under the file system; allowed: a directory below or beside it, e.g. %s/data", a.DataDirectory, install, install)
			}
		}
	}
	a.validateSettings(&pr)
	a.validateUpgrade(&pr)
	return pr.Err()
}

// Attach creates the shared cache and the seed secret, lets the fleet reach
// and read them, and returns the nextcloud-config step (and with Upgrade the
// nextcloud-upgrade step after it); with "efs"
// PrimaryStorage it creates the data directory's file system first and
// returns the step that mounts it (DataStep) before nextcloud-config.
func (a *App) Attach(t webtier.Parts) []webtier.Step {
	role := t.Fleet().Role()
	a.cache = webtier.NewCache(t, a.Cache)

	a.seed = newSeed(t, t.Key())
	// With a customer-managed key, GrantRead also lets the role decrypt.
	a.seed.GrantRead(role, nil)
	webtier.GrantReferences(t, role, a.ConfigSecrets, a.DecryptKeys)
	var steps []webtier.Step
	if cmp.Or(a.PrimaryStorage, defaultPrimaryStorage) == "efs" {
		// Mounted before the configuration names it as datadirectory.
		steps = append(steps, a.attachFileSystem(t))
	}
	steps = append(steps, webtier.Step{Name: "nextcloud-config", Body: boot.RenderStep(configTemplate, a.stepData(t))})
	// After the configuration occ and the upgrade program read.
	return append(steps, a.upgradeStep(t)...)
}

// newSeed creates the generated-values secret. Retained: a new seed would
// give servers of an AMI without instanceid, passwordsalt and secret other
// values than the running ones (every password hash and encrypted value
// depends on them).
func newSeed(scope constructs.Construct, key awskms.IKey) awssecretsmanager.Secret {
	// "Seed" is part of the secret's logical ID: renaming it generates new values.
	seed := awssecretsmanager.NewSecret(scope, jsii.String("Seed"), &awssecretsmanager.SecretProps{
		EncryptionKey: key,
		Description:   jsii.String("Nextcloud instance-wide values (instanceid, passwordsalt, secret), derived from the key \"" + SeedKey + "\""),
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

// stepData is what the step template is rendered from.
type stepData struct {
	InstallPath, WebUser, PHPFPMUnit           string
	CAFile                                     string
	ConfigFile, LogFile, LogDir, SessionIni    string
	DBSecret, CacheSecret, SeedSecret, SeedKey string
	CacheKey                                   string
	DomainName                                 string
	TrustedProxies                             []string
	DBType, DBHost, DBName                     string
	CacheHost, CachePort                       string
	S3, Bucket                                 string
	DataDirectory                              string
	// Config and Secrets are the settings of Config and ConfigSecrets.
	Config  []configEntry
	Secrets []secretEntry
}

func (a *App) stepData(t webtier.Parts) stepData {
	p := t.Props()
	db := t.Database()
	port := db.EndpointPort()
	dbType := "mysql"
	if db.Engine() == database.Postgres {
		dbType = "pgsql"
	}
	s3 := cmp.Or(a.PrimaryStorage, defaultPrimaryStorage) == "s3"
	a.configKeys = []string{
		"trusted_proxies", "overwritehost", "overwriteprotocol", "overwrite.cli.url", "trusted_domains",
		"dbtype", "dbhost", "dbname", "dbuser", "dbpassword",
	}
	if dbType == "mysql" {
		a.configKeys = append(a.configKeys, "dbdriveroptions")
	} else {
		a.configKeys = append(a.configKeys, "pgsql_ssl")
	}
	a.configKeys = append(a.configKeys, "memcache.local", "memcache.distributed", "memcache.locking", "redis")
	if s3 {
		a.configKeys = append(a.configKeys, "objectstore")
	}
	if a.files != nil {
		a.configKeys = append(a.configKeys, "datadirectory")
	}
	a.configKeys = append(a.configKeys, "log_type", "logfile")
	config, secrets := a.settings()
	for _, c := range config {
		a.configKeys = append(a.configKeys, c.Key)
	}
	for _, s := range secrets {
		a.configKeys = append(a.configKeys, s.Key)
	}
	a.configKeys = append(a.configKeys, "instanceid", "passwordsalt", "secret")

	d := stepData{
		InstallPath: cmp.Or(a.InstallPath, defaultInstallPath), WebUser: p.WebUser, PHPFPMUnit: p.PHPFPMUnit,
		CAFile:     p.CABundleFile(),
		ConfigFile: ConfigFile, LogFile: LogFile, LogDir: path.Dir(LogFile), SessionIni: SessionIni,
		DBSecret: *db.Secret().SecretArn(), CacheSecret: *a.cache.Secret().SecretArn(), SeedSecret: *a.seed.SecretArn(), SeedKey: SeedKey,
		DomainName: p.DomainName, TrustedProxies: t.Edge().SubnetCIDRs(),
		DBType: dbType, DBHost: db.Endpoint() + ":" + port, DBName: cmp.Or(p.Database.DatabaseName, defaultDatabaseName),
		CacheHost: a.cache.Endpoint(), CachePort: strconv.Itoa(a.cache.Port()), CacheKey: a.cache.SecretKey(),
		Config: config, Secrets: secrets,
	}
	if s3 {
		d.S3, d.Bucket = "s3", *t.Uploads().Bucket().BucketName()
	}
	if a.files != nil {
		d.DataDirectory = a.dataDirectory()
	}
	return d
}

// The step body: bash, rendered once per tier with every value through
// boot.Quote.
var (
	//go:embed config.sh.tmpl
	configText     string
	configTemplate = boot.StepTemplate("nextcloud-config", configText)
)
