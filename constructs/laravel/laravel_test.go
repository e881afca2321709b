package laravel_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"

	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/constructs/database"
	"github.com/tierkit/tierkit/constructs/fleet"
	"github.com/tierkit/tierkit/constructs/laravel"
	"github.com/tierkit/tierkit/constructs/network"
	"github.com/tierkit/tierkit/constructs/storage"
	"github.com/tierkit/tierkit/constructs/webtier"
	"github.com/tierkit/tierkit/internal/cdktest"
	"github.com/tierkit/tierkit/internal/check"
	"github.com/tierkit/tierkit/internal/fakeaws"
)

// The web tier's own behaviour (composition, wiring, the golden IP, the
// fleet's singleton, the job modes, its props) is constructs/webtier's tests';
// these cover what the Laravel profile adds.

// synthesized is one of the two tiers of the shared app, with its stack.
type synthesized struct {
	stack awscdk.Stack
	tier  *laravel.APITier
}

// api (defaultProps), alt (variantProps), onRHEL (rhelProps) and cached
// (cachedProps) are built in one app, with strict validation and cdk-nag:
// one synthesis, one validation and nag run.
var (
	api, alt, onRHEL synthesized
	template         = cdktest.Shared(func(tb testing.TB) awscdk.Stack {
		app := cdktest.Validated(cdktest.Nagged(cdktest.NewApp(tb, cdktest.Strict())))
		for id, s := range map[string]struct {
			into  *synthesized
			props func(awscdk.Stack) *laravel.APIProps
		}{"Test": {&api, defaultProps}, "Variant": {&alt, variantProps}, "RHEL": {&onRHEL, rhelProps}, "Cached": {&cached, cachedProps}, "Released": {&withReleases, releasedProps}} {
			s.into.stack = cdktest.NewStack(app, id)
			s.into.tier = laravel.NewAPITier(s.into.stack, "Tier", s.props(s.into.stack))
		}
		return api.stack
	})
	// variant is the template of alt, synthesized with template's.
	variant = cdktest.Shared(func(tb testing.TB) awscdk.Stack { template(tb); return alt.stack })
	// rhel is the template of onRHEL, synthesized with template's.
	rhel = cdktest.Shared(func(tb testing.TB) awscdk.Stack { template(tb); return onRHEL.stack })
)

// rhelProps is the article's API on an Amazon Linux or RHEL-family golden
// server: the platform's defaults (httpd, apache, php-fpm) and its vhost,
// with queue workers on an SQS queue encrypted with the tier's key.
func rhelProps(stack awscdk.Stack) *laravel.APIProps {
	p := defaultProps(stack)
	p.Platform = webtier.PlatformRHEL
	p.Boot.IPFiles = []string{"/etc/hosts", rhelVhost}
	p.QueueWorkers, p.CustomerManagedKey = laravel.QueueWorkersEveryNode, true
	return p
}

// defaultProps is the article's API: defaults (an Auto Scaling group,
// MySQL, database sessions, apache2), the golden server's IP in the vhost
// and /etc/hosts, and the Nuxt frontend's origin.
func defaultProps(stack awscdk.Stack) *laravel.APIProps {
	return &laravel.APIProps{
		DomainName:      "api.example.com",
		Zone:            cdktest.Zone(stack),
		Image:           cdktest.Image(),
		Boot:            boot.Props{GoldenIP: fakeaws.GoldenIP, IPFiles: []string{"/etc/hosts", vhost}},
		FrontendOrigins: []string{"https://example.com"},
	}
}

// variantProps takes every other branch of the profile: fixed servers,
// nginx with PHP-FPM, PostgreSQL, DynamoDB sessions, a Redis cache over TLS,
// with its AUTH password from a secret, an existing VPC whose CIDR is a
// token, another application path and web user.
func variantProps(stack awscdk.Stack) *laravel.APIProps {
	return &laravel.APIProps{
		DomainName:      "api.example.com",
		Zone:            cdktest.Zone(stack),
		Image:           cdktest.Image(),
		Network:         network.Props{Vpc: cdktest.ImportedVpc(stack)},
		Fleet:           fleet.Props{Mode: fleet.Fixed, Instances: 2},
		Database:        database.Props{Engine: database.Postgres},
		Uploads:         storage.Props{CORSOrigins: []string{"https://admin.example.com", "https://example.com"}},
		AppPath:         "/srv/api",
		AppEnv:          "staging",
		WebServer:       "nginx",
		PHPFPMUnit:      "php8.3-fpm",
		WebUser:         "nginx",
		SessionDriver:   "dynamodb",
		CacheStore:      "redis",
		RedisHost:       "cache.internal.example.com",
		RedisPort:       6380,
		RedisTLS:        true,
		RedisAuthSecret: redisSecretArn, RedisAuthSecretKey: "password", RedisAuthKmsKeyArn: redisKeyArn,
		FrontendOrigins: []string{"https://example.com", "https://www.example.com:8443"},
		LogChannel:      "single",
		Env:             map[string]string{"MAIL_MAILER": "smtp", "MAIL_FROM_NAME": mailFromName},
		EnvSecrets: map[string]string{
			"MAIL_PASSWORD": "secretsmanager:" + mailSecretARN + "#password", "APP_KEY": "secretsmanager:" + appKeySecretARN,
			"STRIPE_SECRET": "ssm:" + stripeParameter,
		},
		DecryptKeys: []string{decryptKeyARN},
	}
}

func TestNoValidationOrNagFindings(t *testing.T) {
	outdir := template(t).Outdir
	if got := variant(t).Outdir; got != outdir {
		t.Fatalf("the variant is synthesized into %s, not with the default tier into %s: its findings are not read", got, outdir)
	}
	for _, f := range cdktest.Findings(t, outdir) {
		t.Error(f)
	}
}

// checkPolicies checks that each of ids is a resource of tpl with policy as
// both its deletion and its replace policy: renaming a construct of the tier
// would replace the resource, and its data.
func checkPolicies(t *testing.T, tpl *cdktest.Template, policy string, ids ...string) {
	t.Helper()
	resources := (*tpl.ToJSON())["Resources"].(map[string]any)
	for _, id := range ids {
		r, found := resources[id].(map[string]any)
		if got := fmt.Sprintf("%v/%v", r["DeletionPolicy"], r["UpdateReplacePolicy"]); !found || got != policy+"/"+policy {
			t.Errorf("%s (found: %t): deletion/replace policies %s, want %s for both", id, found, got, policy)
		}
	}
}

// TestLogicalIDsArePinned pins the stateful resources of the API tier: its
// blocks' (under the web tier's "Default", which drops out of logical IDs)
// and the Laravel log group.
func TestLogicalIDsArePinned(t *testing.T) {
	checkPolicies(t, template(t), "Snapshot", "TierDatabaseInstanceAC06CB03")
	checkPolicies(t, template(t), "Retain", "TestTierDatabaseSecret123FAFE13fdaad7efa858a3daf9490cf0a702aeb",
		"TierUploadsBucket903CB65E", "TierAccessLogs1908E510", "TierLogsBoot60317C66", "TierLogsLaravel754E4A1F")
}

func TestCacheTableIsPinnedAndRetained(t *testing.T) {
	checkPolicies(t, variant(t), "Retain", "TierCacheTableEBAB3ACF")
	template(t).ResourceCountIs(t, "AWS::DynamoDB::Table", 0)
}

// TestAccessorsReachWhatLaravelAdds: the cache table (only with a dynamodb
// driver), the application's log group, and Laravel's boot steps between the
// web tier's.
func TestAccessorsReachWhatLaravelAdds(t *testing.T) {
	variant(t)
	if api.tier.App().CacheTable() != nil || alt.tier.App().CacheTable() == nil {
		t.Errorf("App().CacheTable() is %v without dynamodb, %v with it; want nil, then the table", api.tier.App().CacheTable(), alt.tier.App().CacheTable())
	}
	if api.tier.AppLogGroup(laravel.LogID) == nil {
		t.Errorf("AppLogGroup(%q) is nil", laravel.LogID)
	}
	if got := api.tier.BootSteps(); !slices.Equal(got, []string{"cron-off", "rds-ca", "laravel-env", "laravel-cache", "scheduler"}) {
		t.Errorf("BootSteps() = %q", got)
	}
}

func TestCacheTableFitsLaravelsDynamoDBStore(t *testing.T) {
	variant(t).HasResourceProperties(t, "AWS::DynamoDB::Table", map[string]any{
		"KeySchema":                        []any{map[string]any{"AttributeName": "key", "KeyType": "HASH"}},
		"AttributeDefinitions":             []any{map[string]any{"AttributeName": "key", "AttributeType": "S"}},
		"TimeToLiveSpecification":          map[string]any{"AttributeName": "expires_at", "Enabled": true},
		"BillingMode":                      "PAY_PER_REQUEST",
		"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
		"SSESpecification":                 map[string]any{"SSEEnabled": true},
		"DeletionProtectionEnabled":        true,
	})
}

// roleStatements returns the statements of the policies attached to the
// fleet's role.
func roleStatements(t *testing.T, tpl *cdktest.Template) []map[string]any {
	t.Helper()
	role := cdktest.LogicalID(t, tpl, "AWS::IAM::Role", "TierFleetRole")
	var all []map[string]any
	for _, p := range tpl.Resources("AWS::IAM::Policy") {
		if !strings.Contains(cdktest.JSON(cdktest.Props(p)["Roles"]), role) {
			continue
		}
		for _, s := range cdktest.Props(p)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			all = append(all, s.(map[string]any))
		}
	}
	return all
}

func TestServersUseTheCacheTableOnly(t *testing.T) {
	tpl := variant(t)
	table := cdktest.LogicalID(t, tpl, "AWS::DynamoDB::Table", "TierCacheTable")
	var actions []string
	for _, s := range roleStatements(t, tpl) {
		for _, a := range cdktest.AsList(s["Action"]) {
			if !strings.HasPrefix(a.(string), "dynamodb:") {
				continue
			}
			actions = append(actions, a.(string))
			if a == "dynamodb:*" {
				t.Errorf("the fleet's role has dynamodb:*")
			}
			for _, r := range cdktest.AsList(s["Resource"]) {
				if got := cdktest.JSON(r); got != cdktest.JSON(map[string]any{"Fn::GetAtt": []any{table, "Arn"}}) && got != `{"Ref":"AWS::NoValue"}` {
					t.Errorf("%s reaches %s, beyond the cache table", a, got)
				}
			}
		}
	}
	for _, want := range []string{"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"} {
		if !slices.Contains(actions, want) {
			t.Errorf("the fleet's role lacks %s on the cache table; has %v", want, actions)
		}
	}
}

func TestLoadBalancerChecksLaravelsHealthRoute(t *testing.T) {
	template(t).HasResourceProperties(t, "AWS::ElasticLoadBalancingV2::TargetGroup", map[string]any{"HealthCheckPath": "/up"})
	variant(t).HasResourceProperties(t, "AWS::ElasticLoadBalancingV2::TargetGroup", map[string]any{"HealthCheckPath": "/up"})
}

func TestUploadsAllowTheFrontendOrigins(t *testing.T) {
	cors := func(origins ...any) map[string]any {
		return map[string]any{"CorsConfiguration": map[string]any{"CorsRules": []any{
			assertions.Match_ObjectLike(&map[string]any{"AllowedOrigins": origins}),
		}}}
	}
	template(t).HasResourceProperties(t, "AWS::S3::Bucket", cors("https://example.com"))
	// The frontend's first, then the caller's own, each once.
	variant(t).HasResourceProperties(t, "AWS::S3::Bucket", cors("https://example.com", "https://www.example.com:8443", "https://admin.example.com"))
}

func TestApplicationLogsAreShipped(t *testing.T) {
	for name, c := range map[string]struct {
		tpl  *cdktest.Template
		file string
	}{"default": {template(t), "/var/www/html/storage/logs/*.log"}, "variant": {variant(t), "/srv/api/storage/logs/*.log"}} {
		group := cdktest.LogicalID(t, c.tpl, "AWS::Logs::LogGroup", "TierLogsLaravel")
		if bs := cdktest.BootScript(t, c.tpl); !strings.Contains(bs, c.file) || !strings.Contains(bs, `"log_group_name":"`+cdktest.RefValue(group)+`"`) {
			t.Errorf("%s: the agent configuration does not ship %s to %s", name, c.file, group)
		}
	}
}

func TestPasswordIsNeverInTheTemplate(t *testing.T) {
	tpl := template(t)
	ud := cdktest.UserDataJSON(t, tpl) + cdktest.BootScript(t, tpl)
	if m := regexp.MustCompile(`DB_PASSWORD\s*=`).FindString(ud); m != "" {
		t.Errorf("the user data writes DB_PASSWORD with a value of its own: %q", m)
	}
	attachment := cdktest.LogicalID(t, tpl, "AWS::SecretsManager::SecretTargetAttachment", "TierDatabaseSecretAttachment")
	if !strings.Contains(ud, `sid='`+cdktest.RefValue(attachment)+`'`) {
		t.Errorf("the user data does not read the password from the secret %s at boot", attachment)
	}
	for id, s := range tpl.Resources("AWS::SecretsManager::Secret") {
		if _, ok := cdktest.Props(s)["SecretString"]; ok || cdktest.Props(s)["GenerateSecretString"] == nil {
			t.Errorf("%s: want a generated secret, with no SecretString in the template", id)
		}
	}
}

// The boot script, run as deployed (references resolved) on a fake server.

// secret is the database secret as RDS attaches it to the instance.
func secret(pw string) map[string]any {
	return map[string]any{"password": pw, "dbname": "app", "engine": "mysql", "port": 3307,
		"dbInstanceIdentifier": "tier-db", "host": "tier-db.example", "username": "tierkit_admin"}
}

// bootDefault runs the default template's boot script on a copy of the
// golden server.
func bootDefault(t *testing.T, singleton bool) (*fakeaws.Machine, fakeaws.Result) {
	t.Helper()
	m := newMachine(t, singleton, "/var/www/html", secret(password))
	return m, runBoot(t, m, template(t))
}

// runBoot runs tpl's boot script on m and checks how it ends: without
// failures, it must succeed (the test stops otherwise); with them, it must
// fail, its log holding each of failures.
func runBoot(t *testing.T, m *fakeaws.Machine, tpl *cdktest.Template, failures ...string) fakeaws.Result {
	t.Helper()
	r := m.Boot(t, tpl)
	switch {
	case len(failures) == 0 && r.Err != nil:
		t.Fatalf("boot failed: %v\n%s", r.Err, r.Console)
	case len(failures) > 0 && r.Err == nil:
		t.Errorf("the boot succeeded; want it to fail with %q:\n%s", failures, r.Log)
	}
	for _, f := range failures {
		if !strings.Contains(r.Log, f) {
			t.Errorf("the boot log lacks %q:\n%s", f, r.Log)
		}
	}
	return r
}

func TestBootWritesTheEnvFile(t *testing.T) {
	m, _ := bootDefault(t, true)
	want := `APP_NAME=Api
APP_ENV=production
APP_KEY=base64:c2VjcmV0LWtleS1vZi10aGUtZ29sZGVuLXNlcnZlcg==
APP_DEBUG=false
APP_URL=https://api.example.com

# database of the golden server
DB_CONNECTION=mysql
DB_HOST=getatt-TierDatabaseInstanceAC06CB03-Endpoint.Address
DB_USERNAME=tierkit_admin
DB_PASSWORD=` + password + `

AWS_BUCKET=ref-TierUploadsBucket903CB65E
SESSION_DRIVER=database
LOG_CHANNEL=daily
QUEUE_CONNECTION=database
DB_PORT=3307
DB_DATABASE=app
MYSQL_ATTR_SSL_CA=/etc/ssl/certs/rds-global-bundle.pem
SESSION_SECURE_COOKIE=true
CACHE_STORE=database
FILESYSTEM_DISK=s3
AWS_DEFAULT_REGION=us-east-1
AWS_USE_PATH_STYLE_ENDPOINT=false
TRUSTED_PROXIES=10.0.0.0/24,10.0.1.0/24
FRONTEND_URL=https://example.com
CORS_ALLOWED_ORIGINS=https://example.com
SANCTUM_STATEFUL_DOMAINS=example.com
SESSION_DOMAIN=.example.com
`
	if got := m.Read(t, "var/www/html/.env"); got != want {
		t.Errorf(".env:\n%s\nwant:\n%s", got, want)
	}
	fi, err := os.Stat(filepath.Join(m.Root, "var/www/html/.env"))
	if err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf(".env mode %v (%v), want 0640", fi.Mode().Perm(), err)
	}
	if got := m.Read(t, "etc/ssl/certs/rds-global-bundle.pem"); got != fakeaws.CABundle {
		t.Errorf("RDS CA bundle %q, want the truststore's", got)
	}
	leftovers, _ := filepath.Glob(filepath.Join(m.Root, "var/www/html/.env.*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

func TestPasswordStaysOutOfTheLogs(t *testing.T) {
	m, r := bootDefault(t, false)
	if strings.Contains(r.Log, password) || strings.Contains(r.Console, password) || strings.Contains(strings.Join(r.Calls, "\n"), password) {
		t.Errorf("the password appears in the boot log, the console or a command line")
	}
	if strings.Contains(r.Log, fakeaws.SecretKey) || strings.Contains(r.Log, fakeaws.SessionToken) {
		t.Errorf("the role's credentials appear in the boot log")
	}
	if !strings.Contains(r.Log, "settings written, password from ref-TierDatabaseSecretAttachment") {
		t.Errorf("the log does not say where the password came from:\n%s", r.Log)
	}
	if !strings.Contains(m.Read(t, "var/www/html/.env"), "\nDB_PASSWORD="+password+"\n") {
		t.Errorf("the password is not in .env")
	}
}

func TestSecretIsReadWithASignedRequest(t *testing.T) {
	m, _ := bootDefault(t, false)
	reqs := m.AWS.Requests()
	// One request per field read (password, username, dbname).
	if len(reqs) == 0 || len(reqs) > 3 {
		t.Fatalf("%d requests to Secrets Manager, want 1 to 3", len(reqs))
	}
	attachment := cdktest.LogicalID(t, template(t), "AWS::SecretsManager::SecretTargetAttachment", "TierDatabaseSecretAttachment")
	for _, r := range reqs {
		if r.SignatureError != "" {
			t.Errorf("SigV4: %s", r.SignatureError)
		}
		if r.Target != "secretsmanager.GetSecretValue" || r.ContentType != "application/x-amz-json-1.1" || r.SecurityToken != fakeaws.SessionToken {
			t.Errorf("request %+v: want GetSecretValue, JSON 1.1 and the role's session token", r)
		}
		if r.SecretID != cdktest.RefValue(attachment) {
			t.Errorf("SecretId %q, want the attached secret's ARN %q", r.SecretID, cdktest.RefValue(attachment))
		}
	}
}

// TestSchedulerRunsOnTheSingletonOnly checks Laravel's entry on the
// singleton (which server runs it is the web tier's job step): schedule:run
// in the application's root as the web user once the boot succeeded, and the
// AMI's own /etc/cron.d/laravel disabled.
func TestSchedulerRunsOnTheSingletonOnly(t *testing.T) {
	m, _ := bootDefault(t, true)
	want := strings.Join([]string{
		"# Written at boot by tierkit: Laravel's scheduler on this server only.",
		"SHELL=/bin/sh",
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"* * * * * www-data [ -e /var/lib/tierkit/boot-ok ] && cd /var/www/html && php artisan schedule:run >> /dev/null 2>&1",
	}, "\n") + "\n"
	if got := m.Read(t, "etc/cron.d/tierkit-scheduler"); got != want {
		t.Errorf("singleton's cron entry:\n%s\nwant:\n%s", got, want)
	}
	if m.Exists("etc/cron.d/laravel") || !m.Exists("etc/cron.d/.laravel"+laravel.DisabledSuffix) {
		t.Errorf("the AMI's /etc/cron.d/laravel is not disabled on the singleton")
	}
}

func TestConfigIsCachedAsTheWebUser(t *testing.T) {
	_, r := bootDefault(t, false)
	want := []string{
		"chown root:www-data /var/www/html/.env.tierkit-",
		"chown -R www-data: /var/www/html/storage /var/www/html/bootstrap/cache",
		"runuser -u www-data -- php artisan config:clear",
		"php artisan config:clear (in /var/www/html)",
		"runuser -u www-data -- php artisan config:cache",
		"php artisan config:cache (in /var/www/html)",
		"systemctl restart apache2",
	}
	i := 0
	for _, c := range r.Calls {
		if i < len(want) && strings.HasPrefix(c, want[i]) {
			i++
		}
	}
	if i < len(want) {
		t.Errorf("calls:\n%s\nwant in this order:\n%s", strings.Join(r.Calls, "\n"), strings.Join(want, "\n"))
	}
}

func TestVariantBoot(t *testing.T) {
	// An existing secret may hold characters the generated ones never do.
	pw := "pa ss#wo$rd,1"
	m := settingsMachine(t, secret(pw))
	withRedisSecret(m, secret(pw))
	tpl := variant(t)
	r := runBoot(t, m, tpl)
	env := m.Read(t, "srv/api/.env")
	table := cdktest.LogicalID(t, tpl, "AWS::DynamoDB::Table", "TierCacheTable")
	db := cdktest.LogicalID(t, tpl, "AWS::RDS::DBInstance", "TierDatabaseInstance")
	for _, line := range []string{
		"APP_ENV=staging", "DB_CONNECTION=pgsql", "DB_HOST=" + cdktest.GetAttValue(db, "Endpoint.Address"), "DB_PORT=5433",
		`DB_PASSWORD="pa ss#wo\$rd,1"`, "DB_SSLMODE=require", "DB_SSLROOTCERT=/etc/ssl/certs/rds-global-bundle.pem",
		"SESSION_DRIVER=dynamodb", "CACHE_STORE=redis", "REDIS_HOST=cache.internal.example.com", "REDIS_PORT=6380",
		"REDIS_SCHEME=tls", "DYNAMODB_CACHE_TABLE=" + cdktest.RefValue(table), "TRUSTED_PROXIES=import-SharedPublicCidrA,import-SharedPublicCidrB",
		"FRONTEND_URL=https://example.com", "CORS_ALLOWED_ORIGINS=https://example.com,https://www.example.com:8443",
		"SANCTUM_STATEFUL_DOMAINS=example.com,www.example.com:8443", "LOG_CHANNEL=single",
	} {
		if !strings.Contains(env, "\n"+line+"\n") {
			t.Errorf(".env lacks %s:\n%s", line, env)
		}
	}
	if strings.Contains(env, "MYSQL_ATTR_SSL_CA") {
		t.Errorf(".env of a PostgreSQL tier has MYSQL_ATTR_SSL_CA")
	}
	for _, c := range []string{"runuser -u nginx -- php artisan config:cache", "systemctl restart php8.3-fpm"} {
		if !slices.Contains(r.Calls, c) {
			t.Errorf("calls %q: want artisan run as nginx, then PHP-FPM restarted; %q is missing", r.Calls, c)
		}
	}
	if got := m.Read(t, "etc/cron.d/tierkit-scheduler"); !strings.Contains(got, "* * * * * nginx [ -e /var/lib/tierkit/boot-ok ] && cd /srv/api && php artisan schedule:run") {
		t.Errorf("cron entry:\n%s", got)
	}
}

// TestRHELBoot runs the RHEL-family tier's boot on a RHEL-style root: the
// CA bundle in /etc/pki/tls/certs where .env points PHP, the settings
// owned by apache, httpd and php-fpm restarted, the scheduler's entry for
// cronie, httpd's logs shipped.
func TestRHELBoot(t *testing.T) {
	m := newRHELMachine(t, true, "/var/www/html", secret(password))
	r := runBoot(t, m, rhel(t))
	if got := m.Read(t, "etc/pki/tls/certs/rds-global-bundle.pem"); got != fakeaws.CABundle {
		t.Errorf("RDS CA bundle %q, want the truststore's in /etc/pki/tls/certs", got)
	}
	if m.Exists("etc/ssl") {
		t.Errorf("the boot created Debian's /etc/ssl on a RHEL-family server")
	}
	if env := m.Read(t, "var/www/html/.env"); !strings.Contains(env, "\nMYSQL_ATTR_SSL_CA=/etc/pki/tls/certs/rds-global-bundle.pem\n") {
		t.Errorf(".env does not point PHP at RHEL's bundle:\n%s", env)
	}
	for _, c := range []string{
		"chown root:apache /var/www/html/.env.tierkit-", "chown -R apache: /var/www/html/storage /var/www/html/bootstrap/cache",
		"runuser -u apache -- php artisan config:cache", "systemctl restart php-fpm", "systemctl enable crond",
	} {
		if !slices.ContainsFunc(r.Calls, func(call string) bool { return strings.HasPrefix(call, c) }) {
			t.Errorf("calls lack %q:\n%s", c, strings.Join(r.Calls, "\n"))
		}
	}
	if r.Calls[0] != "systemctl stop httpd" || r.Calls[len(r.Calls)-1] != "systemctl restart httpd" {
		t.Errorf("calls %q: want httpd stopped first and started last", r.Calls)
	}
	if got := m.Read(t, "etc/cron.d/tierkit-scheduler"); !strings.Contains(got, "\n* * * * * apache [ -e /var/lib/tierkit/boot-ok ] && cd /var/www/html && php artisan schedule:run") {
		t.Errorf("cron entry for cronie:\n%s", got)
	}
	agent := m.Read(t, "opt/aws/amazon-cloudwatch-agent/etc/tierkit.json")
	for _, f := range []string{"/var/log/httpd/*access_log", "/var/log/httpd/*error_log"} {
		if !strings.Contains(agent, `"file_path":"`+f+`"`) {
			t.Errorf("the agent does not ship %s:\n%s", f, agent)
		}
	}
}

func TestBootFailsWhenTheSecretCannotBeRead(t *testing.T) {
	m := newMachine(t, false, "/var/www/html", secret(password))
	m.AWS.Deny = true
	r := runBoot(t, m, template(t), "laravel-env: Secrets Manager answered 400 for ref-TierDatabaseSecretAttachment", "AccessDeniedException", "step laravel-env failed")
	if slices.Contains(r.Calls, "systemctl restart apache2") {
		t.Errorf("the web server was started")
	}
	if got := m.Read(t, "var/www/html/.env"); got != defaultEnv {
		t.Errorf(".env changed by a failed boot:\n%s", got)
	}
}

func TestBootFailsWithoutAnEnvFileOrAPPKEY(t *testing.T) {
	for name, env := range map[string]string{"no .env": "", "no APP_KEY": "APP_KEY=\nDB_HOST=x\n"} {
		t.Run(name, func(t *testing.T) {
			m := newMachine(t, false, "/var/www/html", secret(password))
			if env == "" {
				os.Remove(filepath.Join(m.Root, "var/www/html/.env"))
			} else {
				cdktest.WriteFile(t, filepath.Join(m.Root, "var/www/html/.env"), env, 0o644)
			}
			runBoot(t, m, template(t), "tierkit-boot: laravel-env: ", "/var/www/html/.env")
		})
	}
}

// TestUserDataPassesShellcheckAndFits: both variants' boot scripts pass
// shellcheck and stay under EC2's limit with long references.
func TestUserDataPassesShellcheckAndFits(t *testing.T) {
	cdktest.CheckUserData(t, map[string]*cdktest.Template{"default": template(t), "variant": variant(t), "rhel": rhel(t), "released": released(t)})
}

// TestInvalidProps: each Laravel setting is refused naming its field and
// what is allowed (the web tier's own rules are webtier's tests').
func TestInvalidProps(t *testing.T) {
	valid := defaultProps(awscdk.NewStack(nil, nil, nil))
	twoServers := fleet.Props{Mode: fleet.Fixed, Instances: 2}
	for _, c := range []struct {
		props laravel.APIProps
		want  string
	}{
		{laravel.APIProps{AppPath: "var/www/html"}, `AppPath: "var/www/html" is not a clean absolute directory path`},
		{laravel.APIProps{AppPath: "/var/www/100%"}, `AppPath: "/var/www/100%" is not a clean absolute directory path`},
		{laravel.APIProps{AppPath: "/var/www/html/"}, `AppPath: "/var/www/html/" is not a clean`},
		{laravel.APIProps{AppEnv: "Prod uction"}, `AppEnv: "Prod uction" is not an environment name`},
		{laravel.APIProps{SessionDriver: "memcached"}, `SessionDriver: "memcached" is not supported; allowed: database, redis, dynamodb, cookie, file, array`},
		{laravel.APIProps{SessionDriver: "file", Fleet: twoServers}, `SessionDriver: "file" keeps sessions on one server, and more than one serves (Fleet Mode fixed with 2 instances)`},
		{laravel.APIProps{SessionDriver: "array"}, `SessionDriver: "array" keeps sessions on one server, and more than one serves (an Auto Scaling group`},
		{laravel.APIProps{CacheStore: "file"}, `CacheStore: "file" is not shared between servers, and more than one serves (an Auto Scaling group`},
		{laravel.APIProps{CacheStore: "file", Fleet: fleet.Props{Mode: fleet.Fixed}}, `CacheStore: "file" is not shared between servers, and more than one serves (Fleet Mode fixed with 2 instances)`},
		{laravel.APIProps{CacheStore: "apc"}, `CacheStore: "apc" is not supported`},
		{laravel.APIProps{SessionDriver: "redis"}, "RedisHost: required when SessionDriver or CacheStore is redis"},
		{laravel.APIProps{CacheStore: "redis", RedisHost: "redis://cache:6379"}, `RedisHost: "redis://cache:6379" is not a host name`},
		{laravel.APIProps{CacheStore: "redis", RedisHost: "cache.internal", RedisPort: 70000}, "RedisPort: 70000 is out of range"},
		{laravel.APIProps{RedisTLS: true}, "RedisTLS: set, but neither SessionDriver nor CacheStore is redis"},
		{laravel.APIProps{FrontendOrigins: []string{"https://example.com/app"}}, `FrontendOrigins[0]: "https://example.com/app" is not an origin`},
		{laravel.APIProps{FrontendOrigins: []string{"https://example.com/"}}, `FrontendOrigins[0]: "https://example.com/" is not an origin`},
		{laravel.APIProps{FrontendOrigins: []string{"https://a.example.com", "example.com"}}, `FrontendOrigins[1]: "example.com" is not an origin`},
		{laravel.APIProps{FrontendOrigins: []string{"*"}}, `FrontendOrigins[0]: "*" is not an origin`},
		{laravel.APIProps{FrontendOrigins: []string{"https://example.com", "https://example.com"}}, `FrontendOrigins[1]: "https://example.com" is listed twice`},
		{laravel.APIProps{LogChannel: "stderr"}, `LogChannel: "stderr" does not write to storage/logs`},
		{laravel.APIProps{Scheduler: "all"}, `Scheduler: "all" is not supported; allowed: single-node, off, every-node`},
		{laravel.APIProps{Scheduler: "every-node"}, `Scheduler: "every-node" runs Laravel's scheduler on each of several servers (an Auto Scaling group`},
		{laravel.APIProps{Scheduler: "every-node", Fleet: twoServers}, `Scheduler: "every-node" runs Laravel's scheduler on each of several servers (Fleet Mode fixed with 2 instances); allowed: single-node, off`},
		{laravel.APIProps{CronFiles: []string{laravel.SchedulerCronFile}}, `CronFiles[0]: "/etc/cron.d/tierkit-scheduler" is the tier's own entry for Laravel's scheduler`},
		{laravel.APIProps{Env: map[string]string{"MAIL-HOST": "x"}}, `Env[MAIL-HOST]: "MAIL-HOST" is not a .env key`},
		{laravel.APIProps{Env: map[string]string{"DB_HOST": "x"}}, `Env[DB_HOST]: DB_HOST is written by the tier from its own settings; allowed: any key but APP_ENV, APP_DEBUG`},
		{laravel.APIProps{EnvSecrets: map[string]string{"SESSION_DRIVER": "ssm:/x"}}, `EnvSecrets[SESSION_DRIVER]: SESSION_DRIVER is written by the tier`},
		{laravel.APIProps{Env: map[string]string{"APP_KEY": "base64:x"}}, `Env[APP_KEY]: APP_KEY in the template would let anyone who can read it forge cookies`},
		{laravel.APIProps{Env: map[string]string{"MAIL_FROM_NAME": "a\nb"}}, `Env[MAIL_FROM_NAME]: the value spans lines`},
		{laravel.APIProps{Env: map[string]string{"MAIL_PASSWORD": "x"}, EnvSecrets: map[string]string{"MAIL_PASSWORD": "ssm:/x"}}, `EnvSecrets[MAIL_PASSWORD]: MAIL_PASSWORD is also set in Env`},
		{laravel.APIProps{EnvSecrets: map[string]string{"MAIL_PASSWORD": mailSecretARN}}, `EnvSecrets[MAIL_PASSWORD]: "arn:aws:secretsmanager:us-east-1:123456789012:secret:api/mail-AbCdEf" is not a reference; allowed: secretsmanager:ARN`},
		{laravel.APIProps{EnvSecrets: map[string]string{"MAIL_PASSWORD": "secretsmanager:arn:aws:secretsmanager:us-east-1:123456789012:secret:mail"}}, `EnvSecrets[MAIL_PASSWORD]: "secretsmanager:arn:aws:secretsmanager:us-east-1:123456789012:secret:mail" does not name a secret by its complete ARN`},
		{laravel.APIProps{EnvSecrets: map[string]string{"MAIL_PASSWORD": "secretsmanager:" + mailSecretARN + "#pass word"}}, `EnvSecrets[MAIL_PASSWORD]: "secretsmanager:` + mailSecretARN + `#pass word": the key "pass word" is not a JSON key the boot reads`},
		{laravel.APIProps{EnvSecrets: map[string]string{"API_KEY": "ssm:api/key"}}, `EnvSecrets[API_KEY]: "ssm:api/key" does not name a parameter`},
		{laravel.APIProps{DecryptKeys: []string{decryptKeyARN}}, `DecryptKeys: set, but no setting is read from Secrets Manager or SSM`},
		{laravel.APIProps{EnvSecrets: map[string]string{"API_KEY": "ssm:/api/key"}, DecryptKeys: []string{"alias/api"}}, `DecryptKeys[0]: "alias/api" is not a KMS key ARN`},
		{laravel.APIProps{EnvSecrets: map[string]string{"API_KEY": "ssm:/api/key"}, DecryptKeys: []string{decryptKeyARN, decryptKeyARN}}, `DecryptKeys[1]: "` + decryptKeyARN + `" is listed twice`},
		{laravel.APIProps{SessionDomain: ".example.org"}, `SessionDomain: ".example.org" does not cover DomainName api.example.com`},
		{laravel.APIProps{SessionDomain: "https://example.com"}, `SessionDomain: "https://example.com" is not a domain`},
	} {
		p := c.props
		p.DomainName, p.Zone, p.Image = valid.DomainName, valid.Zone, valid.Image
		if got := fmt.Sprint(p.Validate()); !strings.Contains(got, c.want) {
			t.Errorf("got %s; want a problem containing %q", got, c.want)
		}
	}
}

func TestOneServerAllowsServerLocalDriversAndEveryNode(t *testing.T) {
	valid := defaultProps(awscdk.NewStack(nil, nil, nil))
	for instances, refused := range map[int]bool{1: false, 2: true} {
		p := *valid
		p.Fleet = fleet.Props{Mode: fleet.Fixed, Instances: instances}
		p.SessionDriver, p.CacheStore, p.Scheduler = "file", "file", "every-node"
		if err := p.Validate(); (err != nil) != refused {
			t.Errorf("file drivers and an every-node scheduler on a fixed fleet of %d: got %v, want refused %t", instances, err, refused)
		}
	}
}

// TestValidateReportsEveryProblem: the web tier's and Laravel's problems, at
// once.
func TestValidateReportsEveryProblem(t *testing.T) {
	var e *check.Error
	if err := (laravel.APIProps{AppPath: "x", SessionDriver: "file", Scheduler: "every-node", LogChannel: "stderr"}).Validate(); !errors.As(err, &e) {
		t.Fatalf("got %v, want a *check.Error", err)
	}
	var fields []string
	for _, p := range e.Problems {
		fields = append(fields, p.Field)
	}
	slices.Sort(fields)
	if want := []string{"AppPath", "DomainName", "Image", "LogChannel", "Scheduler", "SessionDriver", "Zone"}; !slices.Equal(fields, want) {
		t.Errorf("problems with %q, want one with each of %q", fields, want)
	}
}

func TestDashboardLinksTheApplicationLog(t *testing.T) {
	body := cdktest.JSON(template(t).Resources("AWS::CloudWatch::Dashboard"))
	if id := cdktest.LogicalID(t, template(t), "AWS::Logs::LogGroup", "TierLogsLaravel"); !strings.Contains(body, `{"Ref":"`+id+`"}`) {
		t.Errorf("the dashboard does not link %s", id)
	}
}

func TestUploadsAreCountedNotBlockedByTheFirewall(t *testing.T) {
	acl := cdktest.JSON(template(t).Resources("AWS::WAFv2::WebACL"))
	if !strings.Contains(acl, `{"ActionToUse":{"Count":{}},"Name":"SizeRestrictions_BODY"}`) || strings.Contains(acl, "PROPFIND_METHOD") {
		t.Errorf("want SizeRestrictions_BODY counted and PROPFIND blocked:\n%s", acl)
	}
}
