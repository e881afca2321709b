package nextcloud_test

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tierkit/tierkit/constructs/nextcloud"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// The variant's settings and secrets (variantProps).
const (
	mailSecretARN   = "arn:aws:secretsmanager:us-east-1:123456789012:secret:nextcloud/mail-AbCdEf"
	apiKeyParameter = "/nextcloud/api-key"
	decryptKeyARN   = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

	// What the fake AWS holds for them: every character PHP or the shell
	// could misread.
	mailPassword = `pa ss"wo'rd $HOME #1 \n\ é`
	apiKey       = "key'with\\nothing$special\nsecond line"
)

// extraConfig is the variant's Config: every kind of JSON value, strings
// with quotes, backslashes, $ and a newline.
func extraConfig() map[string]any {
	return map[string]any{
		"default_phone_region":     "DE",
		"mail_smtpport":            json.Number("587"),
		"mail_smtptimeout":         2.5,
		"mail_smtpsecure":          true,
		"maintenance_window_start": nil,
		"mail_from_address":        `it's "me" \o/ $x` + "\nline 2",
		"enabledPreviewProviders":  []any{`OC\Preview\PNG`, `OC\Preview\JPEG`},
		"app_install_overwrite":    []string{"calendar"},
		"mail_smtpstreamoptions":   map[string]any{"ssl": map[string]any{"allow_self_signed": false, "verify_depth": 3}},
	}
}

// TestSettingsAndSecretsReachNextcloudsConfiguration: PHP reads back exactly
// the values of Config and those read at boot.
func TestSettingsAndSecretsReachNextcloudsConfiguration(t *testing.T) {
	if !requirePHP(t) {
		t.Skip("php is not on PATH (Debian package php-cli)")
	}
	m := newMachine(t, true, "/srv/nextcloud", freshConfig)
	r := m.Boot(t, variant(t))
	if r.Err != nil {
		t.Fatalf("boot failed: %v\n%s", r.Err, r.Console)
	}
	file := filepath.Join(m.Root, "srv/nextcloud/config/tierkit.config.php")
	out, err := exec.Command("php", "-r", `include $argv[1]; echo json_encode($CONFIG);`, file).Output()
	if err != nil {
		t.Fatalf("php: %v\n%s", err, out)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := map[string]any{}
	b, _ := json.Marshal(extraConfig())
	_ = json.Unmarshal(b, &want)
	want["mail_smtppassword"], want["api_key"] = mailPassword, apiKey
	for key, v := range want {
		if !reflect.DeepEqual(got[key], v) {
			t.Errorf("PHP reads %s as %#v, want %#v", key, got[key], v)
		}
	}
	if !strings.Contains(r.Log, "read at boot: api_key mail_smtppassword") {
		t.Errorf("the log does not name the keys read at boot:\n%s", r.Log)
	}
	for _, v := range []string{mailPassword, "key'with"} {
		if strings.Contains(r.Log, v) || strings.Contains(r.Console, v) {
			t.Errorf("%q is in the boot log", v)
		}
	}
}

// TestSecretValuesAreNeverInTheTemplate: the template, the user data and the
// boot script carry the references, never the values.
func TestSecretValuesAreNeverInTheTemplate(t *testing.T) {
	tpl := variant(t)
	all := cdktest.JSON(tpl.ToJSON()) + cdktest.UserData(t, tpl) + cdktest.BootScript(t, tpl)
	for _, v := range []string{mailPassword, "key'with"} {
		if strings.Contains(all, v) {
			t.Errorf("%q is in the template, the user data or the boot script", v)
		}
	}
	for _, ref := range []string{"'secretsmanager:" + mailSecretARN + "#password'", "'ssm:" + apiKeyParameter + "'"} {
		if !strings.Contains(cdktest.BootScript(t, tpl), ref) {
			t.Errorf("the boot script does not read %s", ref)
		}
	}
}

// TestRoleReadsExactlyTheReferencedSecrets: the referenced secret and
// parameter and the named key, besides the tier's own secrets.
func TestRoleReadsExactlyTheReferencedSecrets(t *testing.T) {
	tpl := variant(t)
	role := cdktest.LogicalID(t, tpl, "AWS::IAM::Role", "TierFleetRole")
	got := map[string][]string{}
	for _, p := range tpl.Resources("AWS::IAM::Policy") {
		if !strings.Contains(cdktest.JSON(cdktest.Props(p)["Roles"]), role) {
			continue
		}
		for _, st := range cdktest.Props(p)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			s := st.(map[string]any)
			for _, a := range cdktest.AsList(s["Action"]) {
				for _, r := range cdktest.AsList(s["Resource"]) {
					got[a.(string)] = append(got[a.(string)], cdktest.JSON(r))
				}
			}
		}
	}
	if !slices.Contains(got["secretsmanager:GetSecretValue"], cdktest.JSON(mailSecretARN)) {
		t.Errorf("GetSecretValue on %v lacks %s", got["secretsmanager:GetSecretValue"], mailSecretARN)
	}
	parameter := `{"Fn::Join":["",["arn:aws:ssm:us-east-1:",{"Ref":"AWS::AccountId"},":parameter/nextcloud/api-key"]]}`
	if p := got["ssm:GetParameter"]; !slices.Equal(p, []string{parameter}) {
		t.Errorf("GetParameter on %v, want exactly %s", p, parameter)
	}
	if k := got["kms:Decrypt"]; !slices.Contains(k, cdktest.JSON(decryptKeyARN)) {
		t.Errorf("kms:Decrypt on %v lacks the named key", k)
	}
	for action, resources := range got {
		if strings.HasPrefix(action, "secretsmanager:") || strings.HasPrefix(action, "ssm:") {
			if strings.Contains(strings.Join(resources, ","), `"*"`) {
				t.Errorf("%s on every resource", action)
			}
		}
	}
}

// TestBootFailsNamingTheReference: a refused secret fails nextcloud-config
// with the reference named; nothing is written.
func TestBootFailsNamingTheReference(t *testing.T) {
	m := newMachine(t, false, "/srv/nextcloud", installedConfig)
	delete(m.AWS.Secrets, mailSecretARN)
	r := m.Boot(t, variant(t))
	want := "nextcloud-config: Secrets Manager answered 400 for secretsmanager:" + mailSecretARN + "#password"
	if r.Err == nil || !strings.Contains(r.Log, want) || m.Exists("srv/nextcloud/config/tierkit.config.php") {
		t.Errorf("want the boot to fail with %q, nothing written (err %v):\n%s", want, r.Err, r.Log)
	}
}

// TestTierConfigKeysHoldEveryKeyTheTierWrites: the keys Config and
// ConfigSecrets may not set are all those the tier writes, in both variants.
func TestTierConfigKeysHoldEveryKeyTheTierWrites(t *testing.T) {
	template(t)
	own := nextcloud.TierConfigKeys()
	for name, tier := range tiers {
		app := tier.App()
		for _, key := range app.ConfigKeys() {
			_, config := app.Config[key]
			_, secret := app.ConfigSecrets[key]
			if !config && !secret && !slices.Contains(own, key) {
				t.Errorf("%s: the tier writes %s, which nextcloud.TierConfigKeys() lacks: Config could set it too", name, key)
			}
		}
	}
}
