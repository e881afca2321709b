package laravel_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/tierkit/tierkit/constructs/laravel"
	"github.com/tierkit/tierkit/internal/cdktest"
	"github.com/tierkit/tierkit/internal/fakeaws"
)

// The variant's settings and secrets (variantProps): a setting in the
// template, and three read at boot, one of each kind of reference.
const (
	mailFromName    = `Api team's "mailer" $1 #1`
	mailSecretARN   = "arn:aws:secretsmanager:us-east-1:123456789012:secret:api/mail-AbCdEf"
	appKeySecretARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:api/app-key-GhIjKl"
	stripeParameter = "/api/stripe-secret"
	decryptKeyARN   = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

	// The values the fake AWS holds: what a mail password or an API key
	// may hold, and an APP_KEY other than the AMI's.
	mailPassword = `pa ss"wo'rd $HOME #1 \n\ é`
	appKey       = "base64:bmV3LWFwcC1rZXktZnJvbS1zZWNyZXRzLW1hbmFnZXI="
	stripeSecret = "sk_live_$ab`c"
)

// settingsMachine returns a copy of the golden server for the variant, whose
// fake AWS holds the database secret db and the variant's secrets and
// parameter.
func settingsMachine(t *testing.T, db map[string]any) *fakeaws.Machine {
	t.Helper()
	m := newMachine(t, true, "/srv/api", db)
	withSettingsSecrets(m)
	return m
}

// withSettingsSecrets serves m the secrets and parameters the variant's
// EnvSecrets name.
func withSettingsSecrets(m *fakeaws.Machine) {
	m.AWS.Secrets[mailSecretARN] = map[string]any{"username": "mailer", "password": mailPassword}
	m.AWS.Strings = map[string]string{appKeySecretARN: appKey}
	m.AWS.Parameters = map[string]string{stripeParameter: stripeSecret}
}

func TestSettingsAndSecretsReachTheEnvFile(t *testing.T) {
	m := settingsMachine(t, secret(password))
	r := runBoot(t, m, variant(t))
	env := m.Read(t, "srv/api/.env")
	for _, line := range []string{
		"MAIL_MAILER=smtp",
		`MAIL_FROM_NAME="Api team's \"mailer\" \$1 #1"`,
		`MAIL_PASSWORD="pa ss\"wo'rd \$HOME #1 \\n\\ é"`,
		"APP_KEY=" + appKey,
		`STRIPE_SECRET="sk_live_\$ab` + "`" + `c"`,
		"SESSION_DOMAIN=.example.com",
	} {
		if !strings.Contains(env, "\n"+line+"\n") && !strings.HasPrefix(env, line+"\n") {
			t.Errorf(".env lacks %s:\n%s", line, env)
		}
	}
	if strings.Contains(env, "c2VjcmV0LWtleS1vZi10aGUtZ29sZGVuLXNlcnZlcg") || strings.Count(env, "APP_KEY=") != 1 {
		t.Errorf("the AMI's APP_KEY is still in .env:\n%s", env)
	}
	if !strings.Contains(r.Log, "read at boot: APP_KEY MAIL_PASSWORD STRIPE_SECRET") {
		t.Errorf("the log does not name the keys read at boot:\n%s", r.Log)
	}
	for _, v := range []string{mailPassword, appKey, stripeSecret} {
		if strings.Contains(r.Log, v) || strings.Contains(r.Console, v) || strings.Contains(strings.Join(r.Calls, "\n"), v) {
			t.Errorf("%q appears in the boot log, the console or a command line", v)
		}
	}
}

// TestSecretValuesAreNeverInTheTemplate: the user data and the boot script
// carry the references, never the values.
func TestSecretValuesAreNeverInTheTemplate(t *testing.T) {
	tpl := variant(t)
	all := cdktest.JSON(tpl.ToJSON()) + cdktest.UserData(t, tpl) + cdktest.BootScript(t, tpl)
	for _, v := range []string{mailPassword, appKey, stripeSecret, "$HOME #1"} {
		if strings.Contains(all, v) {
			t.Errorf("%q is in the template, the user data or the boot script", v)
		}
	}
	script := cdktest.BootScript(t, tpl)
	for _, ref := range []string{"secretsmanager:" + mailSecretARN + "#password", "secretsmanager:" + appKeySecretARN, "ssm:" + stripeParameter} {
		if !strings.Contains(script, "read_reference secret_") || !strings.Contains(script, "'"+ref+"'") {
			t.Errorf("the boot script does not read %s", ref)
		}
	}
}

// TestRoleReadsExactlyTheReferencedSecrets: GetSecretValue on the two
// secrets, GetParameter on the parameter, kms:Decrypt with the named key
// through those services, and nothing else of the kind.
func TestRoleReadsExactlyTheReferencedSecrets(t *testing.T) {
	got := map[string][]string{}
	var conditions []string
	for _, s := range roleStatements(t, variant(t)) {
		for _, a := range cdktest.AsList(s["Action"]) {
			action := a.(string)
			if !slices.Contains([]string{"ssm:GetParameter", "kms:Decrypt"}, action) && !strings.HasPrefix(action, "secretsmanager:GetSecretValue") {
				continue
			}
			for _, r := range cdktest.AsList(s["Resource"]) {
				got[action] = append(got[action], cdktest.JSON(r))
			}
			if action == "kms:Decrypt" {
				conditions = append(conditions, cdktest.JSON(s["Condition"]))
			}
		}
	}
	secrets := got["secretsmanager:GetSecretValue"]
	for _, arn := range []string{mailSecretARN, appKeySecretARN} {
		if !slices.Contains(secrets, cdktest.JSON(arn)) {
			t.Errorf("GetSecretValue on %v lacks %s", secrets, arn)
		}
	}
	// The others are the tier's database secret and the variant's Redis
	// AUTH secret.
	if len(secrets) != 4 || !slices.Contains(secrets, cdktest.JSON(redisSecretArn)) || strings.Contains(strings.Join(secrets, ","), "*") {
		t.Errorf("GetSecretValue on %v, want the database and Redis secrets and exactly the two referenced", secrets)
	}
	// The test stack's region is us-east-1; its account is the deploy's.
	parameter := `{"Fn::Join":["",["arn:aws:ssm:us-east-1:",{"Ref":"AWS::AccountId"},":parameter/api/stripe-secret"]]}`
	if p := got["ssm:GetParameter"]; !slices.Equal(p, []string{parameter}) {
		t.Errorf("GetParameter on %v, want exactly %s", p, parameter)
	}
	if k := got["kms:Decrypt"]; !slices.Contains(k, cdktest.JSON(decryptKeyARN)) {
		t.Errorf("kms:Decrypt on %v lacks the named key", k)
	}
	via := `{"StringEquals":{"kms:ViaService":[{"Fn::Sub":"secretsmanager.${AWS::Region}.${AWS::URLSuffix}"},{"Fn::Sub":"ssm.${AWS::Region}.${AWS::URLSuffix}"}]}}`
	if !slices.Contains(conditions, via) {
		t.Errorf("kms:Decrypt conditions %v, want %s", conditions, via)
	}
	if def := roleStatements(t, template(t)); strings.Contains(cdktest.JSON(def), "ssm:GetParameter") {
		t.Errorf("the default tier, without references, may read SSM parameters")
	}
}

// TestBootFailsNamingTheReference: an unreadable parameter, or a value that
// .env cannot hold, fails laravel-env with the reference named, and .env is
// left as it was.
func TestBootFailsNamingTheReference(t *testing.T) {
	for name, c := range map[string]struct {
		parameters map[string]string
		want       string
	}{
		"missing":        {map[string]string{}, "laravel-env: SSM Parameter Store answered 400 for ssm:/api/stripe-secret"},
		"multiple lines": {map[string]string{stripeParameter: "line 1\nline 2"}, "laravel-env: STRIPE_SECRET: the value of ssm:/api/stripe-secret spans lines"},
	} {
		t.Run(name, func(t *testing.T) {
			m := settingsMachine(t, secret(password))
			m.AWS.Parameters = maps.Clone(c.parameters)
			runBoot(t, m, variant(t), c.want, "step laravel-env failed")
			if got := m.Read(t, "srv/api/.env"); got != defaultEnv {
				t.Errorf(".env changed by a failed boot:\n%s", got)
			}
		})
	}
}

// TestTierEnvKeysHoldEveryKeyTheTierWrites: the keys Env and EnvSecrets may
// not set are all those the tier writes or removes, in both variants.
func TestTierEnvKeysHoldEveryKeyTheTierWrites(t *testing.T) {
	template(t)
	own := laravel.TierEnvKeys()
	for name, tier := range map[string]*laravel.APITier{"default": api.tier, "variant": alt.tier} {
		app := tier.App()
		for _, key := range append(app.EnvKeys(), app.RemovedEnvKeys()...) {
			_, env := app.Env[key]
			_, secret := app.EnvSecrets[key]
			if !env && !secret && !slices.Contains(own, key) {
				t.Errorf("%s: the tier writes %s, which laravel.TierEnvKeys() lacks: Env could set it too", name, key)
			}
		}
	}
}
