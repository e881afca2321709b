package laravel_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/cache"
	"github.com/tierkit/tierkit/constructs/laravel"
	"github.com/tierkit/tierkit/internal/cdktest"
	"github.com/tierkit/tierkit/internal/fakeaws"
)

// The variant's Redis AUTH password: its secret (JSON key "password"), the
// key that encrypts it, and the value the fake Secrets Manager serves.
const (
	redisSecretArn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:api/redis-auth-AbCdEf"
	redisKeyArn    = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
	redisPassword  = "RedisAuth0123456789abcdefghijklmnopqrstuv"
	// cacheToken is the token of the cached tier's cache block.
	cacheToken = "CacheTok3nLettersAndDigits0123456789abcdefghij"
)

// withRedisSecret makes m's fake Secrets Manager serve db as the database
// secret and the variant's Redis password under its own key.
func withRedisSecret(m *fakeaws.Machine, db map[string]any) {
	delete(m.AWS.Secrets, "")
	m.AWS.Secrets["Database"] = db
	m.AWS.Secrets["redis-auth"] = map[string]any{"password": redisPassword}
}

// cachedProps is the default API with its sessions, cache and queue in a
// cache block the tier creates, and queue workers.
func cachedProps(stack awscdk.Stack) *laravel.APIProps {
	p := defaultProps(stack)
	p.SessionDriver, p.CacheStore, p.Cache = "redis", "redis", &cache.Props{}
	p.QueueWorkers, p.QueueConnection = laravel.QueueWorkersEveryNode, laravel.QueueRedis
	return p
}

// cached is the tier of cachedProps; cachedTemplate its template,
// synthesized with template's.
var (
	cached         synthesized
	cachedTemplate = cdktest.Shared(func(tb testing.TB) awscdk.Stack { template(tb); return cached.stack })
)

func TestRedisPasswordIsReadFromTheSecretAtBoot(t *testing.T) {
	m := newMachine(t, false, "/srv/api", secret(password))
	withSettingsSecrets(m)
	withRedisSecret(m, secret(password))
	r := runBoot(t, m, variant(t))
	if env := m.Read(t, "srv/api/.env"); !strings.Contains(env, "\nREDIS_PASSWORD="+redisPassword+"\n") {
		t.Errorf(".env lacks REDIS_PASSWORD from the secret:\n%s", env)
	}
	if !slices.ContainsFunc(m.AWS.Requests(), func(r fakeaws.Request) bool { return r.SecretID == redisSecretArn }) {
		t.Errorf("the password was not read from %s", redisSecretArn)
	}
	if strings.Contains(r.Log+r.Console+strings.Join(r.Calls, "\n"), redisPassword) {
		t.Error("the Redis password appears in the boot log, the console or a command line")
	}
	if !strings.Contains(r.Log, "Redis password from "+redisSecretArn) {
		t.Errorf("the log does not say where the Redis password came from:\n%s", r.Log)
	}
}

func TestBootFailsWhenTheRedisSecretCannotBeRead(t *testing.T) {
	for name, c := range map[string]struct {
		secret map[string]any
		want   string
	}{
		"denied":          {nil, "laravel-env: Secrets Manager answered 400 for " + redisSecretArn},
		"key not present": {map[string]any{"token": redisPassword}, "laravel-env: no password (without quotes or backslashes) in " + redisSecretArn},
	} {
		t.Run(name, func(t *testing.T) {
			m := newMachine(t, false, "/srv/api", secret(password))
			withSettingsSecrets(m)
			withRedisSecret(m, secret(password))
			if c.secret == nil {
				delete(m.AWS.Secrets, "redis-auth")
			} else {
				m.AWS.Secrets["redis-auth"] = c.secret
			}
			r := runBoot(t, m, variant(t), c.want, "step laravel-env failed")
			if slices.Contains(r.Calls, "systemctl restart nginx") {
				t.Errorf("the web server was started")
			}
			if got := m.Read(t, "srv/api/.env"); got != defaultEnv {
				t.Errorf(".env changed by a failed boot:\n%s", got)
			}
		})
	}
}

func TestRedisSecretIsGrantedExactly(t *testing.T) {
	// The policy merges the grants of one action into one statement: the
	// variant's settings secrets share the GetSecretValue statement.
	var reach []string
	read := false
	for _, s := range roleStatements(t, variant(t)) {
		if !strings.Contains(cdktest.JSON(s), "redis-auth") {
			continue
		}
		if s["Action"] == "secretsmanager:GetSecretValue" && s["Condition"] == nil {
			read = slices.Contains(cdktest.AsList(s["Resource"]), any(redisSecretArn))
			continue
		}
		reach = append(reach, cdktest.JSON(s))
	}
	if !read {
		t.Errorf("no GetSecretValue on exactly %s among the role's statements", redisSecretArn)
	}
	want := []string{
		`{"Action":"kms:Decrypt","Condition":{"StringEquals":{"kms:EncryptionContext:SecretARN":"` + redisSecretArn + `","kms:ViaService":"secretsmanager.us-east-1.amazonaws.com"}},"Effect":"Allow","Resource":"` + redisKeyArn + `"}`,
	}
	if !slices.Equal(reach, want) {
		t.Errorf("other statements naming the Redis secret:\n%s\nwant only the key's:\n%s", strings.Join(reach, "\n"), strings.Join(want, "\n"))
	}
}

func TestNoKeyGrantWithoutAKeyArn(t *testing.T) {
	if s := cdktest.JSON(roleStatements(t, template(t))); strings.Contains(s, "kms:Decrypt") {
		t.Errorf("the default tier's role may decrypt with a key: %s", s)
	}
}

func TestRedisPasswordIsNeverInTheTemplate(t *testing.T) {
	tpl := variant(t)
	ud := cdktest.UserDataJSON(t, tpl) + cdktest.BootScript(t, tpl)
	if m := regexp.MustCompile(`REDIS_PASSWORD\s*=`).FindString(ud); m != "" {
		t.Errorf("the user data writes REDIS_PASSWORD with a value of its own: %q", m)
	}
	if !strings.Contains(ud, `rsid='`+redisSecretArn+`'`) {
		t.Errorf("the user data does not read the Redis password from %s at boot", redisSecretArn)
	}
}

// The cache block the tier creates.

func TestCacheBlockIsPinnedAndKept(t *testing.T) {
	tpl := cachedTemplate(t)
	checkPolicies(t, tpl, "Snapshot", "TierCacheReplicationGroup07AC09E1")
	checkPolicies(t, tpl, "Retain", "TierCacheSecretFD0E0996", "TierCacheSlowLog5EFA4A92")
	template(t).ResourceCountIs(t, "AWS::ElastiCache::ReplicationGroup", 0)
	if cached.tier.App().SharedCache() == nil || api.tier.App().SharedCache() != nil {
		t.Error("App().SharedCache() must be the cache block with Cache, nil without")
	}
}

func TestCacheBlockAcceptsTheFleetOnly(t *testing.T) {
	tpl := cachedTemplate(t)
	tpl.OnlyIngressFrom(t, cdktest.LogicalID(t, tpl, "AWS::EC2::SecurityGroup", "TierCacheSecurityGroup"),
		cdktest.LogicalID(t, tpl, "AWS::EC2::SecurityGroup", "TierFleetSecurityGroup"), 6380)
}

func TestCacheBlockTokenIsReadableByTheFleet(t *testing.T) {
	tpl := cachedTemplate(t)
	token := `{"Ref":"` + cdktest.LogicalID(t, tpl, "AWS::SecretsManager::Secret", "TierCacheSecret") + `"}`
	if !slices.ContainsFunc(roleStatements(t, tpl), func(s map[string]any) bool {
		return slices.Contains(cdktest.AsList(s["Action"]), any("secretsmanager:GetSecretValue")) && slices.ContainsFunc(cdktest.AsList(s["Resource"]), func(r any) bool { return cdktest.JSON(r) == token })
	}) {
		t.Errorf("the fleet's role cannot read the cache token %s", token)
	}
}

func TestCacheBlockHasAlarmsAndItsSlowLogOnTheDashboard(t *testing.T) {
	tpl := cachedTemplate(t)
	group := cdktest.LogicalID(t, tpl, "AWS::ElastiCache::ReplicationGroup", "TierCache")
	if alarms := cdktest.JSON(tpl.Resources("AWS::CloudWatch::Alarm")); !strings.Contains(alarms, `{"Ref":"`+group+`"},"-001"`) {
		t.Errorf("no alarm watches the cache's first node")
	}
	slow := cdktest.LogicalID(t, tpl, "AWS::Logs::LogGroup", "TierCacheSlowLog")
	if body := cdktest.JSON(tpl.Resources("AWS::CloudWatch::Dashboard")); !strings.Contains(body, `{"Ref":"`+slow+`"}`) {
		t.Errorf("the dashboard does not link the slow log %s", slow)
	}
}

func TestBootWritesTheCacheBlocksSettings(t *testing.T) {
	m := newMachine(t, false, "/var/www/html", secret(password))
	delete(m.AWS.Secrets, "")
	m.AWS.Secrets["Database"] = secret(password)
	m.AWS.Secrets["CacheSecret"] = map[string]any{cache.TokenKey: cacheToken}
	runBoot(t, m, cachedTemplate(t))
	group := cdktest.LogicalID(t, cachedTemplate(t), "AWS::ElastiCache::ReplicationGroup", "TierCache")
	env := m.Read(t, "var/www/html/.env")
	for _, line := range []string{
		"SESSION_DRIVER=redis", "CACHE_STORE=redis", "REDIS_HOST=" + cdktest.GetAttValue(group, "PrimaryEndPoint.Address"),
		"REDIS_PORT=6380", "REDIS_SCHEME=tls", "REDIS_PASSWORD=" + cacheToken,
	} {
		if !strings.Contains(env, "\n"+line+"\n") {
			t.Errorf(".env lacks %s:\n%s", line, env)
		}
	}
}

// TestExistingCacheWithoutAUTH: a cache block wrapping an existing cache
// without TLS or AUTH creates nothing of the cache, lets the fleet in on the
// cache's group, and drops the AMI's REDIS_PASSWORD, which phpredis would
// send and such a cache refuse.
func TestExistingCacheWithoutAUTH(t *testing.T) {
	stack := cdktest.NewStack(cdktest.NewApp(t), "Existing")
	p := defaultProps(stack)
	p.SessionDriver, p.CacheStore = "redis", "redis"
	p.Cache = &cache.Props{Existing: &cache.Existing{
		Endpoint: "redis.internal.example.com", Port: 6379,
		SecurityGroup: awsec2.SecurityGroup_FromSecurityGroupId(stack, jsii.String("LegacyCacheGroup"), jsii.String("sg-0123456789abcdef0"), nil),
	}}
	tier := laravel.NewAPITier(stack, "Tier", p)
	tpl := &cdktest.Template{Template: assertions.Template_FromStack(stack, nil), Outdir: *awscdk.Stage_Of(stack).Outdir()}
	tpl.ResourceCountIs(t, "AWS::ElastiCache::ReplicationGroup", 0)
	tpl.OnlyIngressFrom(t, "sg-0123456789abcdef0", cdktest.LogicalID(t, tpl, "AWS::EC2::SecurityGroup", "TierFleetSecurityGroup"), 6379)
	if alarms := cdktest.JSON(tpl.Resources("AWS::CloudWatch::Alarm")); strings.Contains(alarms, "AWS/ElastiCache") {
		t.Errorf("an alarm watches the existing cache")
	}
	if keys := tier.App().EnvKeys(); !slices.Contains(keys, "REDIS_SCHEME") || slices.Contains(keys, "REDIS_PASSWORD") {
		t.Errorf("EnvKeys() = %q; want the Redis settings without REDIS_PASSWORD", keys)
	}
	if removed := tier.App().RemovedEnvKeys(); !slices.Contains(removed, "REDIS_PASSWORD") {
		t.Errorf("RemovedEnvKeys() = %q; want REDIS_PASSWORD dropped", removed)
	}
	if bs := cdktest.BootScript(t, tpl); !strings.Contains(bs, "REDIS_SCHEME 'tcp'") || !strings.Contains(bs, "REDIS_HOST 'redis.internal.example.com'") {
		t.Errorf("the boot does not write the existing cache's host and scheme")
	}
}

func TestInvalidRedisSettings(t *testing.T) {
	valid := defaultProps(awscdk.NewStack(nil, nil, nil))
	redis := func(p laravel.APIProps) laravel.APIProps {
		p.CacheStore, p.RedisHost, p.RedisTLS = "redis", "cache.internal", true
		return p
	}
	for _, c := range []struct {
		props laravel.APIProps
		want  string
	}{
		{laravel.APIProps{RedisAuthSecret: redisSecretArn}, "RedisAuthSecret: set, but neither SessionDriver nor CacheStore is redis"},
		{laravel.APIProps{Cache: &cache.Props{}}, "Cache: set, but neither SessionDriver nor CacheStore is redis"},
		{laravel.APIProps{CacheStore: "redis", RedisHost: "cache.internal", RedisAuthSecret: redisSecretArn}, "RedisAuthSecret: set without RedisTLS; the password would cross the network in plain text"},
		{redis(laravel.APIProps{RedisAuthSecret: "arn:aws:secretsmanager:us-east-1:123456789012:secret:api/redis-auth"}), `RedisAuthSecret: "arn:aws:secretsmanager:us-east-1:123456789012:secret:api/redis-auth" is not the complete ARN of a Secrets Manager secret`},
		{redis(laravel.APIProps{RedisAuthSecret: "api/redis-auth"}), `RedisAuthSecret: "api/redis-auth" is not the complete ARN`},
		{redis(laravel.APIProps{RedisAuthSecretKey: "password"}), "RedisAuthSecretKey: set without RedisAuthSecret"},
		{redis(laravel.APIProps{RedisAuthKmsKeyArn: redisKeyArn}), "RedisAuthKmsKeyArn: set without RedisAuthSecret"},
		{redis(laravel.APIProps{RedisAuthSecret: redisSecretArn, RedisAuthSecretKey: "pass word"}), `RedisAuthSecretKey: "pass word" is not a JSON key the boot reads`},
		{redis(laravel.APIProps{RedisAuthSecret: redisSecretArn, RedisAuthKmsKeyArn: "alias/redis"}), `RedisAuthKmsKeyArn: "alias/redis" is not a KMS key ARN`},
		{laravel.APIProps{CacheStore: "redis", Cache: &cache.Props{}, RedisHost: "cache.internal"}, "RedisHost: set with Cache; the cache block gives the host, port, TLS and AUTH token"},
		{laravel.APIProps{CacheStore: "redis", Cache: &cache.Props{}, RedisTLS: true}, "RedisTLS: set with Cache"},
		{laravel.APIProps{CacheStore: "redis", Cache: &cache.Props{}, RedisAuthSecret: redisSecretArn}, "RedisAuthSecret: set with Cache"},
		{laravel.APIProps{CacheStore: "redis", Cache: &cache.Props{Vpc: cdktest.ImportedVpc(awscdk.NewStack(nil, nil, nil))}}, "Cache.Vpc: set by the tier"},
		{laravel.APIProps{CacheStore: "redis", Cache: &cache.Props{Replicas: 9}}, "Cache: Replicas: 9 is out of range"},
		{laravel.APIProps{CacheStore: "redis", Cache: &cache.Props{Existing: &cache.Existing{Endpoint: "redis.internal"}}}, "Cache: Existing.Port: 0 is out of range; required"},
	} {
		p := c.props
		p.DomainName, p.Zone, p.Image = valid.DomainName, valid.Zone, valid.Image
		if got := fmt.Sprint(p.Validate()); !strings.Contains(got, c.want) {
			t.Errorf("got %s; want a problem containing %q", got, c.want)
		}
	}
}

func TestValidRedisSettingsPass(t *testing.T) {
	valid := defaultProps(awscdk.NewStack(nil, nil, nil))
	for name, p := range map[string]laravel.APIProps{
		"AUTH over TLS": {CacheStore: "redis", RedisHost: "cache.internal", RedisTLS: true, RedisAuthSecret: redisSecretArn, RedisAuthSecretKey: "password", RedisAuthKmsKeyArn: redisKeyArn},
		"cache block":   {SessionDriver: "redis", Cache: &cache.Props{}},
	} {
		p.DomainName, p.Zone, p.Image = valid.DomainName, valid.Zone, valid.Image
		if err := p.Validate(); err != nil {
			t.Errorf("%s: Validate() = %v; want nil", name, err)
		}
	}
}
