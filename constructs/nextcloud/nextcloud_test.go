package nextcloud_test

import (
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"

	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/constructs/cache"
	"github.com/tierkit/tierkit/constructs/database"
	"github.com/tierkit/tierkit/constructs/edge"
	"github.com/tierkit/tierkit/constructs/firewall"
	"github.com/tierkit/tierkit/constructs/fleet"
	"github.com/tierkit/tierkit/constructs/network"
	"github.com/tierkit/tierkit/constructs/nextcloud"
	"github.com/tierkit/tierkit/constructs/webtier"
	"github.com/tierkit/tierkit/internal/cdktest"
	"github.com/tierkit/tierkit/internal/check"
	"github.com/tierkit/tierkit/internal/fakeaws"
)

// What the Nextcloud profile adds to the web tier (whose own behaviour
// constructs/webtier tests with a profile of its own): the shared cache,
// the seed, the configuration the boot writes, Nextcloud's log, its
// background jobs' entry, its firewall exceptions and its settings' rules.

// defaultProps is article 004's Nextcloud: defaults (an Auto Scaling
// group, MySQL, apache2, S3 primary storage, background jobs on one
// server), the golden server's IP in the vhost and /etc/hosts.
func defaultProps(stack awscdk.Stack) *nextcloud.Props {
	return &nextcloud.Props{
		DomainName: "cloud.example.com", Zone: cdktest.Zone(stack), Image: cdktest.Image(),
		Boot: boot.Props{GoldenIP: fakeaws.GoldenIP, IPFiles: []string{"/etc/hosts", vhost}},
	}
}

// variantProps takes Nextcloud's other branches: two fixed servers, the
// data directory on the tier's EFS file system at a directory of its own,
// no background jobs, PostgreSQL, Redis, an
// existing VPC whose CIDR is a token, the caller's idle timeout, another
// install path, nginx with PHP-FPM as another web user, and HTML bodies
// counted everywhere.
func variantProps(stack awscdk.Stack) *nextcloud.Props {
	p := defaultProps(stack)
	p.Boot = boot.Props{}
	p.Network = network.Props{Vpc: cdktest.ImportedVpc(stack)}
	p.Fleet = fleet.Props{Mode: fleet.Fixed, Instances: 2}
	p.Edge = edge.Props{IdleTimeout: 120 * time.Second}
	p.Firewall = firewall.Props{CountOnlyRules: []string{"SizeRestrictions_BODY", "PROPFIND_METHOD", "CrossSiteScripting_BODY"}}
	p.Database = database.Props{Engine: database.Postgres, DatabaseName: "nextcloud"}
	p.Cache = cache.Props{Engine: cache.Redis}
	p.InstallPath, p.PrimaryStorage, p.DataDirectory, p.BackgroundJobs = "/srv/nextcloud", "efs", variantData, "off"
	p.WebServer, p.PHPFPMUnit, p.WebUser = "nginx", "php8.3-fpm", "nginx"
	p.Config = extraConfig()
	p.ConfigSecrets = map[string]string{"mail_smtppassword": "secretsmanager:" + mailSecretARN + "#password", "api_key": "ssm:" + apiKeyParameter}
	p.DecryptKeys = []string{decryptKeyARN}
	return p
}

// The default tier (stack "Test"), the variant (stack "Variant"), the RHEL
// tier (stack "RHEL") and the tier with an existing cache (stack
// "Existing") live in one app: one synthesis, one validation and nag run.
// tiers keeps them for their accessors.
var (
	stacks   = map[string]awscdk.Stack{}
	tiers    = map[string]*nextcloud.Tier{}
	template = cdktest.Shared(func(tb testing.TB) awscdk.Stack {
		app := cdktest.Validated(cdktest.Nagged(cdktest.NewApp(tb, cdktest.Strict())))
		for id, props := range map[string]func(awscdk.Stack) *nextcloud.Props{"Test": defaultProps, "Variant": variantProps, "RHEL": rhelProps, "Existing": existingCacheProps, "Released": releasedProps} {
			stacks[id] = cdktest.NewStack(app, id)
			tiers[id] = nextcloud.NewTier(stacks[id], "Tier", props(stacks[id]))
		}
		return stacks["Test"]
	})
	variant = cdktest.Shared(func(tb testing.TB) awscdk.Stack {
		template(tb)
		return stacks["Variant"]
	})
	rhel = cdktest.Shared(func(tb testing.TB) awscdk.Stack {
		template(tb)
		return stacks["RHEL"]
	})
)

// rhelProps is article 004's Nextcloud on an Amazon Linux or RHEL-family
// golden server: the platform's defaults (httpd, apache, php-fpm).
func rhelProps(stack awscdk.Stack) *nextcloud.Props {
	p := defaultProps(stack)
	p.Platform = webtier.PlatformRHEL
	p.Boot.IPFiles = []string{"/etc/hosts", rhelVhost}
	return p
}

// TestNoValidationOrNagFindings reads the findings of both stacks: they are
// in one assembly.
func TestNoValidationOrNagFindings(t *testing.T) {
	template(t)
	for _, finding := range cdktest.Findings(t, variant(t).Outdir) {
		t.Error(finding)
	}
}

// TestLogicalIDsArePinned pins the stateful resources: those of the web
// tier, whose IDs the tier keeps, and Nextcloud's cache, its token and slow
// log, the seed and Nextcloud's log group. Renaming a construct would
// replace them, and their data.
func TestLogicalIDsArePinned(t *testing.T) {
	tpl := template(t)
	for _, want := range []struct{ typ, id, policy string }{
		{"AWS::RDS::DBInstance", "TierDatabaseInstanceAC06CB03", "Snapshot"},
		{"AWS::SecretsManager::Secret", "TestTierDatabaseSecret123FAFE13fdaad7efa858a3daf9490cf0a702aeb", "Retain"},
		{"AWS::S3::Bucket", "TierUploadsBucket903CB65E", "Retain"},
		{"AWS::S3::Bucket", "TierAccessLogs1908E510", "Retain"},
		{"AWS::Logs::LogGroup", "TierLogsBoot60317C66", "Retain"},
		{"AWS::Logs::LogGroup", "TierLogsNextcloud051A5754", "Retain"},
		{"AWS::ElastiCache::ReplicationGroup", "TierCacheReplicationGroup07AC09E1", "Snapshot"},
		{"AWS::SecretsManager::Secret", "TierCacheSecretFD0E0996", "Retain"},
		{"AWS::Logs::LogGroup", "TierCacheSlowLog5EFA4A92", "Retain"},
		{"AWS::SecretsManager::Secret", "TierSeedCFF28B41", "Retain"},
	} {
		r, ok := tpl.Resources(want.typ)[want.id]
		switch {
		case !ok:
			t.Errorf("no %s %s: renaming a construct of the tier replaces it, and its data", want.typ, want.id)
		case r["DeletionPolicy"] != want.policy || r["UpdateReplacePolicy"] != want.policy:
			t.Errorf("%s: DeletionPolicy %v, UpdateReplacePolicy %v; want %s", want.id, r["DeletionPolicy"], r["UpdateReplacePolicy"], want.policy)
		}
	}
}

// TestTierReachesNextcloudsResourcesAndRunsItsStep: the cache, the seed
// and Nextcloud's log group are the tier's, and the configuration is
// written after the RDS CA bundle, before the background jobs' entry.
func TestTierReachesNextcloudsResourcesAndRunsItsStep(t *testing.T) {
	template(t)
	tier := tiers["Test"]
	for got, want := range map[*string]string{
		tier.App().SharedCache().ReplicationGroup().Node().Path(): "Test/Tier/Cache/ReplicationGroup",
		tier.App().SeedSecret().Node().Path():                     "Test/Tier/Seed",
		tier.AppLogGroup(nextcloud.LogID).Node().Path():           "Test/Tier/Default/Logs/Nextcloud",
	} {
		if *got != want {
			t.Errorf("accessor returned %s, want %s", *got, want)
		}
	}
	if got := tier.BootSteps(); !slices.Equal(got, []string{"cron-off", "rds-ca", "nextcloud-config", "background-jobs"}) {
		t.Errorf("BootSteps() = %q", got)
	}
}

func TestLoadBalancerChecksStatusPHP(t *testing.T) {
	template(t).HasResourceProperties(t, "AWS::ElasticLoadBalancingV2::TargetGroup", map[string]any{"HealthCheckPath": "/status.php"})
	variant(t).HasResourceProperties(t, "AWS::ElasticLoadBalancingV2::TargetGroup", map[string]any{"HealthCheckPath": "/status.php"})
}

func TestIdleTimeoutAllowsLargeUploadChunks(t *testing.T) {
	idle := func(seconds string) map[string]any {
		return map[string]any{"LoadBalancerAttributes": assertions.Match_ArrayWith(&[]any{
			map[string]any{"Key": "idle_timeout.timeout_seconds", "Value": seconds},
		})}
	}
	template(t).HasResourceProperties(t, "AWS::ElasticLoadBalancingV2::LoadBalancer", idle("300"))
	// The caller's own value wins.
	variant(t).HasResourceProperties(t, "AWS::ElasticLoadBalancingV2::LoadBalancer", idle("120"))
}

func TestCacheAcceptsTheFleetOnly(t *testing.T) {
	for name, tpl := range map[string]*cdktest.Template{"default": template(t), "variant": variant(t)} {
		t.Run(name, func(t *testing.T) {
			cacheSG := cdktest.LogicalID(t, tpl, "AWS::EC2::SecurityGroup", "TierCacheSecurityGroup")
			tpl.OnlyIngressFrom(t, cacheSG, cdktest.LogicalID(t, tpl, "AWS::EC2::SecurityGroup", "TierFleetSecurityGroup"), 6380)
		})
	}
	template(t).HasResourceProperties(t, "AWS::ElastiCache::ReplicationGroup", map[string]any{
		"MultiAZEnabled": true, "AutomaticFailoverEnabled": true, "TransitEncryptionEnabled": true, "AtRestEncryptionEnabled": true, "Port": 6380,
	})
}

// fleetAllows returns the Allow statements of the policies attached to the
// fleet's role.
func fleetAllows(t *testing.T, tpl *cdktest.Template) (allowed []map[string]any) {
	t.Helper()
	role := `{"Ref":"` + cdktest.LogicalID(t, tpl, "AWS::IAM::Role", "TierFleetRole") + `"}`
	for _, policy := range tpl.Resources("AWS::IAM::Policy") {
		p := cdktest.Props(policy)
		for _, s := range p["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			if s := s.(map[string]any); s["Effect"] == "Allow" && strings.Contains(cdktest.JSON(p["Roles"]), role) {
				allowed = append(allowed, s)
			}
		}
	}
	return allowed
}

// granted reports whether a statement allows action on resource (a JSON
// fragment of the resource expression).
func granted(statements []map[string]any, action, resource string) bool {
	return slices.ContainsFunc(statements, func(s map[string]any) bool {
		return slices.Contains(cdktest.AsList(s["Action"]), any(action)) && strings.Contains(cdktest.JSON(s["Resource"]), resource)
	})
}

func TestFleetReadsTheDatabaseCacheAndSeedSecrets(t *testing.T) {
	tpl := template(t)
	statements := fleetAllows(t, tpl)
	for _, s := range []string{
		cdktest.LogicalID(t, tpl, "AWS::SecretsManager::SecretTargetAttachment", "TierDatabaseSecretAttachment"),
		cdktest.LogicalID(t, tpl, "AWS::SecretsManager::Secret", "TierCacheSecret"),
		cdktest.LogicalID(t, tpl, "AWS::SecretsManager::Secret", "TierSeed"),
	} {
		if !granted(statements, "secretsmanager:GetSecretValue", `{"Ref":"`+s+`"}`) {
			t.Errorf("the fleet's role cannot read %s", s)
		}
	}
	for _, s := range statements {
		if strings.HasPrefix(fmt.Sprint(s["Action"]), "secretsmanager:") && cdktest.JSON(s["Resource"]) == `"*"` {
			t.Errorf("the fleet's role reads every secret: %s", cdktest.JSON(s))
		}
	}
}

func TestSeedSecretIsGeneratedOnce(t *testing.T) {
	template(t).HasResourceProperties(t, "AWS::SecretsManager::Secret", map[string]any{
		"GenerateSecretString": map[string]any{
			"SecretStringTemplate": "{}", "GenerateStringKey": "seed", "PasswordLength": 80,
			"ExcludePunctuation": true, "IncludeSpace": false,
		},
	})
}

func TestObjectStoreBucketIsGrantedToTheFleet(t *testing.T) {
	tpl := template(t)
	bucket := cdktest.LogicalID(t, tpl, "AWS::S3::Bucket", "TierUploadsBucket")
	statements := fleetAllows(t, tpl)
	for _, a := range []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"} {
		if !granted(statements, a, `{"Fn::GetAtt":["`+bucket+`","Arn"]},"/*"`) {
			t.Errorf("the fleet's role lacks %s on the bucket's objects", a)
		}
	}
	if !granted(statements, "s3:ListBucket", `{"Fn::GetAtt":["`+bucket+`","Arn"]}`) {
		t.Errorf("the fleet's role cannot list the bucket")
	}
}

func TestNextcloudLogIsShipped(t *testing.T) {
	for name, tpl := range map[string]*cdktest.Template{"default": template(t), "variant": variant(t)} {
		group := cdktest.LogicalID(t, tpl, "AWS::Logs::LogGroup", "TierLogsNextcloud")
		if bs := cdktest.BootScript(t, tpl); !strings.Contains(bs, nextcloud.LogFile) || !strings.Contains(bs, `"log_group_name":"`+cdktest.RefValue(group)+`"`) {
			t.Errorf("%s: the agent configuration does not ship %s to %s", name, nextcloud.LogFile, group)
		}
	}
}

func TestNoSecretValueInTheTemplateOrUserData(t *testing.T) {
	for name, tpl := range map[string]*cdktest.Template{"default": template(t), "variant": variant(t)} {
		ud := cdktest.UserDataJSON(t, tpl) + cdktest.BootOf(t, tpl, cdktest.FakeValue).Script
		if strings.Contains(ud, "resolve:secretsmanager") {
			t.Errorf("%s: the user data holds a dynamic reference: CloudFormation would write the secret into it", name)
		}
		if m := regexp.MustCompile(`'(dbpassword|password|secret|passwordsalt)'\s*=>\s*'`).FindString(ud); m != "" {
			t.Errorf("%s: the user data writes a secret with a value of its own: %q", name, m)
		}
		for id, s := range tpl.Resources("AWS::SecretsManager::Secret") {
			if _, ok := cdktest.Props(s)["SecretString"]; ok || cdktest.Props(s)["GenerateSecretString"] == nil {
				t.Errorf("%s: %s: want a generated secret, with no SecretString in the template", name, id)
			}
		}
	}
}

func TestUserDataPassesShellcheckAndFitsUnderTheLimit(t *testing.T) {
	cdktest.CheckUserData(t, map[string]*cdktest.Template{"default": template(t), "variant": variant(t), "rhel": rhel(t), "released": released(t)})
}

// The boot script, run as deployed (references resolved) on a fake server.

// bootDefault runs the default template's boot script on a copy of the
// golden server with config as its config.php; the boot must succeed.
func bootDefault(t *testing.T, singleton bool, config string) (*fakeaws.Machine, fakeaws.Result) {
	t.Helper()
	m := newMachine(t, singleton, "/var/www/nextcloud", config)
	r := m.Boot(t, template(t))
	if r.Err != nil {
		t.Fatalf("boot failed: %v\n%s", r.Err, r.Console)
	}
	return m, r
}

const configPath = "var/www/nextcloud/config/tierkit.config.php"

// writtenKeys returns the keys of a configuration file the boot wrote, in
// order.
func writtenKeys(config string) (keys []string) {
	for _, m := range regexp.MustCompile(`(?m)^  '([^']+)' => `).FindAllStringSubmatch(config, -1) {
		keys = append(keys, m[1])
	}
	return keys
}

func TestBootWritesTheConfigFile(t *testing.T) {
	m, _ := bootDefault(t, true, freshConfig)
	tpl := template(t)
	db := cdktest.LogicalID(t, tpl, "AWS::RDS::DBInstance", "TierDatabaseInstance")
	group := cdktest.LogicalID(t, tpl, "AWS::ElastiCache::ReplicationGroup", "TierCacheReplicationGroup")
	bucket := cdktest.LogicalID(t, tpl, "AWS::S3::Bucket", "TierUploadsBucket")
	want := `<?php
// Written at boot by tierkit from the CDK app, on every server; edit the app, not this file.
$CONFIG = [
  'trusted_proxies' => ['10.0.0.0/24', '10.0.1.0/24'],
  'overwritehost' => 'cloud.example.com',
  'overwriteprotocol' => 'https',
  'overwrite.cli.url' => 'https://cloud.example.com',
  'trusted_domains' => ['cloud.example.com'],
  'dbtype' => 'mysql',
  'dbhost' => '` + cdktest.GetAttValue(db, "Endpoint.Address") + `:3307',
  'dbname' => 'app',
  'dbuser' => 'tierkit_admin',
  'dbpassword' => '` + password + `',
  'dbdriveroptions' => [\PDO::MYSQL_ATTR_SSL_CA => '/etc/ssl/certs/rds-global-bundle.pem', \PDO::MYSQL_ATTR_SSL_VERIFY_SERVER_CERT => true],
  'memcache.local' => '\\OC\\Memcache\\APCu',
  'memcache.distributed' => '\\OC\\Memcache\\Redis',
  'memcache.locking' => '\\OC\\Memcache\\Redis',
  'redis' => ['host' => 'tls://` + cdktest.GetAttValue(group, "PrimaryEndPoint.Address") + `', 'port' => 6380, 'password' => '` + cacheToken + `', 'timeout' => 1.5, 'read_timeout' => 1.5, 'ssl_context' => ['verify_peer' => true, 'verify_peer_name' => true]],
  'objectstore' => ['class' => '\\OC\\Files\\ObjectStore\\S3', 'arguments' => ['bucket' => '` + cdktest.RefValue(bucket) + `', 'region' => 'us-east-1', 'autocreate' => false, 'use_ssl' => true, 'use_path_style' => false]],
  'log_type' => 'file',
  'logfile' => '/var/log/nextcloud/nextcloud.log',
  'instanceid' => 'ocabcdefghij',
  'passwordsalt' => 'k1m2n3o4p5q6r7s8t9u0v1w2x3y4z5',
  'secret' => 'ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxw',
];
`
	got := m.Read(t, configPath)
	if got != want {
		t.Errorf("tierkit.config.php:\n%s\nwant:\n%s", got, want)
	}
	// config.php lacks every instance value: ConfigKeys() lists them all.
	if keys := tiers["Test"].App().ConfigKeys(); !slices.Equal(keys, writtenKeys(got)) {
		t.Errorf("ConfigKeys() = %q; the boot wrote %q", keys, writtenKeys(got))
	}
	fi, err := os.Stat(filepath.Join(m.Root, configPath))
	if err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("tierkit.config.php mode %v (%v), want 0640", fi.Mode().Perm(), err)
	}
	if got := m.Read(t, "var/www/nextcloud/config/config.php"); got != freshConfig {
		t.Errorf("config.php was changed:\n%s", got)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(m.Root, "var/www/nextcloud/config/.tierkit.*")); len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
	checkPHPSyntax(t, filepath.Join(m.Root, configPath))
}

// checkPHPSyntax runs php -l on file where PHP is installed.
func checkPHPSyntax(t *testing.T, file string) {
	t.Helper()
	if !requirePHP(t) {
		t.Log("php is not on PATH: the PHP syntax check is skipped")
		return
	}
	if out, err := exec.Command("php", "-l", file).CombinedOutput(); err != nil {
		t.Errorf("php -l: %v\n%s", err, out)
	}
}

func TestBootKeepsTheInstalledInstanceValues(t *testing.T) {
	m, r := bootDefault(t, false, installedConfig)
	got := m.Read(t, configPath)
	for _, key := range []string{"instanceid", "passwordsalt", "secret"} {
		if strings.Contains(got, "'"+key+"' =>") {
			t.Errorf("tierkit.config.php overrides config.php's %s:\n%s", key, got)
		}
	}
	for _, req := range m.AWS.Requests() {
		if strings.Contains(req.SecretID, "Seed") {
			t.Errorf("the seed was read although config.php has every instance value")
		}
	}
	if !strings.Contains(r.Log, "generated: none; kept from config.php: instanceid passwordsalt secret") {
		t.Errorf("the log does not say the instance values were kept:\n%s", r.Log)
	}
	checkPHPSyntax(t, filepath.Join(m.Root, configPath))
}

func TestSessionsGoToTheSharedCache(t *testing.T) {
	m, r := bootDefault(t, false, installedConfig)
	group := cdktest.LogicalID(t, template(t), "AWS::ElastiCache::ReplicationGroup", "TierCacheReplicationGroup")
	for _, dir := range []string{"etc/php/8.3/apache2/conf.d", "etc/php/8.3/cli/conf.d"} {
		got := m.Read(t, dir+"/"+nextcloud.SessionIni)
		for _, line := range []string{
			"session.save_handler = redis",
			`session.save_path = "tls://` + cdktest.GetAttValue(group, "PrimaryEndPoint.Address") + `:6380?auth=` + cacheToken + `&timeout=2&prefix=nextcloud_session:"`,
			"redis.session.locking_enabled = 1", "redis.session.lock_expire = 10", "apc.enable_cli = 1",
		} {
			if !strings.Contains(got, line+"\n") {
				t.Errorf("%s lacks %s:\n%s", dir, line, got)
			}
		}
	}
	if !slices.ContainsFunc(r.Calls, func(c string) bool {
		return strings.HasPrefix(c, "chown root:www-data /etc/php/8.3/apache2/conf.d/.tierkit.")
	}) {
		t.Errorf("the ini is not given to root:www-data: %q", r.Calls)
	}
}

func TestNoSecretInTheBootLog(t *testing.T) {
	m, r := bootDefault(t, true, freshConfig)
	all := r.Log + r.Console + strings.Join(r.Calls, "\n")
	for name, s := range map[string]string{"password": password, "cache token": cacheToken, "seed": seed, "passwordsalt": seed[10:40], "secret": seed[40:],
		"role secret key": fakeaws.SecretKey, "session token": fakeaws.SessionToken} {
		if strings.Contains(all, s) {
			t.Errorf("the %s appears in the boot log, the console or a command line", name)
		}
	}
	if !strings.Contains(m.Read(t, configPath), "'dbpassword' => '"+password+"'") {
		t.Errorf("the password is not in the configuration")
	}
	for _, req := range m.AWS.Requests() {
		if req.SignatureError != "" || req.SecurityToken != fakeaws.SessionToken {
			t.Errorf("request %+v: want a SigV4-signed request with the role's token", req)
		}
	}
}

func TestLogFileIsOwnedByTheWebUser(t *testing.T) {
	m, r := bootDefault(t, false, installedConfig)
	if !m.Exists("var/log/nextcloud/nextcloud.log") || !slices.Contains(r.Calls, "chown www-data: /var/log/nextcloud /var/log/nextcloud/nextcloud.log") {
		t.Errorf("the log file is missing or not given to www-data: %q", r.Calls)
	}
}

// TestBackgroundJobsRunOnTheSingletonOnly checks Nextcloud's entry on the
// singleton; that no other server runs it is the web tier's job step.
func TestBackgroundJobsRunOnTheSingletonOnly(t *testing.T) {
	m, _ := bootDefault(t, true, installedConfig)
	lines := strings.Split(m.Read(t, "etc/cron.d/tierkit-nextcloud"), "\n")
	for _, want := range []string{
		"# Written at boot by tierkit: Nextcloud's background jobs on this server only.",
		"*/5 * * * * www-data [ -e /var/lib/tierkit/boot-ok ] && php --define apc.enable_cli=1 -f /var/www/nextcloud/cron.php >> /dev/null 2>&1",
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("the singleton's cron entry lacks the line\n%s\nin:\n%s", want, strings.Join(lines, "\n"))
		}
	}
	if m.Exists("etc/cron.d/nextcloud") || !m.Exists("etc/cron.d/.nextcloud.disabled-by-tierkit") {
		t.Errorf("the AMI's /etc/cron.d/nextcloud is not disabled on the singleton")
	}
}

func TestVariantBoot(t *testing.T) {
	m := newMachine(t, true, "/srv/nextcloud", freshConfig)
	tpl := variant(t)
	r := m.Boot(t, tpl)
	if r.Err != nil {
		t.Fatalf("boot failed: %v\n%s", r.Err, r.Console)
	}
	got := m.Read(t, "srv/nextcloud/config/tierkit.config.php")
	db := cdktest.LogicalID(t, tpl, "AWS::RDS::DBInstance", "TierDatabaseInstance")
	for _, line := range []string{
		"'trusted_proxies' => ['import-SharedPublicCidrA', 'import-SharedPublicCidrB'],", "'dbtype' => 'pgsql',", "'dbhost' => '" + cdktest.GetAttValue(db, "Endpoint.Address") + ":5433',",
		"'dbname' => 'nextcloud',", "'pgsql_ssl' => ['mode' => 'verify-full', 'rootcert' => '/etc/ssl/certs/rds-global-bundle.pem'],",
		"'instanceid' => 'ocabcdefghij',",
	} {
		if !strings.Contains(got, "\n  "+line+"\n") {
			t.Errorf("tierkit.config.php lacks %s:\n%s", line, got)
		}
	}
	for _, absent := range []string{"objectstore", "dbdriveroptions"} {
		if strings.Contains(got, absent) {
			t.Errorf("the variant's configuration has %s:\n%s", absent, got)
		}
	}
	if keys := tiers["Variant"].App().ConfigKeys(); !slices.Equal(keys, writtenKeys(got)) {
		t.Errorf("ConfigKeys() = %q; the boot wrote %q", keys, writtenKeys(got))
	}
	checkPHPSyntax(t, filepath.Join(m.Root, "srv/nextcloud/config/tierkit.config.php"))
	if !slices.Contains(r.Calls, "systemctl restart php8.3-fpm") {
		t.Errorf("calls %q: PHP-FPM is not restarted after the configuration is written", r.Calls)
	}
	if !slices.Contains(r.Calls, "chown nginx: /var/log/nextcloud /var/log/nextcloud/nextcloud.log") {
		t.Errorf("calls %q: the log is not given to nginx", r.Calls)
	}
	// Off: not even the server tagged as the singleton runs cron.php.
	if m.Exists("etc/cron.d/tierkit-nextcloud") || !strings.Contains(r.Log, "Nextcloud's background jobs off: no server runs it") {
		t.Errorf("BackgroundJobs off: a cron entry was written, or the log does not say so:\n%s", r.Log)
	}
}

// TestRHELBoot runs the RHEL-family tier's boot on a RHEL-style root: the
// CA bundle in /etc/pki/tls/certs where the configuration points PDO, the
// files owned by apache, sessions in the shared cache through /etc/php.d and
// PHP-FPM's pool, httpd and php-fpm restarted, the background jobs' entry
// for cronie, httpd's logs shipped.
func TestRHELBoot(t *testing.T) {
	m := newRHELMachine(t, true, "/var/www/nextcloud", installedConfig)
	r := m.Boot(t, rhel(t))
	if r.Err != nil {
		t.Fatalf("boot failed: %v\n%s", r.Err, r.Console)
	}
	if got := m.Read(t, "etc/pki/tls/certs/rds-global-bundle.pem"); got != fakeaws.CABundle || m.Exists("etc/ssl") {
		t.Errorf("RDS CA bundle %q (Debian's /etc/ssl created: %v), want the truststore's in /etc/pki/tls/certs only", got, m.Exists("etc/ssl"))
	}
	if got := m.Read(t, configPath); !strings.Contains(got, "\\PDO::MYSQL_ATTR_SSL_CA => '/etc/pki/tls/certs/rds-global-bundle.pem'") {
		t.Errorf("tierkit.config.php does not point PDO at RHEL's bundle:\n%s", got)
	}
	if got := m.Read(t, "etc/php.d/"+nextcloud.SessionIni); !strings.Contains(got, "session.save_handler = redis\n") {
		t.Errorf("/etc/php.d/%s:\n%s", nextcloud.SessionIni, got)
	}
	pool := m.Read(t, "etc/php-fpm.d/www.conf")
	for _, line := range []string{";php_value[session.save_handler] = files\n", ";php_value[session.save_path]    = /var/lib/php/session\n", "\nphp_value[soap.wsdl_cache_dir]"} {
		if !strings.Contains(pool, line) {
			t.Errorf("PHP-FPM's pool lacks %q (its session settings must be commented out, nothing else):\n%s", line, pool)
		}
	}
	for _, c := range []string{"chown root:apache /var/www/nextcloud/config/.tierkit.", "chown root:apache /etc/php.d/.tierkit.",
		"chown apache: /var/log/nextcloud /var/log/nextcloud/nextcloud.log", "systemctl restart php-fpm", "systemctl enable crond"} {
		if !slices.ContainsFunc(r.Calls, func(call string) bool { return strings.HasPrefix(call, c) }) {
			t.Errorf("calls lack %q:\n%s", c, strings.Join(r.Calls, "\n"))
		}
	}
	if r.Calls[0] != "systemctl stop httpd" || r.Calls[len(r.Calls)-1] != "systemctl restart httpd" {
		t.Errorf("calls %q: want httpd stopped first and started last", r.Calls)
	}
	if got := m.Read(t, "etc/cron.d/tierkit-nextcloud"); !strings.Contains(got, "\n*/5 * * * * apache [ -e /var/lib/tierkit/boot-ok ] && php ") {
		t.Errorf("cron entry for cronie:\n%s", got)
	}
	agent := m.Read(t, "opt/aws/amazon-cloudwatch-agent/etc/tierkit.json")
	for _, f := range []string{"/var/log/httpd/*access_log", "/var/log/httpd/*error_log"} {
		if !strings.Contains(agent, `"file_path":"`+f+`"`) {
			t.Errorf("the agent does not ship %s:\n%s", f, agent)
		}
	}
}

func TestBootFailsWhenASecretCannotBeRead(t *testing.T) {
	m := newMachine(t, false, "/var/www/nextcloud", installedConfig)
	delete(m.AWS.Secrets, "Cache")
	r := m.Boot(t, template(t))
	if r.Err == nil || !strings.Contains(r.Log, "nextcloud-config: Secrets Manager answered 400 for ref-TierCacheSecret") || !strings.Contains(r.Log, "step nextcloud-config failed") {
		t.Errorf("want the boot to fail in nextcloud-config, naming the secret (err %v):\n%s", r.Err, r.Log)
	}
	if slices.Contains(r.Calls, "systemctl restart apache2") || m.Exists(configPath) {
		t.Errorf("the web server was started, or a configuration written")
	}
}

func TestBootFailsWithoutAnInstalledNextcloud(t *testing.T) {
	m := newMachine(t, false, "/var/www/nextcloud", installedConfig)
	os.Remove(filepath.Join(m.Root, "var/www/nextcloud/config/config.php"))
	r := m.Boot(t, template(t))
	if r.Err == nil || !strings.Contains(r.Log, "nextcloud-config: no /var/www/nextcloud/config/config.php") {
		t.Errorf("want the boot to fail in nextcloud-config (err %v):\n%s", r.Err, r.Log)
	}
}

// TestInvalidProps: each of Nextcloud's settings refused alone, with its
// own message (the web tier's fields are constructs/webtier's tests).
func TestInvalidProps(t *testing.T) {
	valid := defaultProps(awscdk.NewStack(nil, nil, nil))
	cases := []struct {
		name  string
		patch func(p *nextcloud.Props)
		want  string
	}{
		{"cache vpc", func(p *nextcloud.Props) { p.Cache.Vpc = cdktest.ImportedVpc(awscdk.NewStack(nil, nil, nil)) }, "Cache.Vpc: set by the tier"},
		{"relative install path", func(p *nextcloud.Props) { p.InstallPath = "var/www/nextcloud" }, `InstallPath: "var/www/nextcloud" is not a clean absolute directory path`},
		{"install path with %", func(p *nextcloud.Props) { p.InstallPath = "/var/www/100%" }, `InstallPath: "/var/www/100%" is not a clean absolute directory path`},
		{"install path root", func(p *nextcloud.Props) { p.InstallPath = "/" }, `InstallPath: "/" is not a clean`},
		{"unknown primary storage", func(p *nextcloud.Props) { p.PrimaryStorage = "nfs" }, `PrimaryStorage: "nfs" is not supported; allowed: s3, local, efs`},
		{"local storage in an Auto Scaling group", func(p *nextcloud.Props) { p.PrimaryStorage = "local" }, `PrimaryStorage: "local" keeps files in each server's data directory, and more than one serves (an Auto Scaling group`},
		{"local storage on two fixed servers", func(p *nextcloud.Props) {
			p.PrimaryStorage = "local"
			p.Fleet = fleet.Props{Mode: fleet.Fixed, Instances: 2}
		}, `PrimaryStorage: "local" keeps files in each server's data directory, and more than one serves (Fleet Mode fixed with 2 instances)`},
		{"shared data directory with s3", func(p *nextcloud.Props) { p.DataDirectoryShared = true }, "DataDirectoryShared: set, but PrimaryStorage is s3"},
		{"shared data directory with efs", func(p *nextcloud.Props) { p.PrimaryStorage, p.DataDirectoryShared = "efs", true },
			"DataDirectoryShared: set, but PrimaryStorage is efs; allowed: only with PrimaryStorage local (efs is shared storage already)"},
		{"data directory with s3", func(p *nextcloud.Props) { p.DataDirectory = "/srv/data" }, "DataDirectory: set, but PrimaryStorage is s3; allowed: only with PrimaryStorage efs"},
		{"data directory with local", func(p *nextcloud.Props) {
			p.PrimaryStorage, p.DataDirectory = "local", "/srv/data"
			p.Fleet = fleet.Props{Mode: fleet.Fixed, Instances: 1}
		}, "DataDirectory: set, but PrimaryStorage is local"},
		{"relative data directory", func(p *nextcloud.Props) { p.PrimaryStorage, p.DataDirectory = "efs", "data" }, `DataDirectory: "data" is not a clean absolute directory path`},
		{"data directory is the install path", func(p *nextcloud.Props) { p.PrimaryStorage, p.DataDirectory = "efs", "/var/www/nextcloud" },
			`DataDirectory: "/var/www/nextcloud" would hide Nextcloud's code (InstallPath /var/www/nextcloud) under the file system`},
		{"data directory above the install path", func(p *nextcloud.Props) { p.PrimaryStorage, p.DataDirectory = "efs", "/var/www" },
			`DataDirectory: "/var/www" would hide Nextcloud's code`},
		{"unknown background jobs", func(p *nextcloud.Props) { p.BackgroundJobs = "ajax" }, `BackgroundJobs: "ajax" is not supported; allowed: single-node, off, every-node`},
		{"every-node in an Auto Scaling group", func(p *nextcloud.Props) { p.BackgroundJobs = "every-node" },
			`BackgroundJobs: "every-node" runs Nextcloud's background jobs on each of several servers (an Auto Scaling group always can scale to more than one); allowed: single-node, off`},
		{"every-node on the default fixed fleet", func(p *nextcloud.Props) {
			p.BackgroundJobs = "every-node"
			p.Fleet = fleet.Props{Mode: fleet.Fixed}
		}, `BackgroundJobs: "every-node" runs Nextcloud's background jobs on each of several servers (Fleet Mode fixed with 2 instances); allowed: single-node, off`},
		{"the tier's own cron file", func(p *nextcloud.Props) { p.CronFiles = []string{"/etc/cron.d/tierkit-nextcloud"} },
			`CronFiles[0]: "/etc/cron.d/tierkit-nextcloud" is the tier's own entry for Nextcloud's background jobs`},
		{"a key the tier writes", func(p *nextcloud.Props) { p.Config = map[string]any{"dbhost": "x"} },
			`Config[dbhost]: dbhost is written by the tier or kept from config.php; allowed: any key but trusted_proxies`},
		{"installed from a secret", func(p *nextcloud.Props) { p.ConfigSecrets = map[string]string{"installed": "ssm:/x"} },
			`ConfigSecrets[installed]: installed is written by the tier or kept from config.php`},
		{"a key with a quote", func(p *nextcloud.Props) { p.Config = map[string]any{"it's": "x"} }, `Config[it's]: "it's" is not a config.php key`},
		{"a value PHP cannot hold", func(p *nextcloud.Props) { p.Config = map[string]any{"x": []any{1, struct{}{}}} },
			`Config[x]: a struct {} is not a value config.php can hold; allowed: a string, number, boolean, null, list or object`},
		{"not a number", func(p *nextcloud.Props) { p.Config = map[string]any{"x": math.Inf(1)} }, `Config[x]: +Inf is not a number PHP can read`},
		{"both in the template and from a secret", func(p *nextcloud.Props) {
			p.Config = map[string]any{"mail_smtppassword": "x"}
			p.ConfigSecrets = map[string]string{"mail_smtppassword": "ssm:/x"}
		}, `ConfigSecrets[mail_smtppassword]: mail_smtppassword is also set in Config`},
		{"not a reference", func(p *nextcloud.Props) { p.ConfigSecrets = map[string]string{"mail_smtppassword": "hunter2"} },
			`ConfigSecrets[mail_smtppassword]: "hunter2" is not a reference; allowed: secretsmanager:ARN`},
		{"keys without references", func(p *nextcloud.Props) { p.DecryptKeys = []string{decryptKeyARN} },
			"DecryptKeys: set, but no setting is read from Secrets Manager or SSM"},
	}
	if err := valid.Validate(); err != nil {
		t.Fatalf("the valid props: %v", err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := *valid
			c.patch(&p)
			var problems *check.Error
			if err := p.Validate(); !errors.As(err, &problems) || len(problems.Problems) != 1 || !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("got %v, want one problem, starting with %q", err, c.want)
			}
		})
	}
}

func TestOneServerAllowsLocalStorageAndEveryNode(t *testing.T) {
	p := *defaultProps(awscdk.NewStack(nil, nil, nil))
	p.Fleet = fleet.Props{Mode: fleet.Fixed, Instances: 1}
	p.PrimaryStorage, p.BackgroundJobs = "local", "every-node"
	if err := p.Validate(); err != nil {
		t.Errorf("a fleet of one: %v", err)
	}
}

// TestValidateReportsEveryProblem: the web tier's and Nextcloud's at once.
func TestValidateReportsEveryProblem(t *testing.T) {
	err := nextcloud.Props{InstallPath: "x", PrimaryStorage: "local", BackgroundJobs: "every-node"}.Validate()
	var problems *check.Error
	if !errors.As(err, &problems) {
		t.Fatalf("got %v, want a *check.Error", err)
	}
	var fields []string
	for _, p := range problems.Problems {
		fields = append(fields, p.Field)
	}
	slices.Sort(fields)
	if want := []string{"BackgroundJobs", "DomainName", "Image", "InstallPath", "PrimaryStorage", "Zone"}; !slices.Equal(fields, want) {
		t.Errorf("problems with %q, want %q: %v", fields, want, err)
	}
}

// TestValuesAreQuotedForPHP runs the boot's phpq on values with quotes and
// backslashes and reads the result back with PHP, where PHP is installed.
func TestValuesAreQuotedForPHP(t *testing.T) {
	if !requirePHP(t) {
		t.Skip("php is not on PATH (Debian package php-cli)")
	}
	ud := cdktest.BootScript(t, template(t))
	start := strings.Index(ud, "phpq() {\n")
	end := strings.Index(ud[start:], "\n}\n")
	if start < 0 || end < 0 {
		t.Fatal("no phpq in the user data")
	}
	for _, v := range []string{`it's`, `a\b`, `\'`, `end\`, `'; echo 1; '`, `\OC\Memcache\Redis`} {
		out, err := exec.Command("bash", "-c", ud[start:start+end+3]+`phpq "$1"`, "bash", v).Output()
		if err != nil {
			t.Fatalf("phpq %q: %v", v, err)
		}
		got, err := exec.Command("php", "-r", "echo "+string(out)+";").Output()
		if err != nil || string(got) != v {
			t.Errorf("phpq %q = %s, which PHP reads as %q (%v)", v, out, got, err)
		}
	}
}

// requirePHP reports whether php is on PATH; in CI (CI non-empty), where
// .ci/run installs it, a missing php fails the test instead of skipping.
func requirePHP(t *testing.T) bool {
	t.Helper()
	if _, err := exec.LookPath("php"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("php is not on PATH in CI: .ci/run installs php-cli")
		}
		return false
	}
	return true
}

func TestCacheNodesHaveAlarms(t *testing.T) {
	alarms := cdktest.JSON(template(t).Resources("AWS::CloudWatch::Alarm"))
	group := cdktest.LogicalID(t, template(t), "AWS::ElastiCache::ReplicationGroup", "TierCache")
	for _, node := range []string{"-001", "-002"} {
		if !strings.Contains(alarms, `{"Fn::Join":["",[{"Ref":"`+group+`"},"`+node+`"]]}`) {
			t.Errorf("no alarm watches cache node %s%s", group, node)
		}
	}
	for _, metric := range []string{`"MetricName":"EngineCPUUtilization"`, `"MetricName":"DatabaseMemoryUsagePercentage"`} {
		if !strings.Contains(alarms, metric) {
			t.Errorf("no cache alarm on %s", metric)
		}
	}
}

// TestFirewallLetsWebDAVAndUploadsThrough: sync clients send PROPFIND and
// uploads exceed 8 KB; both rules only count, and the rate limit suits them.
func TestFirewallLetsWebDAVAndUploadsThrough(t *testing.T) {
	acl := cdktest.JSON(template(t).Resources("AWS::WAFv2::WebACL"))
	for _, rule := range []string{"PROPFIND_METHOD", "SizeRestrictions_BODY"} {
		if !strings.Contains(acl, `{"ActionToUse":{"Count":{}},"Name":"`+rule+`"}`) {
			t.Errorf("the web ACL does not only count %s:\n%s", rule, acl)
		}
	}
	if !strings.Contains(acl, `"Limit":20000`) {
		t.Errorf("the rate limit is not 20000 per 5 minutes:\n%s", acl)
	}
}

func TestDashboardLinksTheNextcloudLogAndTheCacheSlowLog(t *testing.T) {
	body := cdktest.JSON(template(t).Resources("AWS::CloudWatch::Dashboard"))
	for _, prefix := range []string{"TierLogsNextcloud", "TierCacheSlowLog"} {
		if id := cdktest.LogicalID(t, template(t), "AWS::Logs::LogGroup", prefix); !strings.Contains(body, `{"Ref":"`+id+`"}`) {
			t.Errorf("the dashboard does not link %s", id)
		}
	}
}

// TestTheTiersKeyEncryptsTheCacheTheSeedAndTheFileSystem: with the tier's
// own key, what the profile adds (the cache, its token, the seed and, with
// efs, the data directory's file system) uses it too, and the servers still
// read both secrets.
func TestTheTiersKeyEncryptsTheCacheTheSeedAndTheFileSystem(t *testing.T) {
	stack := cdktest.NewStack(cdktest.NewApp(t), "Keyed")
	p := defaultProps(stack)
	p.CustomerManagedKey, p.PrimaryStorage = true, "efs"
	nextcloud.NewTier(stack, "Tier", p)
	tpl := &cdktest.Template{Template: assertions.Template_FromStack(stack, nil)}
	key := map[string]any{"Fn::GetAtt": []any{cdktest.LogicalID(t, tpl, "AWS::KMS::Key", "TierKey"), "Arn"}}
	tpl.HasResourceProperties(t, "AWS::ElastiCache::ReplicationGroup", map[string]any{"KmsKeyId": key})
	tpl.HasResourceProperties(t, "AWS::EFS::FileSystem", map[string]any{"Encrypted": true, "KmsKeyId": key})
	for _, prefix := range []string{"TierSeed", "TierCacheSecret"} {
		id := cdktest.LogicalID(t, tpl, "AWS::SecretsManager::Secret", prefix)
		if got := cdktest.JSON(cdktest.Props(tpl.Resources("AWS::SecretsManager::Secret")[id])["KmsKeyId"]); got != cdktest.JSON(key) {
			t.Errorf("%s: KmsKeyId %s, want the tier's key", id, got)
		}
	}
	if s := cdktest.JSON(tpl.Resources("AWS::IAM::Policy")); !strings.Contains(s, `"kms:Decrypt"`) {
		t.Errorf("the servers cannot decrypt the secrets with the tier's key")
	}
}
