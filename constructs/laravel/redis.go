package laravel

import (
	"cmp"
	"regexp"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/cache"
	"github.com/tierkit/tierkit/constructs/webtier"
	"github.com/tierkit/tierkit/internal/check"
)

// What the Redis AUTH settings accept.
var (
	// secretArn is a complete Secrets Manager ARN: the name, then - and the
	// six characters Secrets Manager adds, so that a grant names exactly
	// this secret.
	secretArn = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z]{2}(-[a-z]+)+-[0-9]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$`)
	kmsKeyArn = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z]{2}(-[a-z]+)+-[0-9]+:[0-9]{12}:key/[A-Za-z0-9-]+$`)
	jsonKey   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

// SharedCache returns the cache block of Cache, or nil without one.
func (a *App) SharedCache() *cache.Cache { return a.cache }

// literal reports whether v is known at synthesis (not a CDK token).
func literal(v string) bool { return !*awscdk.Token_IsUnresolved(jsii.String(v)) }

// validateRedis reports what is wrong with the Redis settings and Cache.
func (a *App) validateRedis(pr *check.Problems) {
	settings := []struct {
		field string
		set   bool
	}{
		{"RedisHost", a.RedisHost != ""}, {"RedisPort", a.RedisPort != 0}, {"RedisTLS", a.RedisTLS},
		{"RedisAuthSecret", a.RedisAuthSecret != ""}, {"RedisAuthSecretKey", a.RedisAuthSecretKey != ""},
		{"RedisAuthKmsKeyArn", a.RedisAuthKmsKeyArn != ""},
	}
	if !a.uses("redis") {
		for _, s := range append(settings, struct {
			field string
			set   bool
		}{"Cache", a.Cache != nil}) {
			if s.set {
				pr.Add(s.field, "set, but neither SessionDriver nor CacheStore is redis; allowed: only with redis")
			}
		}
		return
	}
	if a.Cache != nil {
		for _, s := range settings {
			if s.set {
				pr.Add(s.field, "set with Cache; the cache block gives the host, port, TLS and AUTH token; allowed: Cache or the Redis settings, not both")
			}
		}
		if a.Cache.Vpc != nil {
			pr.Add("Cache.Vpc", "set by the tier (the web tier's VPC); leave it empty")
		} else if err := a.Cache.ValidateSettings(); err != nil {
			pr.Add("Cache", "%v", err)
		}
		return
	}
	if a.RedisHost == "" {
		pr.Add("RedisHost", "required when SessionDriver or CacheStore is redis (or set Cache)")
	} else if literal(a.RedisHost) && !hostPattern.MatchString(a.RedisHost) {
		pr.Add("RedisHost", "%q is not a host name or IPv4 address; allowed: e.g. my-cache.abc123.use1.cache.amazonaws.com", a.RedisHost)
	}
	if a.RedisPort < 0 || a.RedisPort > 65535 {
		pr.Add("RedisPort", "%d is out of range; allowed: 1 to 65535 (0 for the default, %d)", a.RedisPort, defaultRedisPort)
	}
	if a.RedisAuthSecret == "" {
		for _, s := range settings[4:] {
			if s.set {
				pr.Add(s.field, "set without RedisAuthSecret; allowed: only with RedisAuthSecret")
			}
		}
		return
	}
	if literal(a.RedisAuthSecret) && !secretArn.MatchString(a.RedisAuthSecret) {
		pr.Add("RedisAuthSecret", "%q is not the complete ARN of a Secrets Manager secret; allowed: arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>, as the console shows it", a.RedisAuthSecret)
	}
	if !a.RedisTLS {
		pr.Add("RedisAuthSecret", "set without RedisTLS; the password would cross the network in plain text (and ElastiCache accepts AUTH only with encryption in transit); allowed: with RedisTLS true, a cache that takes TLS")
	}
	if k := a.RedisAuthSecretKey; k != "" && !jsonKey.MatchString(k) {
		pr.Add("RedisAuthSecretKey", "%q is not a JSON key the boot reads; allowed: 1 to 64 letters, digits, _ or - (\"\" for the default, %q)", k, cache.TokenKey)
	}
	if k := a.RedisAuthKmsKeyArn; k != "" && literal(k) && !kmsKeyArn.MatchString(k) {
		pr.Add("RedisAuthKmsKeyArn", "%q is not a KMS key ARN; allowed: arn:aws:kms:<region>:<account>:key/<key id> (not an alias)", k)
	}
}

// attachRedis creates or wraps the cache block of Cache and lets the fleet
// reach it and read its token, or grants the fleet's role RedisAuthSecret.
func (a *App) attachRedis(t webtier.Parts) {
	if !a.uses("redis") {
		return
	}
	role := t.Fleet().Role()
	if a.Cache != nil {
		a.cache = webtier.NewCache(t, *a.Cache)
		return
	}
	if a.RedisAuthSecret == "" {
		return
	}
	// This secret only; its key only through Secrets Manager, for this
	// secret only (Secrets Manager's encryption context is the secret's ARN).
	awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee:      role,
		Actions:      jsii.Strings("secretsmanager:GetSecretValue"),
		ResourceArns: jsii.Strings(a.RedisAuthSecret),
	})
	if a.RedisAuthKmsKeyArn != "" {
		awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
			Grantee:      role,
			Actions:      jsii.Strings("kms:Decrypt"),
			ResourceArns: jsii.Strings(a.RedisAuthKmsKeyArn),
			Conditions: &map[string]*map[string]any{"StringEquals": {
				"kms:ViaService":                  "secretsmanager." + *awscdk.Stack_Of(t).Region() + ".amazonaws.com",
				"kms:EncryptionContext:SecretARN": a.RedisAuthSecret,
			}},
		})
	}
}

// redisSettings is where the servers' Redis is and how they reach it.
type redisSettings struct {
	host        string
	port        int
	tls         bool
	secret, key string // the AUTH password's secret and JSON key, or none
	block       bool   // from the cache block, which knows when there is no AUTH
}

// redis returns the Redis settings: the cache block's, or the Redis
// fields'; none unless a driver uses redis.
func (a *App) redis() redisSettings {
	switch {
	case !a.uses("redis"):
		return redisSettings{}
	case a.cache != nil:
		r := redisSettings{host: a.cache.Endpoint(), port: a.cache.Port(), tls: a.cache.TLS(), block: true}
		if s := a.cache.Secret(); s != nil {
			r.secret, r.key = *s.SecretArn(), a.cache.SecretKey()
		}
		return r
	}
	r := redisSettings{host: a.RedisHost, port: cmp.Or(a.RedisPort, defaultRedisPort), tls: a.RedisTLS}
	if a.RedisAuthSecret != "" {
		r.secret, r.key = a.RedisAuthSecret, cmp.Or(a.RedisAuthSecretKey, cache.TokenKey)
	}
	return r
}

// env returns the .env entries of r; REDIS_PASSWORD is the boot's
// redis_password, read from the secret.
func (r redisSettings) env() []envEntry {
	scheme := "tcp"
	if r.tls {
		scheme = "tls"
	}
	env := []envEntry{
		{Key: "REDIS_HOST", Value: r.host},
		{Key: "REDIS_PORT", Value: strconv.Itoa(r.port)},
		{Key: "REDIS_SCHEME", Value: scheme},
	}
	if r.secret != "" {
		env = append(env, envEntry{Key: "REDIS_PASSWORD", Var: "redis_password"})
	}
	return env
}

// drop returns the .env keys that would override r: a REDIS_URL of the
// golden server's Redis, and the AMI's REDIS_PASSWORD for a cache block
// without AUTH (phpredis would send it, and the cache refuse it).
func (r redisSettings) drop() []string {
	if r.block && r.secret == "" {
		return []string{"REDIS_URL", "REDIS_PASSWORD"}
	}
	return []string{"REDIS_URL"}
}
