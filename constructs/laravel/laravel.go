// Package laravel is the Laravel profile of the web tier: a Laravel
// application (the API of a separate frontend, such as a Nuxt site at
// example.com calling api.example.com) served by a fleet of copies of one
// working server, as article 000 built by hand.
//
// The web tier (constructs/webtier) composes every block; App adds only the
// Laravel part: at boot, every server gets the same .env settings for this
// deployment (the database from Secrets Manager over TLS, shared sessions
// and cache, S3 uploads with the instance role, the load balancer as trusted
// proxy, the frontend's origins), its configuration is cached as the web
// user, and Laravel's scheduler runs on exactly one server. NewAPITier takes
// the web tier's props and the App's in one flat APIProps.
package laravel

//go:generate go run ../../internal/propsgen -type APIProps -app App

import (
	"cmp"
	_ "embed"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/constructs/cache"
	"github.com/tierkit/tierkit/constructs/database"
	"github.com/tierkit/tierkit/constructs/webtier"
	"github.com/tierkit/tierkit/internal/check"
)

// Files and ids the tier uses.
const (
	// SchedulerCronFile is the tier's cron entry for Laravel's scheduler.
	SchedulerCronFile = "/etc/cron.d/tierkit-scheduler"
	// DisabledSuffix ends the name a disabled cron file is renamed to (boot.DisabledCronSuffix).
	DisabledSuffix = boot.DisabledCronSuffix
	// LogID is the id of the application's log group (storage/logs/*.log):
	// APITier.AppLogGroup(LogID).
	LogID = "Laravel"
)

// Defaults of the optional settings.
const (
	defaultHealthCheckPath = "/up"
	defaultAppPath         = "/var/www/html"
	defaultAppEnv          = "production"
	defaultSessionDriver   = "database"
	defaultCacheStore      = "database"
	defaultRedisPort       = 6379
	defaultLogChannel      = "daily"
	defaultCronFile        = "/etc/cron.d/laravel"
	defaultDatabaseName    = "app" // the database block's default
	defaultRateLimit       = 20000 // requests per IP address in 5 minutes
)

// The values the string settings accept.
var (
	sessionDrivers = []string{"database", "redis", "dynamodb", "cookie", "file", "array"}
	cacheStores    = []string{"database", "redis", "dynamodb", "file", "array"}
	logChannels    = []string{"daily", "single"}
	// serverLocal are the drivers that keep their data on one server.
	serverLocal = []string{"file", "array"}
)

var (
	appEnvPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)
	hostPattern   = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)
)

// App is the Laravel profile: its settings, and once attached to a tier the
// resources it created. A field with a json tag is also a key of the
// laravel tier in cdk.json.
type App struct {
	// AppPath is the Laravel application's root on the AMI (where artisan
	// and .env are, with APP_KEY): a clean absolute path of letters, digits
	// and @+=:,._/-.
	//
	// Default: "/var/www/html".
	AppPath string `json:"appPath"`

	// AppEnv is written as APP_ENV (APP_DEBUG is always false: the API faces
	// the internet, and Laravel's debug page shows the environment, the
	// database password included).
	//
	// Default: "production".
	AppEnv string `json:"appEnv"`

	// SessionDriver is SESSION_DRIVER: "database" (the article's choice;
	// needs the sessions table), "redis" (needs RedisHost), "dynamodb" (the
	// tier creates the table), or "cookie". "file" and "array" keep sessions
	// on one server and are refused unless exactly one server can serve
	// (Fleet Mode Fixed with Instances 1).
	//
	// Default: "database".
	SessionDriver string `json:"sessionDriver"`

	// CacheStore is CACHE_STORE, the store shared by every server, which
	// also holds the scheduler's onOneServer locks: "database" (needs the
	// cache and cache_locks tables), "redis" (needs RedisHost) or "dynamodb"
	// (the tier creates the table). "file" and "array" are refused unless
	// exactly one server can serve.
	//
	// Default: "database".
	CacheStore string `json:"cacheStore"`

	// RedisHost is REDIS_HOST, e.g. an ElastiCache endpoint (a token is
	// fine). Required when SessionDriver or CacheStore is "redis" (unless
	// Cache is set), refused otherwise. The tier creates no Redis: let the
	// fleet in with Fleet().Connections(), or use Cache.
	//
	// Default: none.
	RedisHost string `json:"redisHost"`

	// RedisPort is REDIS_PORT, 1 to 65535; only with RedisHost.
	//
	// Default: 6379.
	RedisPort int `json:"redisPort"`

	// RedisTLS writes REDIS_SCHEME=tls (ElastiCache with encryption in
	// transit) instead of tcp; only with RedisHost.
	//
	// Default: false, REDIS_SCHEME=tcp.
	RedisTLS bool `json:"redisTls"`

	// RedisAuthSecret is the complete ARN of a Secrets Manager secret in the
	// tier's region (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6
	// characters>) that holds the Redis AUTH password as JSON under
	// RedisAuthSecretKey. Every server reads it at boot with its role, which
	// may read exactly this secret, and writes it as REDIS_PASSWORD; it is
	// never in the user data or the template. Only with RedisHost and
	// RedisTLS: a password over plain TCP can be read on the network (and
	// ElastiCache accepts AUTH only with encryption in transit).
	//
	// Default: none, REDIS_PASSWORD is left as the AMI has it.
	RedisAuthSecret string `json:"redisAuthSecret"`

	// RedisAuthSecretKey is the JSON key of the password in RedisAuthSecret:
	// 1 to 64 letters, digits, _ or -; only with RedisAuthSecret. The value
	// must hold no quote or backslash.
	//
	// Default: "token", the key of a secret the cache block generates.
	RedisAuthSecretKey string `json:"redisAuthSecretKey"`

	// RedisAuthKmsKeyArn is the ARN of the customer managed KMS key that
	// encrypts RedisAuthSecret: the role then may decrypt with it, through
	// Secrets Manager only. Only with RedisAuthSecret.
	//
	// Default: none, the secret uses the AWS managed key aws/secretsmanager.
	RedisAuthKmsKeyArn string `json:"redisAuthKmsKeyArn"`

	// Cache hands the tier a cache block, as Nextcloud's Cache does: the
	// tier creates it in its VPC (Vpc is set by the tier, the tier's key
	// encrypts it), or wraps Cache.Existing. REDIS_HOST, REDIS_PORT,
	// REDIS_SCHEME and REDIS_PASSWORD (its token, read at boot) then come
	// from the block, the fleet is let in and may read the token, and a
	// created cache gets the cache alarms. Only when SessionDriver or
	// CacheStore is "redis"; RedisHost, RedisPort, RedisTLS and the
	// RedisAuth fields are refused with it.
	//
	// Default: nil, no cache block.
	Cache *cache.Props

	// FrontendOrigins are the browser origins of the frontend, e.g.
	// "https://example.com" (scheme and host, optional port, no path or
	// trailing slash): FRONTEND_URL is the first, CORS_ALLOWED_ORIGINS all
	// of them comma-joined, SANCTUM_STATEFUL_DOMAINS their hosts; they are
	// also the first CORS origins of the uploads bucket.
	//
	// Default: none, those keys are left as the AMI has them.
	FrontendOrigins []string `json:"frontendOrigins"`

	// LogChannel is LOG_CHANNEL: "daily" (storage/logs/laravel-YYYY-MM-DD.log)
	// or "single" (storage/logs/laravel.log), both shipped to CloudWatch.
	// Channels that write elsewhere (stderr, syslog, errorlog, stack) are
	// refused: the agent ships files from storage/logs only.
	//
	// Default: "daily".
	LogChannel string `json:"logChannel"`

	// Scheduler is where `php artisan schedule:run` runs every minute:
	// "single-node", on exactly one server (the fleet's singleton, in both
	// fleet modes); "off", nowhere; "every-node", on every server, refused
	// unless exactly one server can serve (Fleet Mode Fixed with Instances 1).
	//
	// Default: "single-node".
	Scheduler string `json:"scheduler"`

	// Env are more .env settings, the same on every server, e.g.
	// {"MAIL_MAILER": "smtp", "MAIL_HOST": "email-smtp.eu-west-1.amazonaws.com"}:
	// each replaces the AMI's line of that key (or is appended), written
	// literally (no ${...} expansion). Keys: a letter or _, then letters,
	// digits or _; not one the tier writes itself (APP_ENV, DB_*,
	// SESSION_DRIVER, ...: each has its own setting), nor APP_KEY (a secret:
	// EnvSecrets). Values: one line; in the template, so no secrets.
	//
	// Default: none.
	Env map[string]string `json:"env"`

	// EnvSecrets are .env settings whose values are read at boot, with the
	// instance role, from Secrets Manager or SSM Parameter Store, never
	// written into the user data, the template or a log, e.g.
	// {"MAIL_PASSWORD": "secretsmanager:arn:aws:secretsmanager:eu-west-1:123456789012:secret:mail-AbCdEf#password",
	// "STRIPE_SECRET": "ssm:/api/stripe-secret"}. A value is
	// "secretsmanager:ARN" (the secret's string; the complete ARN, with the
	// 6 characters Secrets Manager adds), "secretsmanager:ARN#KEY" (the
	// string KEY of the secret's JSON) or "ssm:NAME" or "ssm:ARN" (a
	// parameter, SecureString decrypted), in the tier's region. The fleet's
	// role may secretsmanager:GetSecretValue or ssm:GetParameter exactly
	// those. The same keys as Env, APP_KEY included (the AMI's APP_KEY line
	// is then replaced: the secret must hold the key the golden server
	// encrypted with); not a key of Env too. A value read that spans lines
	// fails the boot. A rotated secret reaches a server at its next start.
	//
	// Default: none.
	EnvSecrets map[string]string `json:"envSecrets"`

	// DecryptKeys are the ARNs of the customer-managed KMS keys the
	// EnvSecrets secrets or SecureString parameters are encrypted with: the
	// fleet's role may kms:Decrypt with each, through Secrets Manager and
	// SSM only. Only with EnvSecrets.
	//
	// Default: none (the AWS managed keys aws/secretsmanager and aws/ssm
	// need no grant).
	DecryptKeys []string `json:"decryptKeys"`

	// SessionDomain is SESSION_DOMAIN, the domain of the session cookie:
	// "" derives it, "off" leaves the AMI's value, or a domain that is
	// DomainName or a parent of it, e.g. ".example.com". Derived: when a
	// FrontendOrigins host and DomainName are different names with a common
	// parent below the public suffix (site example.com, API
	// api.example.com: ".example.com"; never ".com" or ".co.uk"), so that
	// Sanctum's cookie authentication works from the site (without it, a
	// login from the site fails with 419); otherwise nothing is written.
	//
	// Default: "", derived.
	SessionDomain string `json:"sessionDomain"`

	// QueueWorkers is where `php artisan queue:work` runs: "off", nowhere
	// (QUEUE_CONNECTION stays as the AMI's .env has it); "every-node", one
	// worker under systemd on every server of the fleet, started once its
	// boot succeeded and stopped gracefully (the job in hand finishes)
	// before Auto Scaling terminates the server; "worker-group", the same
	// worker on every server of a group of its own (QueueWorkerMinCapacity
	// to QueueWorkerMaxCapacity servers from the fleet's launch template,
	// in no target group, its web server never started; the scheduler stays
	// on the fleet's singleton) and on no web server. "worker-group" needs
	// Fleet Mode autoscaling.
	//
	// Default: "off".
	QueueWorkers string `json:"queueWorkers"`

	// QueueWorkerMinCapacity is the worker group's minimum size, 1 to 99,
	// also its size after the first deployment. Only with QueueWorkers
	// "worker-group".
	//
	// Default: 2, spread over two Availability Zones.
	QueueWorkerMinCapacity int `json:"queueWorkerMinCapacity"`

	// QueueWorkerMaxCapacity is the worker group's maximum size, which CPU
	// scaling (the fleet's TargetCPUPercent) may reach: greater than
	// QueueWorkerMinCapacity (an instance refresh adds a server before it
	// removes one), at most 100. Only with QueueWorkers "worker-group".
	//
	// Default: twice QueueWorkerMinCapacity, at most 100 (4).
	QueueWorkerMaxCapacity int `json:"queueWorkerMaxCapacity"`

	// QueueConnection is QUEUE_CONNECTION, the queue the workers take jobs
	// from: "sqs", a queue the tier creates (encrypted, TLS only, with a
	// dead-letter queue and alarms; SQS_PREFIX and SQS_QUEUE are written),
	// or "redis", the tier's Redis (SessionDriver or CacheStore "redis").
	// Only with QueueWorkers "every-node" or "worker-group"; "sync" and
	// the other connections are refused.
	//
	// Default: "sqs" when QueueWorkers runs workers.
	QueueConnection string `json:"queueConnection"`

	// Migrate is when the database migrations run: "off", never (the
	// database is migrated by hand); "on-boot", `php artisan migrate
	// --force --isolated` as the web user at every boot, after the release
	// switch and the configuration cache, before the web server starts:
	// once per release across the fleet, as Laravel's lock in the cache
	// store lets one server migrate while the others wait, and a migrated
	// database makes later runs a no-op. A failed migration fails the boot
	// (the rollout rolls back). Refused with a CacheStore that is not
	// shared (file, array) unless exactly one server can serve.
	//
	// Default: "off".
	Migrate string `json:"migrate"`

	table   awsdynamodb.Table
	cache   *cache.Cache
	envKeys []string
	removed []string

	queue, deadLetters awssqs.Queue
	workerGroup        awsautoscaling.AutoScalingGroup
}

// APITier is a Laravel API served by the web tier.
type APITier = webtier.Tier[*App]

// NewAPITier creates the web tier with the Laravel profile. It panics, naming
// id, when props are invalid (see APIProps.Validate).
func NewAPITier(scope constructs.Construct, id string, props *APIProps) *APITier {
	web, app := props.split()
	return webtier.New(scope, id, &web, &app)
}

// CacheTable returns the DynamoDB table of the "dynamodb" session driver
// and cache store, or nil when neither uses it.
func (a *App) CacheTable() awsdynamodb.Table { return a.table }

// EnvKeys returns the .env keys the boot writes on every server, in order.
func (a *App) EnvKeys() []string { return slices.Clone(a.envKeys) }

// RemovedEnvKeys returns the .env keys the boot removes because they would
// override the tier's settings (access keys instead of the instance role, a
// DB_URL pointing at the golden server's database, ...).
func (a *App) RemovedEnvKeys() []string { return slices.Clone(a.removed) }

func (a *App) uses(value string) bool {
	return cmp.Or(a.SessionDriver, defaultSessionDriver) == value || cmp.Or(a.CacheStore, defaultCacheStore) == value
}

// Profile returns what Laravel asks of the web tier.
func (a *App) Profile() webtier.Profile {
	app := cmp.Or(a.AppPath, defaultAppPath)
	return webtier.Profile{
		Name:            "laravel",
		HealthCheckPath: defaultHealthCheckPath,
		LogFiles:        []webtier.LogFile{{ID: LogID, Path: app + "/storage/logs/*.log"}},
		CronFiles:       []string{defaultCronFile},
		Job: &webtier.Job{
			Setting: "Scheduler", Mode: a.Scheduler, Step: "scheduler", Description: "Laravel's scheduler",
			CronFile: SchedulerCronFile, Schedule: "* * * * *", Command: "cd " + app + " && php artisan schedule:run",
		},
		CORSOrigins: slices.Clone(a.FrontendOrigins),
		// A release is the code: the AMI's .env (APP_KEY) and storage stay.
		AppPath: app, Shared: []string{".env", "storage"},
		// An office (or a mobile carrier's NAT) shares one address: see the
		// README's "Rate limit".
		RateLimit: defaultRateLimit,
	}
}

// Validate reports what is wrong with the Laravel settings for the tier p.
func (a *App) Validate(p webtier.Props) error {
	var pr check.Problems
	if a.AppPath != "" && !check.Path(a.AppPath) {
		pr.Add("AppPath", "%q is not a clean absolute directory path; allowed: /, letters, digits and @+=:,._-, e.g. %s", a.AppPath, defaultAppPath)
	}
	if a.AppEnv != "" && !appEnvPattern.MatchString(a.AppEnv) {
		pr.Add("AppEnv", "%q is not an environment name; allowed: a lower-case letter, then up to 31 lower-case letters, digits, _ or -, e.g. production", a.AppEnv)
	}
	many := !p.OneServer()
	if pr.OneOf("SessionDriver", a.SessionDriver, sessionDrivers, defaultSessionDriver) && many && slices.Contains(serverLocal, a.SessionDriver) {
		pr.Add("SessionDriver", "%q keeps sessions on one server, and more than one serves (%s); allowed: database, redis, dynamodb, cookie", a.SessionDriver, p.Servers())
	}
	if pr.OneOf("CacheStore", a.CacheStore, cacheStores, defaultCacheStore) && many && slices.Contains(serverLocal, a.CacheStore) {
		pr.Add("CacheStore", "%q is not shared between servers, and more than one serves (%s); allowed: database, redis, dynamodb", a.CacheStore, p.Servers())
	}
	a.validateRedis(&pr)
	seen := map[string]bool{}
	for i, origin := range a.FrontendOrigins {
		field := "FrontendOrigins[" + strconv.Itoa(i) + "]"
		u, err := url.Parse(origin)
		switch {
		case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
			pr.Add(field, "%q is not an origin; allowed: scheme and host (and port), no path or trailing slash, e.g. https://example.com", origin)
		case seen[origin]:
			pr.Add(field, "%q is listed twice", origin)
		}
		seen[origin] = true
	}
	if a.LogChannel != "" && !slices.Contains(logChannels, a.LogChannel) {
		pr.Add("LogChannel", "%q does not write to storage/logs, the files the CloudWatch agent ships; allowed: daily, single (\"\" for the default, daily)", a.LogChannel)
	}
	a.validateSettings(p, &pr)
	a.validateQueue(p, &pr)
	a.validateMigrate(p, &pr)
	return pr.Err()
}

// Attach creates the DynamoDB table when a driver uses it and returns the
// Laravel steps: the CA bundle is there (the web tier's rds-ca step); then
// laravel-env writes .env, laravel-cache caches the configuration and
// laravel-migrate (with Migrate) migrates the database.
func (a *App) Attach(t webtier.Parts) []webtier.Step {
	if a.uses("dynamodb") {
		a.table = newCacheTable(t)
		a.table.GrantReadWriteData(t.Fleet().Role())
	}
	a.attachRedis(t)
	a.attachQueue(t)
	webtier.GrantReferences(t, t.Fleet().Role(), a.EnvSecrets, a.DecryptKeys)
	data := a.stepData(t)
	steps := append([]webtier.Step{
		{Name: "laravel-env", Body: boot.RenderStep(envTemplate, data)},
		{Name: "laravel-cache", Body: boot.RenderStep(cacheTemplate, data)},
	}, a.migrateStep(data)...)
	return append(steps, a.queueStep(t, data.AppPath)...)
}

// newCacheTable creates the table Laravel's DynamoDB cache store (and the
// dynamodb session driver, which uses that store) reads and writes. Its
// key attribute is "key" and its expiry attribute "expires_at": the names
// of Laravel's default stores.dynamodb.attributes.
func newCacheTable(scope constructs.Construct) awsdynamodb.Table {
	// "CacheTable" is part of the table's logical ID: renaming it replaces
	// the table, and every session in it.
	return awsdynamodb.NewTable(scope, jsii.String("CacheTable"), &awsdynamodb.TableProps{
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
	AppPath, WebUser, PHPFPMUnit string
	SecretID, DBName             string
	RedisSecret, RedisKey        string
	Env                          []envEntry
	Drop                         string
	// Secrets are the EnvSecrets read at boot; AppKeyFromSecret is set when
	// APP_KEY is one of them.
	Secrets          []secretEntry
	AppKeyFromSecret bool
}

func (a *App) stepData(t webtier.Parts) stepData {
	p := t.Props()
	db := t.Database()
	port := db.EndpointPort()
	env := []envEntry{
		{Key: "APP_ENV", Value: cmp.Or(a.AppEnv, defaultAppEnv)},
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
		env = append(env, envEntry{Key: "DB_SSLMODE", Value: "require"}, envEntry{Key: "DB_SSLROOTCERT", Value: p.CABundleFile()})
	} else {
		env = append(env, envEntry{Key: "MYSQL_ATTR_SSL_CA", Value: p.CABundleFile()})
	}
	env = append(env,
		envEntry{Key: "SESSION_DRIVER", Value: cmp.Or(a.SessionDriver, defaultSessionDriver)},
		envEntry{Key: "SESSION_SECURE_COOKIE", Value: "true"},
		envEntry{Key: "CACHE_STORE", Value: cmp.Or(a.CacheStore, defaultCacheStore)},
	)
	drop := []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "DB_URL", "DATABASE_URL", "DB_SOCKET"}
	redis := a.redis()
	if redis.host != "" {
		env = append(env, redis.env()...)
		drop = append(drop, redis.drop()...)
	}
	if a.table != nil {
		env = append(env, envEntry{Key: "DYNAMODB_CACHE_TABLE", Value: *a.table.TableName()})
		drop = append(drop, "DYNAMODB_ENDPOINT")
	}
	env = append(env,
		envEntry{Key: "FILESYSTEM_DISK", Value: "s3"},
		envEntry{Key: "AWS_BUCKET", Value: *t.Uploads().Bucket().BucketName()},
		envEntry{Key: "AWS_DEFAULT_REGION", Var: "REGION"},
		envEntry{Key: "AWS_USE_PATH_STYLE_ENDPOINT", Value: "false"},
		// The load balancer's subnets: requests reach the servers from there.
		envEntry{Key: "TRUSTED_PROXIES", Value: strings.Join(t.Edge().SubnetCIDRs(), ",")},
	)
	if len(a.FrontendOrigins) > 0 {
		var hosts []string
		for _, o := range a.FrontendOrigins {
			u, _ := url.Parse(o)
			if !slices.Contains(hosts, u.Host) {
				hosts = append(hosts, u.Host)
			}
		}
		env = append(env,
			envEntry{Key: "FRONTEND_URL", Value: a.FrontendOrigins[0]},
			envEntry{Key: "CORS_ALLOWED_ORIGINS", Value: strings.Join(a.FrontendOrigins, ",")},
			envEntry{Key: "SANCTUM_STATEFUL_DOMAINS", Value: strings.Join(hosts, ",")},
		)
	}
	env = append(env, envEntry{Key: "LOG_CHANNEL", Value: cmp.Or(a.LogChannel, defaultLogChannel)})
	queue, queueDrop := a.queueEnv()
	env, drop = append(env, queue...), append(drop, queueDrop...)
	settings, secrets := a.settingsEnv(p.DomainName)
	env = append(env, settings...)
	for _, e := range env {
		a.envKeys = append(a.envKeys, e.Key)
	}
	a.removed = drop
	return stepData{
		AppPath: cmp.Or(a.AppPath, defaultAppPath), WebUser: p.WebUser, PHPFPMUnit: p.PHPFPMUnit,
		SecretID: *db.Secret().SecretArn(), DBName: cmp.Or(p.Database.DatabaseName, defaultDatabaseName),
		RedisSecret: redis.secret, RedisKey: redis.key,
		Env: env, Drop: strings.Join(drop, " "),
		Secrets: secrets, AppKeyFromSecret: a.EnvSecrets["APP_KEY"] != "",
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
// boot.Quote.
var (
	//go:embed env.sh.tmpl
	envText     string
	envTemplate = boot.StepTemplate("laravel-env", envText)
	//go:embed cache.sh.tmpl
	cacheText     string
	cacheTemplate = boot.StepTemplate("laravel-cache", cacheText)
)

// AddFrontendOrigin adds origin, e.g. the environment's static site, to
// FrontendOrigins unless it is there; call it before the tier is created.
func (a *App) AddFrontendOrigin(origin string) {
	if !slices.Contains(a.FrontendOrigins, origin) {
		a.FrontendOrigins = append(slices.Clone(a.FrontendOrigins), origin)
	}
}
