package laravel_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/constructs/database"
	"github.com/tierkit/tierkit/constructs/fleet"
	"github.com/tierkit/tierkit/constructs/laravel"
	"github.com/tierkit/tierkit/constructs/network"
	"github.com/tierkit/tierkit/constructs/storage"
	"github.com/tierkit/tierkit/constructs/webtier"
	"github.com/tierkit/tierkit/internal/cdktest"
	"github.com/tierkit/tierkit/internal/fakeaws"
)

// defaultProps is the article's API: defaults (an Auto Scaling group,
// MySQL, database sessions, apache2), the golden server's IP in the vhost
// and /etc/hosts, and the Nuxt frontend's origin.
func defaultProps(stack awscdk.Stack) *laravel.APIProps {
	return &laravel.APIProps{
		DomainName:      "api.example.com",
		Zone:            cdktest.Zone(stack),
		Image:           cdktest.Image(),
		Boot:            boot.Props{GoldenIP: goldenIP, IPFiles: []string{"/etc/hosts", vhost}},
		FrontendOrigins: []string{"https://example.com"},
	}
}

// variantProps takes every other branch: fixed servers, nginx with PHP-FPM,
// PostgreSQL, DynamoDB sessions, a Redis cache over TLS, an existing VPC
// whose CIDR is a token, another application path and web user.
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
		FrontendOrigins: []string{"https://example.com", "https://www.example.com:8443"},
		LogChannel:      "single",
		CronFiles:       []string{"/etc/cron.d/api-schedule", "/var/spool/cron/crontabs/nginx"},
	}
}

// Both variants live in one app: one synthesis, one validation and nag run.
var (
	variantStack awscdk.Stack
	template     = cdktest.Shared(func(tb testing.TB) awscdk.Stack {
		app := cdktest.Validated(cdktest.Nagged(cdktest.NewApp(tb, cdktest.Strict())))
		stack := cdktest.NewStack(app, "Test")
		laravel.NewAPITier(stack, "Tier", defaultProps(stack))
		variantStack = cdktest.NewStack(app, "Variant")
		laravel.NewAPITier(variantStack, "Tier", variantProps(variantStack))
		return stack
	})
	variant = cdktest.Shared(func(tb testing.TB) awscdk.Stack {
		template(tb)
		return variantStack
	})
)

func TestNoValidationOrNagFindings(t *testing.T) {
	variant(t) // both stacks are in the same assembly
	if findings := cdktest.Findings(t, template(t).Outdir); len(findings) > 0 {
		t.Errorf("%d findings:\n%s", len(findings), strings.Join(findings, "\n"))
	}
}

// TestLogicalIDsAreThoseOfABareWebTier pins the stateful resources: the
// tier's web tier has the id "Default", which leaves the logical IDs of a
// webtier.New(stack, "Tier") unchanged (webtier_test pins the same ones).
func TestLogicalIDsAreThoseOfABareWebTier(t *testing.T) {
	want := map[string]string{
		"TierDatabaseInstanceAC06CB03":                                   "Snapshot",
		"TestTierDatabaseSecret123FAFE13fdaad7efa858a3daf9490cf0a702aeb": "Retain",
		"TierUploadsBucket903CB65E":                                      "Retain",
		"TierAccessLogs1908E510":                                         "Retain",
		"TierLogsBoot60317C66":                                           "Retain",
		"TierLogsLaravel754E4A1F":                                        "Retain",
	}
	checkPolicies(t, template(t), want)
}

// TestEveryWebTierResourceKeepsItsLogicalID synthesizes a bare web tier with
// the props the API tier hands it: each of its resources must have the same
// logical ID in the API tier's template, so that an app can move a deployed
// webtier.New(stack, "Tier", ...) to laravel.NewAPITier(stack, "Tier", ...).
func TestEveryWebTierResourceKeepsItsLogicalID(t *testing.T) {
	app := cdktest.NewApp(t)
	stack := cdktest.NewStack(app, "Test")
	p := defaultProps(stack)
	webtier.New(stack, "Tier", &webtier.Props{
		DomainName: p.DomainName, Zone: p.Zone, Image: p.Image, HealthCheckPath: "/up",
		Boot:    boot.Props{GoldenIP: p.Boot.GoldenIP, IPFiles: p.Boot.IPFiles, WebServer: "apache2"},
		Fleet:   fleet.Props{Singleton: true},
		Uploads: storage.Props{CORSOrigins: p.FrontendOrigins},
	})
	bare := (*assertions.Template_FromStack(stack, nil).ToJSON())["Resources"].(map[string]any)
	api := (*template(t).ToJSON())["Resources"].(map[string]any)
	for id, r := range bare {
		if other, ok := api[id].(map[string]any); !ok {
			t.Errorf("%s (%s) of a bare web tier is not in the API tier's template", id, r.(map[string]any)["Type"])
		} else if other["Type"] != r.(map[string]any)["Type"] {
			t.Errorf("%s is a %s in the API tier, a %s in a bare web tier", id, other["Type"], r.(map[string]any)["Type"])
		}
	}
	if len(bare) < 50 {
		t.Errorf("only %d resources in the bare web tier", len(bare))
	}
}

func TestCacheTableIsPinnedAndRetained(t *testing.T) {
	checkPolicies(t, variant(t), map[string]string{"TierCacheTableEBAB3ACF": "Retain"})
	template(t).ResourceCountIs(t, "AWS::DynamoDB::Table", 0)
}

func checkPolicies(t *testing.T, tpl *cdktest.Template, want map[string]string) {
	t.Helper()
	resources := (*tpl.ToJSON())["Resources"].(map[string]any)
	for id, policy := range want {
		r, ok := resources[id].(map[string]any)
		if !ok {
			t.Errorf("no resource %s: renaming a construct of the tier replaces it, and its data", id)
			continue
		}
		if r["DeletionPolicy"] != policy || r["UpdateReplacePolicy"] != policy {
			t.Errorf("%s: DeletionPolicy %v, UpdateReplacePolicy %v; want %s", id, r["DeletionPolicy"], r["UpdateReplacePolicy"], policy)
		}
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
		if ud := cdktest.UserDataJSON(t, c.tpl); !strings.Contains(ud, c.file) || !strings.Contains(ud, `{"Ref":"`+group+`"}`) {
			t.Errorf("%s: the agent configuration does not ship %s to %s", name, c.file, group)
		}
	}
}

func TestWebServerLogsFollowTheWebServer(t *testing.T) {
	ud := cdktest.UserData(t, variant(t))
	for _, want := range []string{"WEB_SERVER='nginx'", "/var/log/nginx/*access.log", "/var/log/nginx/*error.log"} {
		if !strings.Contains(ud, want) {
			t.Errorf("the nginx variant's user data lacks %s", want)
		}
	}
}

// tagged reports whether CloudFormation tags hold key=true.
func tagged(tags any, key string) bool {
	for _, tag := range cdktest.AsList(tags) {
		if tag, ok := tag.(map[string]any); ok && tag["Key"] == key && tag["Value"] == "true" {
			return true
		}
	}
	return false
}

func TestOneSchedulerServerInAnAutoScalingFleet(t *testing.T) {
	tpl := template(t)
	var singletons, others []string
	for id, g := range tpl.Resources("AWS::AutoScaling::AutoScalingGroup") {
		p := cdktest.Props(g)
		if tagged(p["Tags"], fleet.SingletonTag) {
			singletons = append(singletons, id)
			if p["MinSize"] != "1" || p["MaxSize"] != "1" || !strings.Contains(cdktest.JSON(p["Tags"]), `"PropagateAtLaunch":true`) {
				t.Errorf("%s: MinSize %v, MaxSize %v, tags %s; want one server that carries the tag", id, p["MinSize"], p["MaxSize"], cdktest.JSON(p["Tags"]))
			}
		} else {
			others = append(others, id)
		}
	}
	if len(singletons) != 1 || len(others) != 1 {
		t.Errorf("singleton groups %v, other groups %v; want one of each", singletons, others)
	}
	tpl.HasResourceProperties(t, "AWS::EC2::LaunchTemplate", map[string]any{
		"LaunchTemplateData": assertions.Match_ObjectLike(&map[string]any{
			"MetadataOptions": assertions.Match_ObjectLike(&map[string]any{"InstanceMetadataTags": "enabled", "HttpTokens": "required"}),
		}),
	})
}

func TestOneSchedulerServerInAFixedFleet(t *testing.T) {
	var singletons []string
	instances := variant(t).Resources("AWS::EC2::Instance")
	for id, i := range instances {
		if tagged(cdktest.Props(i)["Tags"], fleet.SingletonTag) {
			singletons = append(singletons, id)
		}
	}
	if len(instances) != 2 || len(singletons) != 1 || !strings.HasPrefix(singletons[0], "TierFleetServer1") {
		t.Errorf("%d instances, singletons %v; want Server1 only", len(instances), singletons)
	}
}

func TestPasswordIsNeverInTheTemplate(t *testing.T) {
	tpl := template(t)
	ud := cdktest.UserDataJSON(t, tpl)
	if m := regexp.MustCompile(`DB_PASSWORD\s*=`).FindString(ud); m != "" {
		t.Errorf("the user data writes DB_PASSWORD with a value of its own: %q", m)
	}
	attachment := cdktest.LogicalID(t, tpl, "AWS::SecretsManager::SecretTargetAttachment", "TierDatabaseSecretAttachment")
	if !strings.Contains(ud, `sid='",{"Ref":"`+attachment+`"},"'`) {
		t.Errorf("the user data does not read the password from the secret %s at boot", attachment)
	}
	for id, s := range tpl.Resources("AWS::SecretsManager::Secret") {
		if _, ok := cdktest.Props(s)["SecretString"]; ok || cdktest.Props(s)["GenerateSecretString"] == nil {
			t.Errorf("%s: want a generated secret, with no SecretString in the template", id)
		}
	}
}

func TestTierWorksAsAScopeAndCanBeTaggedAndDependedOn(t *testing.T) {
	app := cdktest.NewApp(t)
	stack := cdktest.NewStack(app, "Test")
	tier := laravel.NewAPITier(stack, "Tier", defaultProps(stack))
	awscdk.Tags_Of(tier).Add(jsii.String("team"), jsii.String("api"), nil)
	child := awscdk.NewCfnWaitConditionHandle(tier, jsii.String("Child"), nil)
	child.Node().AddDependency(tier.Fleet())
	tpl := &cdktest.Template{Template: assertions.Template_FromStack(stack, nil)}
	tpl.HasResourceProperties(t, "AWS::RDS::DBInstance", map[string]any{
		"Tags": assertions.Match_ArrayWith(&[]any{map[string]any{"Key": "team", "Value": "api"}}),
	})
	tpl.HasResource(t, "AWS::CloudFormation::WaitConditionHandle", map[string]any{"DependsOn": assertions.Match_ArrayWith(&[]any{"TierFleetRole87C45DF5"})})
	if got := tier.BootSteps(); !slices.Equal(got, []string{"cron-off", "rds-ca", "laravel-env", "laravel-cache", "scheduler"}) {
		t.Errorf("BootSteps() = %q", got)
	}
	if tier.LoadBalancer() == nil || tier.Database() == nil || tier.Uploads() == nil || tier.Logs() == nil || tier.AppLogGroup() == nil || tier.Tier() == nil {
		t.Errorf("an accessor returned nil")
	}
	if tier.CacheTable() != nil {
		t.Errorf("CacheTable() is set without dynamodb")
	}
}

// The boot script, run as deployed (references resolved) on a fake server.

// secret is the database secret as RDS attaches it to the instance.
func secret(pw string) map[string]any {
	return map[string]any{"password": pw, "dbname": "app", "engine": "mysql", "port": 3307,
		"dbInstanceIdentifier": "tier-db", "host": "tier-db.example", "username": "tierkit_admin"}
}

// boot runs the default template's boot script on a copy of the golden server.
func bootDefault(t *testing.T, singleton bool) (*fakeaws.Machine, fakeaws.Result) {
	t.Helper()
	m := newMachine(t, singleton, "/var/www/html", secret(password))
	r := m.Run(t, cdktest.UserData(t, template(t)))
	if r.Err != nil {
		t.Fatalf("boot failed: %v\n%s", r.Err, r.Console)
	}
	return m, r
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
TRUSTED_PROXIES=10.0.0.0/16
FRONTEND_URL=https://example.com
CORS_ALLOWED_ORIGINS=https://example.com
SANCTUM_STATEFUL_DOMAINS=example.com
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

func TestGoldenIPIsReplacedByTheServersOwn(t *testing.T) {
	m, _ := bootDefault(t, false)
	if got := m.Read(t, "etc/hosts"); got != "127.0.0.1 localhost\n10.0.2.33 api.example.com api\n" {
		t.Errorf("/etc/hosts: %q", got)
	}
	if got := m.Read(t, vhost); !strings.HasPrefix(got, "<VirtualHost 10.0.2.33:80>") {
		t.Errorf("vhost: %q", got)
	}
}

func TestSchedulerRunsOnTheSingletonOnly(t *testing.T) {
	m, r := bootDefault(t, true)
	want := `# Written at boot by tierkit: Laravel's scheduler runs on this server only.
SHELL=/bin/sh
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
* * * * * www-data [ -e /var/lib/tierkit/boot-ok ] && cd /var/www/html && php artisan schedule:run >> /dev/null 2>&1
`
	if got := m.Read(t, "etc/cron.d/tierkit-scheduler"); got != want {
		t.Errorf("singleton's cron entry:\n%s\nwant:\n%s", got, want)
	}
	if m.Exists("etc/cron.d/laravel") || !m.Exists("etc/cron.d/.laravel.disabled-by-tierkit") {
		t.Errorf("the AMI's /etc/cron.d/laravel is not disabled on the singleton")
	}
	for _, c := range []string{"systemctl enable cron", "systemctl reload-or-restart cron"} {
		if !slices.Contains(r.Calls, c) {
			t.Errorf("calls %q lack %q", r.Calls, c)
		}
	}

	// A server made from an AMI of the singleton carries its entry: gone too.
	other := newMachine(t, false, "/var/www/html", secret(password))
	cdktest.WriteFile(t, filepath.Join(other.Root, "etc/cron.d/tierkit-scheduler"), want, 0o644)
	r = other.Run(t, cdktest.UserData(t, template(t)))
	if r.Err != nil {
		t.Fatalf("boot failed: %v\n%s", r.Err, r.Console)
	}
	if other.Exists("etc/cron.d/tierkit-scheduler") || other.Exists("etc/cron.d/laravel") || !other.Exists("etc/cron.d/.laravel.disabled-by-tierkit") {
		t.Errorf("a server that is not the singleton still has a scheduler entry")
	}
	if !strings.Contains(r.Log, "not the singleton") {
		t.Errorf("the log does not say why the scheduler is off:\n%s", r.Log)
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
	m := newMachine(t, true, "/srv/api", secret(pw))
	cdktest.WriteFile(t, filepath.Join(m.Root, "etc/cron.d/api-schedule"), "* * * * * nginx php /srv/api/artisan schedule:run\n", 0o644)
	cdktest.WriteFile(t, filepath.Join(m.Root, "var/spool/cron/crontabs/nginx"), "* * * * * php /srv/api/artisan schedule:run\n", 0o600)
	tpl := variant(t)
	r := m.Run(t, cdktest.UserData(t, tpl))
	if r.Err != nil {
		t.Fatalf("boot failed: %v\n%s", r.Err, r.Console)
	}
	env := m.Read(t, "srv/api/.env")
	table := cdktest.LogicalID(t, tpl, "AWS::DynamoDB::Table", "TierCacheTable")
	db := cdktest.LogicalID(t, tpl, "AWS::RDS::DBInstance", "TierDatabaseInstance")
	for _, line := range []string{
		"APP_ENV=staging", "DB_CONNECTION=pgsql", "DB_HOST=" + cdktest.GetAttValue(db, "Endpoint.Address"), "DB_PORT=5433",
		`DB_PASSWORD="pa ss#wo\$rd,1"`, "DB_SSLMODE=require", "DB_SSLROOTCERT=/etc/ssl/certs/rds-global-bundle.pem",
		"SESSION_DRIVER=dynamodb", "CACHE_STORE=redis", "REDIS_HOST=cache.internal.example.com", "REDIS_PORT=6380",
		"REDIS_SCHEME=tls", "DYNAMODB_CACHE_TABLE=" + cdktest.RefValue(table), "TRUSTED_PROXIES=import-SharedVpcCidr",
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
	if r.Calls[0] != "systemctl stop nginx" || r.Calls[len(r.Calls)-1] != "systemctl restart nginx" || !slices.Contains(r.Calls, "systemctl restart php8.3-fpm") {
		t.Errorf("calls %q: want nginx stopped first and started last, PHP-FPM restarted", r.Calls)
	}
	if !slices.Contains(r.Calls, "runuser -u nginx -- php artisan config:cache") {
		t.Errorf("calls %q: want artisan run as nginx", r.Calls)
	}
	if got := m.Read(t, "etc/cron.d/tierkit-scheduler"); !strings.Contains(got, "* * * * * nginx [ -e /var/lib/tierkit/boot-ok ] && cd /srv/api && php artisan schedule:run") {
		t.Errorf("cron entry:\n%s", got)
	}
	for _, f := range []string{"etc/cron.d/.api-schedule.disabled-by-tierkit", "var/spool/cron/crontabs/.nginx.disabled-by-tierkit"} {
		if !m.Exists(f) {
			t.Errorf("%s missing: the AMI's cron entries are not disabled", f)
		}
	}
	if !m.Exists("etc/cron.d/laravel") {
		t.Errorf("/etc/cron.d/laravel, not in CronFiles, was touched")
	}
}

func TestBootFailsWhenTheSecretCannotBeRead(t *testing.T) {
	m := newMachine(t, false, "/var/www/html", secret(password))
	m.AWS.Deny = true
	r := m.Run(t, cdktest.UserData(t, template(t)))
	if r.Err == nil || !strings.Contains(r.Log, "laravel-env: Secrets Manager answered 400 for ref-TierDatabaseSecretAttachment") ||
		!strings.Contains(r.Log, "AccessDeniedException") || !strings.Contains(r.Log, "step laravel-env failed") {
		t.Errorf("want the boot to fail in laravel-env, naming the error (err %v):\n%s", r.Err, r.Log)
	}
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
			r := m.Run(t, cdktest.UserData(t, template(t)))
			if r.Err == nil || !strings.Contains(r.Log, "tierkit-boot: laravel-env: ") || !strings.Contains(r.Log, "/var/www/html/.env") {
				t.Errorf("want the boot to fail in laravel-env (err %v):\n%s", r.Err, r.Log)
			}
		})
	}
}

func TestBootKeepsTheAMIsCABundleWhenTheTruststoreIsDown(t *testing.T) {
	m := newMachine(t, false, "/var/www/html", secret(password))
	m.AWS.NoBundle = true
	r := m.Run(t, cdktest.UserData(t, template(t)))
	if r.Err == nil || !strings.Contains(r.Log, "rds-ca: no RDS CA bundle") {
		t.Errorf("without a bundle, want the boot to fail in rds-ca (err %v):\n%s", r.Err, r.Log)
	}
	m = newMachine(t, false, "/var/www/html", secret(password))
	m.AWS.NoBundle = true
	cdktest.WriteFile(t, filepath.Join(m.Root, "etc/ssl/certs/rds-global-bundle.pem"), fakeaws.CABundle, 0o644)
	if r := m.Run(t, cdktest.UserData(t, template(t))); r.Err != nil || !strings.Contains(r.Log, "failed; keeping the AMI's bundle") {
		t.Errorf("with the AMI's bundle, want the boot to go on (err %v):\n%s", r.Err, r.Log)
	}
}

func TestRenderedUserDataPassesShellcheck(t *testing.T) {
	if _, err := exec.LookPath("shellcheck"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("shellcheck is not on PATH: install shellcheck (Debian package shellcheck)")
		}
		t.Skip("install shellcheck (Debian package shellcheck)")
	}
	for name, tpl := range map[string]*cdktest.Template{"default": template(t), "variant": variant(t)} {
		file := filepath.Join(t.TempDir(), "user-data")
		cdktest.WriteFile(t, file, cdktest.UserData(t, tpl), 0o644)
		if out, err := exec.Command("shellcheck", "--severity=style", file).CombinedOutput(); err != nil {
			t.Errorf("%s: shellcheck: %v\n%s", name, err, out)
		}
	}
}

// TestUserDataLeavesRoomUnderTheLimit resolves every reference to 100
// characters, more than any real one (secret ARNs, endpoints, bucket, table
// and log group names), and keeps 1 KB for longer golden-IP file lists.
func TestUserDataLeavesRoomUnderTheLimit(t *testing.T) {
	long := func(string, ...string) string { return strings.Repeat("x", 100) }
	for name, tpl := range map[string]*cdktest.Template{"default": template(t), "variant": variant(t)} {
		n := len(cdktest.Resolve(t, cdktest.UserDataExpr(t, tpl), long))
		t.Logf("%s: %d bytes deployed at most", name, n)
		if n > boot.MaxUserDataBytes-1024 {
			t.Errorf("%s: the deployed user data can reach %d bytes; EC2's limit is %d", name, n, boot.MaxUserDataBytes)
		}
	}
}

func TestInvalidProps(t *testing.T) {
	valid := defaultProps(awscdk.NewStack(nil, nil, nil))
	fixed := fleet.Props{Mode: fleet.Fixed}
	cases := []struct {
		name  string
		patch func(p *laravel.APIProps)
		want  string
	}{
		{"no domain", func(p *laravel.APIProps) { p.DomainName = "" }, "DomainName: required"},
		{"web server set in Boot", func(p *laravel.APIProps) { p.Boot.WebServer = "nginx" }, "Boot.WebServer: set by the tier from WebServer"},
		{"wired fleet field", func(p *laravel.APIProps) { p.Fleet.Image = valid.Image }, "Fleet.Image: set by the tier"},
		{"relative app path", func(p *laravel.APIProps) { p.AppPath = "var/www/html" }, `AppPath: "var/www/html" is not a clean absolute directory path`},
		{"app path with %", func(p *laravel.APIProps) { p.AppPath = "/var/www/100%" }, `AppPath: "/var/www/100%" is not a clean absolute directory path`},
		{"app path not clean", func(p *laravel.APIProps) { p.AppPath = "/var/www/html/" }, `AppPath: "/var/www/html/" is not a clean`},
		{"app env", func(p *laravel.APIProps) { p.AppEnv = "Prod uction" }, `AppEnv: "Prod uction" is not an environment name`},
		{"unknown web server", func(p *laravel.APIProps) { p.WebServer = "caddy" }, `WebServer: "caddy" is not supported; allowed: apache2, httpd, nginx`},
		{"php-fpm unit", func(p *laravel.APIProps) { p.PHPFPMUnit = "php fpm" }, `PHPFPMUnit: "php fpm" is not a systemd unit name`},
		{"php-fpm is the web server", func(p *laravel.APIProps) { p.PHPFPMUnit = "apache2" }, `PHPFPMUnit: "apache2" is the web server`},
		{"web user", func(p *laravel.APIProps) { p.WebUser = "Www Data" }, `WebUser: "Www Data" is not a user name`},
		{"unknown session driver", func(p *laravel.APIProps) { p.SessionDriver = "memcached" }, `SessionDriver: "memcached" is not supported; allowed: database, redis, dynamodb, cookie, file, array`},
		{"file sessions on two fixed servers", func(p *laravel.APIProps) {
			p.SessionDriver = "file"
			p.Fleet = fleet.Props{Mode: fleet.Fixed, Instances: 2}
		}, `SessionDriver: "file" keeps sessions on one server, and more than one serves (Fleet Mode fixed with 2 instances)`},
		{"file sessions on the default fixed fleet", func(p *laravel.APIProps) {
			p.SessionDriver = "file"
			p.Fleet = fixed
		}, `SessionDriver: "file" keeps sessions on one server`},
		{"array sessions in an Auto Scaling group", func(p *laravel.APIProps) { p.SessionDriver = "array" }, `SessionDriver: "array" keeps sessions on one server, and more than one serves (an Auto Scaling group`},
		{"file cache", func(p *laravel.APIProps) { p.CacheStore = "file" }, `CacheStore: "file" is not shared between servers`},
		{"unknown cache store", func(p *laravel.APIProps) { p.CacheStore = "apc" }, `CacheStore: "apc" is not supported`},
		{"redis without host", func(p *laravel.APIProps) { p.SessionDriver = "redis" }, "RedisHost: required when SessionDriver or CacheStore is redis"},
		{"redis host not a host", func(p *laravel.APIProps) {
			p.CacheStore = "redis"
			p.RedisHost = "redis://cache:6379"
		}, `RedisHost: "redis://cache:6379" is not a host name`},
		{"redis port", func(p *laravel.APIProps) {
			p.CacheStore = "redis"
			p.RedisHost = "cache.internal"
			p.RedisPort = 70000
		}, "RedisPort: 70000 is out of range"},
		{"redis settings without redis", func(p *laravel.APIProps) { p.RedisTLS = true }, "RedisTLS: set, but neither SessionDriver nor CacheStore is redis"},
		{"origin with a path", func(p *laravel.APIProps) { p.FrontendOrigins = []string{"https://example.com/app"} }, `FrontendOrigins[0]: "https://example.com/app" is not an origin`},
		{"origin with a trailing slash", func(p *laravel.APIProps) { p.FrontendOrigins = []string{"https://example.com/"} }, `FrontendOrigins[0]: "https://example.com/" is not an origin`},
		{"origin without scheme", func(p *laravel.APIProps) { p.FrontendOrigins = []string{"https://a.example.com", "example.com"} }, `FrontendOrigins[1]: "example.com" is not an origin`},
		{"wildcard origin", func(p *laravel.APIProps) { p.FrontendOrigins = []string{"*"} }, `FrontendOrigins[0]: "*" is not an origin`},
		{"origin twice", func(p *laravel.APIProps) { p.FrontendOrigins = []string{"https://example.com", "https://example.com"} }, `FrontendOrigins[1]: "https://example.com" is listed twice`},
		{"stderr logs", func(p *laravel.APIProps) { p.LogChannel = "stderr" }, `LogChannel: "stderr" does not write to storage/logs`},
		{"unknown scheduler", func(p *laravel.APIProps) { p.Scheduler = "all" }, `Scheduler: "all" is not supported; allowed: single-node, off, every-node`},
		{"every-node scheduler in an Auto Scaling group", func(p *laravel.APIProps) { p.Scheduler = "every-node" }, `Scheduler: "every-node" runs every task on each of several servers (an Auto Scaling group`},
		{"every-node scheduler on two servers", func(p *laravel.APIProps) {
			p.Scheduler = "every-node"
			p.Fleet = fleet.Props{Mode: fleet.Fixed, Instances: 2}
		}, `Scheduler: "every-node" runs every task on each of several servers (Fleet Mode fixed with 2 instances)`},
		{"relative cron file", func(p *laravel.APIProps) { p.CronFiles = []string{"cron.d/laravel"} }, `CronFiles[0]: "cron.d/laravel" is not a clean absolute file path`},
		{"the tier's own cron file", func(p *laravel.APIProps) { p.CronFiles = []string{"/etc/cron.d/tierkit-scheduler"} }, `CronFiles[0]: "/etc/cron.d/tierkit-scheduler" is the tier's own scheduler entry`},
		{"cron file twice", func(p *laravel.APIProps) { p.CronFiles = []string{"/etc/cron.d/a", "/etc/cron.d/a"} }, `CronFiles[1]: "/etc/cron.d/a" is listed twice`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := *valid
			c.patch(&p)
			if err := p.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestOneServerAllowsServerLocalDriversAndEveryNode(t *testing.T) {
	p := *defaultProps(awscdk.NewStack(nil, nil, nil))
	p.Fleet = fleet.Props{Mode: fleet.Fixed, Instances: 1}
	p.SessionDriver, p.CacheStore, p.Scheduler = "file", "file", "every-node"
	if err := p.Validate(); err != nil {
		t.Errorf("a fleet of one: %v", err)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	err := laravel.APIProps{AppPath: "x", SessionDriver: "file", Scheduler: "every-node", LogChannel: "stderr"}.Validate()
	for _, field := range []string{"DomainName: ", "; Zone: ", "; Image: ", "; AppPath: ", "; SessionDriver: ", "; LogChannel: ", "; Scheduler: "} {
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("got %v, want a problem with %s", err, strings.Trim(field, "; "))
		}
	}
}

func TestNewAPITierPanicsWithTheConstructID(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "laravel Api: DomainName: required") {
			t.Errorf("got %v, want a panic naming the tier and the field", r)
		}
	}()
	laravel.NewAPITier(awscdk.NewStack(nil, nil, nil), "Api", &laravel.APIProps{})
}

// TestSchedulerOffAndEveryNode boots the two other scheduler modes on a
// server that is not tagged as the singleton: "off" runs no scheduler and
// adds no singleton group; "every-node", on a fleet of one, runs it there.
func TestSchedulerOffAndEveryNode(t *testing.T) {
	app := cdktest.NewApp(t)
	off := cdktest.NewStack(app, "Off")
	p := defaultProps(off)
	p.Scheduler = "off"
	laravel.NewAPITier(off, "Tier", p)
	every := cdktest.NewStack(app, "Every")
	p = defaultProps(every)
	p.Scheduler, p.Fleet = "every-node", fleet.Props{Mode: fleet.Fixed, Instances: 1}
	laravel.NewAPITier(every, "Tier", p)

	tpl := &cdktest.Template{Template: assertions.Template_FromStack(off, nil)}
	tpl.ResourceCountIs(t, "AWS::AutoScaling::AutoScalingGroup", 1)
	if strings.Contains(cdktest.JSON(tpl.Resources("AWS::AutoScaling::AutoScalingGroup")), fleet.SingletonTag) {
		t.Errorf("Scheduler off: a group carries the singleton tag")
	}
	m := newMachine(t, false, "/var/www/html", secret(password))
	cdktest.WriteFile(t, filepath.Join(m.Root, "etc/cron.d/tierkit-scheduler"), "left by the AMI\n", 0o644)
	if r := m.Run(t, cdktest.UserData(t, tpl)); r.Err != nil || m.Exists("etc/cron.d/tierkit-scheduler") || m.Exists("etc/cron.d/laravel") {
		t.Errorf("Scheduler off: want no scheduler entry and the AMI's disabled (err %v):\n%s", r.Err, r.Log)
	}

	tpl = &cdktest.Template{Template: assertions.Template_FromStack(every, nil)}
	m = newMachine(t, false, "/var/www/html", secret(password))
	if r := m.Run(t, cdktest.UserData(t, tpl)); r.Err != nil || !m.Exists("etc/cron.d/tierkit-scheduler") || m.Exists("etc/cron.d/laravel") {
		t.Errorf("Scheduler every-node: want the tier's entry and the AMI's disabled (err %v):\n%s", r.Err, r.Log)
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
