package config

import (
	"strings"
	"testing"

	"github.com/tierkit/tierkit/constructs/nextcloud"
	"github.com/tierkit/tierkit/constructs/webtier"
)

// Nextcloud's data directory on EFS from cdk.json: primaryStorage "efs" and
// dataDirectory are the json-tagged fields PrimaryStorage and DataDirectory
// of nextcloud.App.

func TestNextcloudDataDirectoryOnEFSIsDecoded(t *testing.T) {
	envs := `{"prod": ` + patch(t, `{"tiers": {"nextcloud": {"primaryStorage": "efs", "dataDirectory": "/srv/nextcloud-data"}}}`) + `}`
	env, err := Select(context(t, map[string]string{EnvironmentsKey: envs}))
	if err != nil {
		t.Fatal(err)
	}
	n, ok := env.Tiers[TierNextcloud].App.(*nextcloud.App)
	if !ok || n.PrimaryStorage != "efs" || n.DataDirectory != "/srv/nextcloud-data" {
		t.Errorf("nextcloud's settings: %+v; want primaryStorage efs, dataDirectory /srv/nextcloud-data", env.Tiers[TierNextcloud].App)
	}
}

func TestDataDirectoryIsRefusedWhereItDoesNotApply(t *testing.T) {
	for name, c := range map[string]struct{ tiers, want string }{
		"on laravel":   {`{"laravel": {"dataDirectory": "/srv/data"}}`, "environments.prod.tiers.laravel.dataDirectory: only applies to tier nextcloud"},
		"not a string": {`{"nextcloud": {"dataDirectory": 5}}`, "environments.prod.tiers.nextcloud.dataDirectory: must be"},
	} {
		t.Run(name, func(t *testing.T) {
			envs := `{"prod": ` + patch(t, `{"tiers": `+c.tiers+`}`) + `}`
			if _, err := Select(context(t, map[string]string{EnvironmentsKey: envs})); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v; want %q", err, c.want)
			}
		})
	}
}

// TestDataDirectoryProblemsNameTheKey: what the profile refuses (a data
// directory without efs) is reported under the cdk.json key.
func TestDataDirectoryProblemsNameTheKey(t *testing.T) {
	envs := `{"prod": ` + patch(t, `{"tiers": {"nextcloud": {"dataDirectory": "/srv/nextcloud-data"}}}`) + `}`
	env, err := Select(context(t, map[string]string{EnvironmentsKey: envs}))
	if err != nil {
		t.Fatal(err)
	}
	tier := env.Tiers[TierNextcloud]
	verr := webtier.Validate(&tier.Props, tier.App)
	if verr == nil {
		t.Fatal("dataDirectory with the default s3 storage was accepted")
	}
	got := Refused(env, TierNextcloud, verr)
	want := "environments.prod.tiers.nextcloud.dataDirectory: set, but PrimaryStorage is s3; allowed: only with PrimaryStorage efs"
	if !strings.Contains(got.Error(), want) {
		t.Errorf("got %v; want it to contain %q", got, want)
	}
}
