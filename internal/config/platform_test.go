package config

import (
	"strings"
	"testing"

	"github.com/tierkit/tierkit/constructs/webtier"
)

// A RHEL-family golden server and the team's own log files, from a tier's
// keys (webtier.Props.Platform and LogFiles).

func TestPlatformAndLogFilesAreKeysOfATier(t *testing.T) {
	envs := `{"prod": ` + patch(t, `{"tiers": {"laravel": {"platform": "rhel", "phpFpmUnit": "php-fpm",
		"logFiles": [{"id": "SiteAccess", "path": "/var/log/virtualmin/example.com_access_log"}]}}}`) + `}`
	env, err := Select(context(t, map[string]string{EnvironmentsKey: envs}))
	if err != nil {
		t.Fatal(err)
	}
	p := env.Tiers[TierLaravel].Props
	if p.Platform != webtier.PlatformRHEL || p.PHPFPMUnit != "php-fpm" {
		t.Errorf("platform %q, phpFpmUnit %q", p.Platform, p.PHPFPMUnit)
	}
	if want := (webtier.LogFile{ID: "SiteAccess", Path: "/var/log/virtualmin/example.com_access_log"}); len(p.LogFiles) != 1 || p.LogFiles[0] != want {
		t.Errorf("logFiles %+v, want [%+v]", p.LogFiles, want)
	}
}

func TestALogFileTakesOnlyIdAndPath(t *testing.T) {
	envs := `{"prod": ` + patch(t, `{"tiers": {"laravel": {"logFiles": [{"id": "Site", "file": "/var/log/a.log"}, "/var/log/b.log"]}}}`) + `}`
	_, err := Select(context(t, map[string]string{EnvironmentsKey: envs}))
	for _, want := range []string{
		"environments.prod.tiers.laravel.logFiles[0].file: unknown key; allowed: id, path",
		"environments.prod.tiers.laravel.logFiles[1]: must be an object",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
	}
}

// TestRefusedPlatformAndLogFilesNameTheirKeys: the web tier's refusals
// reach the user under the tier's keys.
func TestRefusedPlatformAndLogFilesNameTheirKeys(t *testing.T) {
	envs := `{"prod": ` + patch(t, `{"tiers": {"laravel": {"platform": "rhel", "webServer": "apache2",
		"logFiles": [{"id": "Boot", "path": "/var/log/virtualmin/example.com_access_log"}]}}}`) + `}`
	env, err := Select(context(t, map[string]string{EnvironmentsKey: envs}))
	if err != nil {
		t.Fatal(err)
	}
	tier := env.Tiers[TierLaravel]
	msg := Refused(env, TierLaravel, webtier.Validate(&tier.Props, tier.App)).Error()
	for _, want := range []string{
		`environments.prod.tiers.laravel.webServer: "apache2" with Platform "rhel": Debian's Apache (the RHEL family's is httpd)`,
		`environments.prod.tiers.laravel.logFiles[0]: id "Boot" is the tier's own`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("got %q, want %q", msg, want)
		}
	}
}
