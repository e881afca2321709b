package config

import (
	"strings"
	"testing"

	"github.com/tierkit/tierkit/constructs/laravel"
	"github.com/tierkit/tierkit/constructs/webtier"
)

// The Laravel tier's migrations at boot: a json-tagged field of laravel.App.

func TestLaravelMigrateKeyIsDecoded(t *testing.T) {
	env, err := laravelTier(t, `{"migrate": "on-boot"}`)
	if err != nil {
		t.Fatal(err)
	}
	if l := env.Tiers[TierLaravel].App.(*laravel.App); l.Migrate != laravel.MigrateOnBoot {
		t.Errorf("migrate decoded as %q", l.Migrate)
	}
}

// TestLaravelMigrateRefusalNamesItsConfigurationPath: what the tier
// refuses is reported under the key's path in cdk.json.
func TestLaravelMigrateRefusalNamesItsConfigurationPath(t *testing.T) {
	for _, c := range []struct{ tier, want string }{
		{`{"migrate": "always"}`, `environments.prod.tiers.laravel.migrate: "always" is not supported; allowed: off, on-boot`},
		{`{"migrate": "on-boot", "cacheStore": "file"}`, `environments.prod.tiers.laravel.migrate: "on-boot" takes its once-only lock in the cache store, and CacheStore "file" is not shared`},
	} {
		env, err := laravelTier(t, c.tier)
		if err != nil {
			t.Fatal(err)
		}
		tier := env.Tiers[TierLaravel]
		if got := Refused(env, TierLaravel, webtier.Validate(&tier.Props, tier.App)); got == nil || !strings.Contains(got.Error(), c.want) {
			t.Errorf("%s: got %v; want %q", c.tier, got, c.want)
		}
	}
}
