package config

import (
	"strings"
	"testing"

	"github.com/tierkit/tierkit/constructs/nextcloud"
	"github.com/tierkit/tierkit/constructs/webtier"
)

// The Nextcloud tier's upgrade at boot: a json-tagged field of nextcloud.App.

// nextcloudTier selects environment prod with tier as its nextcloud tier.
func nextcloudTier(t *testing.T, tier string) (Environment, error) {
	t.Helper()
	envs := `{"prod": ` + patch(t, `{"tiers": {"nextcloud": `+tier+`}}`) + `}`
	return Select(context(t, map[string]string{EnvironmentsKey: envs}))
}

func TestNextcloudUpgradeKeyIsDecoded(t *testing.T) {
	env, err := nextcloudTier(t, `{"domainName": "files.example.org", "upgrade": "on-boot"}`)
	if err != nil {
		t.Fatal(err)
	}
	if n := env.Tiers[TierNextcloud].App.(*nextcloud.App); n.Upgrade != nextcloud.UpgradeOnBoot {
		t.Errorf("upgrade decoded as %q", n.Upgrade)
	}
}

// TestNextcloudUpgradeRefusalNamesItsConfigurationPath: what the tier
// refuses is reported under the key's path in cdk.json.
func TestNextcloudUpgradeRefusalNamesItsConfigurationPath(t *testing.T) {
	env, err := nextcloudTier(t, `{"domainName": "files.example.org", "upgrade": "always"}`)
	if err != nil {
		t.Fatal(err)
	}
	tier := env.Tiers[TierNextcloud]
	want := `environments.prod.tiers.nextcloud.upgrade: "always" is not supported; allowed: off, on-boot ("" for the default, "off")`
	if got := Refused(env, TierNextcloud, webtier.Validate(&tier.Props, tier.App)); got == nil || !strings.Contains(got.Error(), want) {
		t.Errorf("got %v; want %q", got, want)
	}
}
