//go:build e2e

package realstack

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tierkit/tierkit/constructs/laravel"
	"github.com/tierkit/tierkit/constructs/nextcloud"
)

// The settings and secrets a scenario with settings carries from the
// template: a setting in the template, a password from a Secrets Manager
// secret's JSON key and a user name from an SSM parameter, served by the
// fakes.
const (
	e2eMailSecretARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:e2e/mail-AbCdEf"
	e2eMailUserParam = "/e2e/mail-user"
	// e2eMailPassword holds what .env and config.php must quote.
	e2eMailPassword = `e2e pa"ss'wo$rd #1 \ é`
	e2eMailUser     = "mailer@example.com"
	e2eFromName     = `E2E "team" $1 #x`
)

func laravelSettings(p *laravel.APIProps) {
	p.Env = map[string]string{"MAIL_MAILER": "smtp", "MAIL_FROM_NAME": e2eFromName}
	p.EnvSecrets = map[string]string{
		"MAIL_PASSWORD": "secretsmanager:" + e2eMailSecretARN + "#password",
		"MAIL_USERNAME": "ssm:" + e2eMailUserParam,
	}
	// Article 000's site beside the API: the session cookie is shared.
	p.FrontendOrigins = []string{"https://example.com"}
}

func nextcloudSettings(p *nextcloud.Props) {
	p.Config = map[string]any{"default_phone_region": "DE", "mail_smtpport": 587}
	p.ConfigSecrets = map[string]string{
		"mail_smtppassword": "secretsmanager:" + e2eMailSecretARN + "#password",
		"mail_smtpname":     "ssm:" + e2eMailUserParam,
	}
}

// serveSettingsSecrets puts the settings' secret and parameter into the fake
// Secrets Manager and SSM, beside the tier's secrets.
func serveSettingsSecrets(s *Stack) {
	s.Secrets.Secrets[e2eMailSecretARN] = map[string]any{"username": "ignored", "password": e2eMailPassword}
	s.Secrets.Parameters = map[string]string{e2eMailUserParam: e2eMailUser}
}

// settingsReachTheApp: every server's application reads the setting, the
// secret's value (compared by its SHA-256: the probe never shows it) and
// the parameter's, as the application sees them (Laravel's cached
// configuration, Nextcloud's merged config.php); Laravel's session cookie
// is shared with the site.
func (f *fleetRun) settingsReachTheApp(t *testing.T, s *Stack) {
	sum := sha256.Sum256([]byte(e2eMailPassword))
	hash := hex.EncodeToString(sum[:])
	for name, w := range f.whoamiAll(t, s) {
		want := map[string]any{"mail_mailer": "smtp", "mail_from_name": e2eFromName, "mail_username": e2eMailUser,
			"mail_password_sha256": hash, "session_domain": ".example.com"}
		got := w
		if f.sc.tier == "nextcloud" {
			want = map[string]any{"default_phone_region": "DE", "mail_smtpport": json.Number("587"), "mail_smtpname": e2eMailUser, "mail_smtppassword_sha256": hash}
			got, _ = w["settings"].(map[string]any)
		}
		for k, v := range want {
			if g := got[k]; g != v && !(k == "mail_smtpport" && g == 587.0) {
				t.Errorf("%s: the application reads %s = %#v; want %#v", name, k, g, v)
			}
		}
	}
}

// secretValuesStayOut: the template, the user data as deployed and the boot
// script hold the references, never the values.
func (f *fleetRun) secretValuesStayOut(t *testing.T) {
	all := map[string]string{"template": string(mustJSON(t, f.tpl.ToJSON())), "user data": f.boot.Loader, "boot script": f.boot.Script}
	for what, text := range all {
		for _, v := range []string{e2eMailPassword, e2eMailUser} {
			if strings.Contains(text, v) {
				t.Errorf("the %s holds %q", what, v)
			}
		}
	}
	if !strings.Contains(f.boot.Script, "'secretsmanager:"+e2eMailSecretARN+"#password'") || !strings.Contains(f.boot.Script, "'ssm:"+e2eMailUserParam+"'") {
		t.Errorf("the boot script does not read the references")
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
