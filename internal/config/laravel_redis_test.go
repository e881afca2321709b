package config

import (
	"strings"
	"testing"

	"github.com/tierkit/tierkit/constructs/laravel"
	"github.com/tierkit/tierkit/constructs/webtier"
)

// The Laravel tier's Redis AUTH keys: json-tagged fields of laravel.App,
// decoded by type and refused by the tier under their configuration path.

const (
	redisAuthSecret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/redis-auth-AbCdEf"
	redisAuthKey    = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
)

// laravelTier returns the environment with tier as its laravel tier's object.
func laravelTier(t *testing.T, tier string) (Environment, error) {
	t.Helper()
	envs := `{"prod": ` + patch(t, `{"tiers": {"laravel": `+tier+`}}`) + `}`
	return Select(context(t, map[string]string{EnvironmentsKey: envs}))
}

func TestLaravelRedisAuthKeysAreDecoded(t *testing.T) {
	env, err := laravelTier(t, `{"sessionDriver": "redis", "redisHost": "master.api-cache.abc123.euw1.cache.amazonaws.com", "redisPort": 6380,
		"redisTls": true, "redisAuthSecret": "`+redisAuthSecret+`", "redisAuthSecretKey": "password", "redisAuthKmsKeyArn": "`+redisAuthKey+`"}`)
	if err != nil {
		t.Fatal(err)
	}
	l := env.Tiers[TierLaravel].App.(*laravel.App)
	if l.RedisAuthSecret != redisAuthSecret || l.RedisAuthSecretKey != "password" || l.RedisAuthKmsKeyArn != redisAuthKey || !l.RedisTLS || l.RedisPort != 6380 {
		t.Errorf("laravel's Redis settings: %+v", l)
	}
	if err := webtier.Validate(&webtier.Props{DomainName: "api.example.org"}, l); err != nil && strings.Contains(err.Error(), "Redis") {
		t.Errorf("the tier refuses valid Redis settings: %v", err)
	}
}

func TestLaravelRedisAuthKeysOfTheWrongType(t *testing.T) {
	_, err := laravelTier(t, `{"sessionDriver": "redis", "redisAuthSecret": {"arn": "x"}, "redisAuthSecretKey": 1, "redisAuthKmsKeyArn": true}`)
	for _, want := range []string{
		"environments.prod.tiers.laravel.redisAuthSecret: must be a string, got an object",
		"environments.prod.tiers.laravel.redisAuthSecretKey: must be a string, got the number 1",
		"environments.prod.tiers.laravel.redisAuthKmsKeyArn: must be a string, got the boolean true",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v; want it to contain %q", err, want)
		}
	}
}

// TestLaravelRedisAuthRefusalsNameTheirConfigurationPath: what the tier
// refuses (webtier.Validate, as the app calls it) is reported under the
// key's path in cdk.json.
func TestLaravelRedisAuthRefusalsNameTheirConfigurationPath(t *testing.T) {
	for _, c := range []struct{ tier, want string }{
		{`{"sessionDriver": "redis", "redisHost": "cache.internal", "redisAuthSecret": "` + redisAuthSecret + `"}`,
			"environments.prod.tiers.laravel.redisAuthSecret: set without RedisTLS; the password would cross the network in plain text"},
		{`{"sessionDriver": "redis", "redisHost": "cache.internal", "redisTls": true, "redisAuthSecret": "prod/redis-auth"}`,
			`environments.prod.tiers.laravel.redisAuthSecret: "prod/redis-auth" is not the complete ARN of a Secrets Manager secret`},
		{`{"redisAuthSecret": "` + redisAuthSecret + `"}`,
			"environments.prod.tiers.laravel.redisAuthSecret: set, but neither SessionDriver nor CacheStore is redis"},
		{`{"sessionDriver": "redis", "redisHost": "cache.internal", "redisTls": true, "redisAuthSecretKey": "password"}`,
			"environments.prod.tiers.laravel.redisAuthSecretKey: set without RedisAuthSecret"},
		{`{"sessionDriver": "redis", "redisHost": "cache.internal", "redisTls": true, "redisAuthSecret": "` + redisAuthSecret + `", "redisAuthKmsKeyArn": "alias/redis"}`,
			`environments.prod.tiers.laravel.redisAuthKmsKeyArn: "alias/redis" is not a KMS key ARN`},
	} {
		env, err := laravelTier(t, c.tier)
		if err != nil {
			t.Fatal(err)
		}
		tier := env.Tiers[TierLaravel]
		got := Refused(env, TierLaravel, webtier.Validate(&tier.Props, tier.App))
		if !strings.Contains(got.Error(), c.want) {
			t.Errorf("%s: got %v; want %q", c.tier, got, c.want)
		}
	}
}

func TestRedisAuthKeysOnlyApplyToLaravel(t *testing.T) {
	envs := `{"prod": ` + patch(t, `{"tiers": {"nextcloud": {"redisAuthSecret": "`+redisAuthSecret+`"}}}`) + `}`
	_, err := Select(context(t, map[string]string{EnvironmentsKey: envs}))
	if want := "environments.prod.tiers.nextcloud.redisAuthSecret: only applies to tier laravel"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v; want %q", err, want)
	}
}
