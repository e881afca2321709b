package config

import (
	"strings"
	"testing"

	"github.com/tierkit/tierkit/constructs/laravel"
	"github.com/tierkit/tierkit/constructs/webtier"
)

// The Laravel tier's queue workers: json-tagged fields of laravel.App,
// decoded by type and refused by the tier under their configuration path.

func TestLaravelQueueKeysAreDecoded(t *testing.T) {
	env, err := laravelTier(t, `{"sessionDriver": "redis", "redisHost": "cache.internal", "queueWorkers": "every-node", "queueConnection": "redis"}`)
	if err != nil {
		t.Fatal(err)
	}
	l := env.Tiers[TierLaravel].App.(*laravel.App)
	if l.QueueWorkers != laravel.QueueWorkersEveryNode || l.QueueConnection != laravel.QueueRedis {
		t.Errorf("laravel's queue settings: %q, %q", l.QueueWorkers, l.QueueConnection)
	}
	if err := webtier.Validate(&webtier.Props{DomainName: "api.example.org"}, l); err != nil && strings.Contains(err.Error(), "Queue") {
		t.Errorf("the tier refuses valid queue settings: %v", err)
	}
}

func TestLaravelQueueKeysOfTheWrongType(t *testing.T) {
	_, err := laravelTier(t, `{"queueWorkers": true, "queueConnection": ["sqs"]}`)
	for _, want := range []string{
		"environments.prod.tiers.laravel.queueWorkers: must be a string, got the boolean true",
		"environments.prod.tiers.laravel.queueConnection: must be a string, got a list",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v; want it to contain %q", err, want)
		}
	}
}

// TestLaravelQueueRefusalsNameTheirConfigurationPath: what the tier refuses
// is reported under the key's path in cdk.json.
func TestLaravelQueueRefusalsNameTheirConfigurationPath(t *testing.T) {
	for _, c := range []struct{ tier, want string }{
		{`{"queueWorkers": "lambda"}`, `environments.prod.tiers.laravel.queueWorkers: "lambda" is not supported; allowed: off, every-node, worker-group`},
		{`{"queueConnection": "sqs"}`, `environments.prod.tiers.laravel.queueConnection: "sqs" is set, but QueueWorkers is off`},
		{`{"queueWorkers": "every-node", "queueConnection": "sync"}`, "environments.prod.tiers.laravel.queueConnection: sync runs each job inside the web request"},
		{`{"queueWorkers": "every-node", "queueConnection": "redis"}`, "environments.prod.tiers.laravel.queueConnection: redis, but neither SessionDriver nor CacheStore is redis"},
		{`{"queueWorkers": "every-node", "env": {"QUEUE_CONNECTION": "database"}}`, "environments.prod.tiers.laravel.env.QUEUE_CONNECTION: QUEUE_CONNECTION is written by the tier when QueueWorkers is every-node"},
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
