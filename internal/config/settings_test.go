package config

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/tierkit/tierkit/constructs/laravel"
	"github.com/tierkit/tierkit/constructs/nextcloud"
	"github.com/tierkit/tierkit/constructs/webtier"
)

const mailSecret = "secretsmanager:arn:aws:secretsmanager:eu-west-1:123456789012:secret:mail-AbCdEf#password"

// TestSettingsAndSecretsAreDecodedByType: the applications' settings keys
// are their json-tagged fields; config.php values keep their JSON types,
// numbers exactly as written.
func TestSettingsAndSecretsAreDecodedByType(t *testing.T) {
	envs := `{"prod": ` + patch(t, `{"tiers": {
		"laravel": {"env": {"MAIL_MAILER": "smtp"}, "envSecrets": {"MAIL_PASSWORD": "`+mailSecret+`"},
			"decryptKeys": ["arn:aws:kms:eu-west-1:123456789012:key/k1"], "sessionDomain": "off"},
		"nextcloud": {"config": {"mail_smtpport": 587, "ratio": 0.25, "on": true, "none": null,
			"list": ["a", 1], "object": {"k": {"n": false}}}, "configSecrets": {"mail_smtppassword": "ssm:/nc/mail"}}}}`) + `}`
	env, err := Select(context(t, map[string]string{EnvironmentsKey: envs}))
	if err != nil {
		t.Fatal(err)
	}
	l := env.Tiers[TierLaravel].App.(*laravel.App)
	if l.Env["MAIL_MAILER"] != "smtp" || l.EnvSecrets["MAIL_PASSWORD"] != mailSecret || len(l.DecryptKeys) != 1 || l.SessionDomain != "off" {
		t.Errorf("laravel's settings: %+v", l)
	}
	n := env.Tiers[TierNextcloud].App.(*nextcloud.App)
	want := map[string]any{
		"mail_smtpport": json.Number("587"), "ratio": json.Number("0.25"), "on": true, "none": nil,
		"list": []any{"a", json.Number("1")}, "object": map[string]any{"k": map[string]any{"n": false}},
	}
	if !reflect.DeepEqual(n.Config, want) || n.ConfigSecrets["mail_smtppassword"] != "ssm:/nc/mail" {
		t.Errorf("nextcloud's settings: %#v, %#v", n.Config, n.ConfigSecrets)
	}
}

func TestSettingsOfTheWrongTypeNameTheirPath(t *testing.T) {
	envs := `{"prod": ` + patch(t, `{"tiers": {"laravel": {"env": {"MAIL_PORT": 587}, "envSecrets": ["x"]},
		"nextcloud": {"configSecrets": {"mail_smtppassword": {"arn": "x"}}}}}`) + `}`
	_, err := Select(context(t, map[string]string{EnvironmentsKey: envs}))
	for _, want := range []string{
		"environments.prod.tiers.laravel.env.MAIL_PORT: must be a string, got the number 587",
		"environments.prod.tiers.laravel.envSecrets: must be an object, got a list",
		"environments.prod.tiers.nextcloud.configSecrets.mail_smtppassword: must be a string, got an object",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
	}
}

// TestRefusedSettingsNameTheirKeyPath: the tiers' refusals of a setting
// name it by its cdk.json path, map keys as the decoder names them.
func TestRefusedSettingsNameTheirKeyPath(t *testing.T) {
	envs := `{"prod": ` + patch(t, `{"tiers": {"laravel": {"envSecrets": {"MAIL_PASSWORD": "hunter2", "DB_HOST": "ssm:/x"}},
		"nextcloud": {"config": {"dbhost": "x"}}}}`) + `}`
	env, err := Select(context(t, map[string]string{EnvironmentsKey: envs}))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, name := range env.TierNames() {
		tier := env.Tiers[name]
		p := tier.Props
		p.DomainName = "api.example.org"
		got = append(got, Refused(env, name, webtier.Validate(&p, tier.App)).Error())
	}
	for _, want := range []string{
		`environments.prod.tiers.laravel.envSecrets.MAIL_PASSWORD: "hunter2" is not a reference`,
		"environments.prod.tiers.laravel.envSecrets.DB_HOST: DB_HOST is written by the tier",
		"environments.prod.tiers.nextcloud.config.dbhost: dbhost is written by the tier",
	} {
		if !strings.Contains(strings.Join(got, "\n"), want) {
			t.Errorf("got:\n%s\nwant %q", strings.Join(got, "\n"), want)
		}
	}
}
