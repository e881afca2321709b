package config

import (
	"strings"
	"testing"
)

// releases is a tier key (webtier.Props.Releases); the current release is
// not: it is the tier's record, which scripts/release writes.
func TestReleasesIsATierKeyAndTheReleaseIsNot(t *testing.T) {
	envs := `{"prod": ` + patch(t, `{"tiers": {"laravel": {"releases": true}, "nextcloud": {}}}`) + `}`
	env, err := Select(context(t, map[string]string{EnvironmentsKey: envs}))
	if err != nil {
		t.Fatal(err)
	}
	if !env.Tiers[TierLaravel].Props.Releases || env.Tiers[TierNextcloud].Props.Releases {
		t.Errorf("releases: laravel %v, nextcloud %v; want true, false", env.Tiers[TierLaravel].Props.Releases, env.Tiers[TierNextcloud].Props.Releases)
	}
	envs = `{"prod": ` + patch(t, `{"tiers": {"laravel": {"releases": true, "release": {"id": "r1"}}}}`) + `}`
	_, err = Select(context(t, map[string]string{EnvironmentsKey: envs}))
	if err == nil || !strings.Contains(err.Error(), "environments.prod.tiers.laravel.release: unknown key") {
		t.Errorf("a release in cdk.json: %v, want it refused", err)
	}
}
