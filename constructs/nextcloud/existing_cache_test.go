package nextcloud_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/cache"
	"github.com/tierkit/tierkit/constructs/nextcloud"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// The ElastiCache cache article 004's team already runs: its endpoint, its
// security group and its AUTH token's secret (under the key "auth").
const (
	legacyEndpoint = "master.nextcloud-cache.abc123.use1.cache.amazonaws.com"
	legacySG       = "sg-0123456789abcdef0"
	legacySecret   = "arn:aws:secretsmanager:us-east-1:123456789012:secret:nextcloud/redis-auth-AbCdEf"
)

// legacyCache imports that cache into stack.
func legacyCache(stack awscdk.Stack) *cache.Existing {
	return &cache.Existing{
		Endpoint: legacyEndpoint, Port: 6379, TLS: true, SecretKey: "auth",
		SecurityGroup: awsec2.SecurityGroup_FromSecurityGroupId(stack, jsii.String("LegacyCacheGroup"), jsii.String(legacySG), nil),
		Secret:        awssecretsmanager.Secret_FromSecretCompleteArn(stack, jsii.String("LegacyCacheToken"), jsii.String(legacySecret)),
	}
}

// existingCacheProps is the default tier with that cache instead of a new one.
func existingCacheProps(stack awscdk.Stack) *nextcloud.Props {
	p := defaultProps(stack)
	p.Cache = cache.Props{Existing: legacyCache(stack)}
	return p
}

// existingCache is the template of the tier with an existing cache,
// synthesized with template's.
var existingCache = cdktest.Shared(func(tb testing.TB) awscdk.Stack { template(tb); return stacks["Existing"] })

func TestExistingCacheCreatesNoElastiCacheResources(t *testing.T) {
	tpl := existingCache(t)
	for _, typ := range []string{"AWS::ElastiCache::ReplicationGroup", "AWS::ElastiCache::SubnetGroup"} {
		tpl.ResourceCountIs(t, typ, 0)
	}
	for id := range tpl.Resources("AWS::SecretsManager::Secret") {
		if strings.Contains(id, "Cache") {
			t.Errorf("a cache secret %s was created; the existing cache's is used", id)
		}
	}
	for id := range tpl.Resources("AWS::EC2::SecurityGroup") {
		if strings.Contains(id, "Cache") {
			t.Errorf("a cache security group %s was created; the existing cache's is used", id)
		}
	}
	if tiers["Existing"].App().SharedCache().ReplicationGroup() != nil {
		t.Error("SharedCache().ReplicationGroup() is not nil")
	}
}

func TestExistingCacheLetsTheFleetInOnItsSecurityGroup(t *testing.T) {
	tpl := existingCache(t)
	tpl.OnlyIngressFrom(t, legacySG, cdktest.LogicalID(t, tpl, "AWS::EC2::SecurityGroup", "TierFleetSecurityGroup"), 6379)
}

func TestExistingCacheSecretIsReadableByTheFleetOnly(t *testing.T) {
	tpl := existingCache(t)
	statements := fleetAllows(t, tpl)
	if !granted(statements, "secretsmanager:GetSecretValue", `"`+legacySecret+`"`) {
		t.Errorf("the fleet's role cannot read the existing cache's secret %s", legacySecret)
	}
}

func TestExistingCacheHasNoCacheAlarmsOrSlowLog(t *testing.T) {
	tpl := existingCache(t)
	if alarms := cdktest.JSON(tpl.Resources("AWS::CloudWatch::Alarm")); strings.Contains(alarms, "AWS/ElastiCache") {
		t.Errorf("an alarm watches the existing cache, which its owner watches:\n%s", alarms)
	}
	for id := range tpl.Resources("AWS::Logs::LogGroup") {
		if strings.Contains(id, "SlowLog") {
			t.Errorf("a slow log group %s was created for the existing cache", id)
		}
	}
}

// TestBootConnectsToTheExistingCache: the configuration and the sessions
// reach the existing endpoint and port over TLS, with the token read from
// the existing secret under its own key.
func TestBootConnectsToTheExistingCache(t *testing.T) {
	m := newMachine(t, false, "/var/www/nextcloud", installedConfig)
	delete(m.AWS.Secrets, "Cache")
	m.AWS.Secrets["redis-auth"] = map[string]any{"auth": cacheToken}
	r := m.Boot(t, existingCache(t))
	if r.Err != nil {
		t.Fatalf("boot failed: %v\n%s", r.Err, r.Console)
	}
	config := m.Read(t, configPath)
	if want := "'redis' => ['host' => 'tls://" + legacyEndpoint + "', 'port' => 6379, 'password' => '" + cacheToken + "',"; !strings.Contains(config, want) {
		t.Errorf("tierkit.config.php lacks %s:\n%s", want, config)
	}
	ini := m.Read(t, "etc/php/8.3/apache2/conf.d/"+nextcloud.SessionIni)
	if want := `session.save_path = "tls://` + legacyEndpoint + `:6379?auth=` + cacheToken + `&`; !strings.Contains(ini, want) {
		t.Errorf("the session ini lacks %s:\n%s", want, ini)
	}
	read := false
	for _, req := range m.AWS.Requests() {
		read = read || req.SecretID == legacySecret
	}
	if !read {
		t.Errorf("the token was not read from %s", legacySecret)
	}
}

func TestExistingCacheNeedsTLSAndAUTH(t *testing.T) {
	stack := awscdk.NewStack(nil, nil, nil)
	valid, legacy := defaultProps(stack), legacyCache(stack)
	for name, c := range map[string]struct {
		patch func(*cache.Existing)
		want  string
	}{
		"no TLS":  {func(e *cache.Existing) { e.TLS, e.Secret, e.SecretKey = false, nil, "" }, "Cache.Existing.TLS: false; Nextcloud's configuration connects to the cache with TLS and AUTH"},
		"no AUTH": {func(e *cache.Existing) { e.Secret, e.SecretKey = nil, "" }, "Cache.Existing.Secret: missing; Nextcloud's configuration connects to the cache with TLS and AUTH"},
		// The cache block's own rules, reported with the tier's.
		"no port": {func(e *cache.Existing) { e.Port = 0 }, "Cache: Existing.Port: 0 is out of range; required"},
	} {
		t.Run(name, func(t *testing.T) {
			p := *valid
			e := *legacy
			c.patch(&e)
			p.Cache = cache.Props{Existing: &e}
			if err := p.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Validate() = %v; want %q", err, c.want)
			}
		})
	}
}
