package nextcloud_test

import (
	"fmt"
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
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/constructs/cache"
	"github.com/tierkit/tierkit/constructs/database"
	"github.com/tierkit/tierkit/constructs/edge"
	"github.com/tierkit/tierkit/constructs/fleet"
	"github.com/tierkit/tierkit/constructs/network"
	"github.com/tierkit/tierkit/constructs/nextcloud"
	"github.com/tierkit/tierkit/constructs/webtier"
	"github.com/tierkit/tierkit/internal/cdktest"
	"github.com/tierkit/tierkit/internal/fakeaws"
)

// defaultProps is article 004's Nextcloud: defaults (an Auto Scaling
// group, MySQL, apache2, S3 primary storage, background jobs on one
// server), the golden server's IP in the vhost and /etc/hosts.
func defaultProps(stack awscdk.Stack) *nextcloud.Props {
	return &nextcloud.Props{
		DomainName: "cloud.example.com",
		Zone:       cdktest.Zone(stack),
		Image:      cdktest.Image(),
		Boot:       boot.Props{GoldenIP: goldenIP, IPFiles: []string{"/etc/hosts", vhost}},
	}
}

// variantProps takes every other branch: two fixed servers, nginx with
// PHP-FPM, PostgreSQL, a shared local data directory, no background jobs,
// an existing VPC whose CIDR is a token, the caller's idle timeout, another
// install path and web user.
func variantProps(stack awscdk.Stack) *nextcloud.Props {
	return &nextcloud.Props{
		DomainName:          "cloud.example.com",
		Zone:                cdktest.Zone(stack),
		Image:               cdktest.Image(),
		Network:             network.Props{Vpc: cdktest.ImportedVpc(stack)},
		Fleet:               fleet.Props{Mode: fleet.Fixed, Instances: 2},
		Edge:                edge.Props{IdleTimeout: 120 * time.Second},
		Database:            database.Props{Engine: database.Postgres, DatabaseName: "nextcloud"},
		Cache:               cache.Props{Engine: cache.Redis},
		InstallPath:         "/srv/nextcloud",
		WebServer:           "nginx",
		PHPFPMUnit:          "php8.3-fpm",
		WebUser:             "nginx",
		PrimaryStorage:      "local",
		DataDirectoryShared: true,
		BackgroundJobs:      "off",
		CronFiles:           []string{"/etc/cron.d/nextcloud-cron-php", "/var/spool/cron/crontabs/nginx"},
	}
}

// Both variants live in one app: one synthesis, one validation and nag run.
var (
	variantStack awscdk.Stack
	template     = cdktest.Shared(func(tb testing.TB) awscdk.Stack {
		app := cdktest.Validated(cdktest.Nagged(cdktest.NewApp(tb, cdktest.Strict())))
		stack := cdktest.NewStack(app, "Test")
		nextcloud.NewTier(stack, "Tier", defaultProps(stack))
		variantStack = cdktest.NewStack(app, "Variant")
		nextcloud.NewTier(variantStack, "Tier", variantProps(variantStack))
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

// TestLogicalIDsArePinned pins the stateful resources: those of the web
// tier (its id "Default" leaves the IDs of a webtier.New(stack, "Tier")
// unchanged), the cache and its token, the seed secret and the log group.
func TestLogicalIDsArePinned(t *testing.T) {
	want := map[string]string{
		"TierDatabaseInstanceAC06CB03":                                   "Snapshot",
		"TestTierDatabaseSecret123FAFE13fdaad7efa858a3daf9490cf0a702aeb": "Retain",
		"TierUploadsBucket903CB65E":                                      "Retain",
		"TierAccessLogs1908E510":                                         "Retain",
		"TierLogsBoot60317C66":                                           "Retain",
		"TierLogsNextcloud051A5754":                                      "Retain",
		"TierCacheReplicationGroup07AC09E1":                              "Snapshot",
		"TierCacheSecretFD0E0996":                                        "Retain",
		"TierCacheSlowLog5EFA4A92":                                       "Retain",
		"TierSeedCFF28B41":                                               "Retain",
	}
	checkPolicies(t, template(t), want)
}

// TestEveryWebTierResourceKeepsItsLogicalID synthesizes a bare web tier with
// the props the Nextcloud tier hands it: each of its resources must have the
// same logical ID in the tier's template, so that an app can move a deployed
// webtier.New(stack, "Tier", ...) to nextcloud.NewTier(stack, "Tier", ...).
func TestEveryWebTierResourceKeepsItsLogicalID(t *testing.T) {
	app := cdktest.NewApp(t)
	stack := cdktest.NewStack(app, "Test")
	p := defaultProps(stack)
	webtier.New(stack, "Tier", &webtier.Props{
		DomainName: p.DomainName, Zone: p.Zone, Image: p.Image, HealthCheckPath: "/status.php",
		Boot:  boot.Props{GoldenIP: p.Boot.GoldenIP, IPFiles: p.Boot.IPFiles, WebServer: "apache2"},
		Fleet: fleet.Props{Singleton: true},
		Edge:  edge.Props{IdleTimeout: 300 * time.Second},
	})
	bare := (*assertions.Template_FromStack(stack, nil).ToJSON())["Resources"].(map[string]any)
	tier := (*template(t).ToJSON())["Resources"].(map[string]any)
	for id, r := range bare {
		if other, ok := tier[id].(map[string]any); !ok {
			t.Errorf("%s (%s) of a bare web tier is not in the Nextcloud tier's template", id, r.(map[string]any)["Type"])
		} else if other["Type"] != r.(map[string]any)["Type"] {
			t.Errorf("%s is a %s in the Nextcloud tier, a %s in a bare web tier", id, other["Type"], r.(map[string]any)["Type"])
		}
	}
	if len(bare) < 50 {
		t.Errorf("only %d resources in the bare web tier", len(bare))
	}
}

// checkPolicies checks the deletion policies of each resource.
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
		cacheSG := cdktest.LogicalID(t, tpl, "AWS::EC2::SecurityGroup", "TierCacheSecurityGroup")
		fleetSG := cdktest.LogicalID(t, tpl, "AWS::EC2::SecurityGroup", "TierFleetSecurityGroup")
		if ingress := cdktest.Props(tpl.Resources("AWS::EC2::SecurityGroup")[cacheSG])["SecurityGroupIngress"]; ingress != nil {
			t.Errorf("%s: the cache's group has inline ingress %s", name, cdktest.JSON(ingress))
		}
		var rules []string
		for id, r := range tpl.Resources("AWS::EC2::SecurityGroupIngress") {
			p := cdktest.Props(r)
			if cdktest.JSON(p["GroupId"]) != cdktest.JSON(map[string]any{"Fn::GetAtt": []any{cacheSG, "GroupId"}}) {
				continue
			}
			rules = append(rules, id)
			if cdktest.JSON(p["SourceSecurityGroupId"]) != cdktest.JSON(map[string]any{"Fn::GetAtt": []any{fleetSG, "GroupId"}}) ||
				p["FromPort"] != float64(6380) || p["ToPort"] != float64(6380) || p["CidrIp"] != nil {
				t.Errorf("%s: %s opens the cache to %s", name, id, cdktest.JSON(p))
			}
		}
		if len(rules) != 1 {
			t.Errorf("%s: cache ingress rules %v, want exactly one, from the fleet", name, rules)
		}
	}
	template(t).HasResourceProperties(t, "AWS::ElastiCache::ReplicationGroup", map[string]any{
		"MultiAZEnabled": true, "AutomaticFailoverEnabled": true, "TransitEncryptionEnabled": true, "AtRestEncryptionEnabled": true, "Port": 6380,
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

// granted reports whether a statement allows action on resource (a JSON
// fragment of the resource expression).
func granted(statements []map[string]any, action, resource string) bool {
	for _, s := range statements {
		if s["Effect"] == "Allow" && slices.Contains(cdktest.AsList(s["Action"]), any(action)) && strings.Contains(cdktest.JSON(s["Resource"]), resource) {
			return true
		}
	}
	return false
}

func TestFleetReadsTheDatabaseCacheAndSeedSecrets(t *testing.T) {
	tpl := template(t)
	statements := roleStatements(t, tpl)
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
	statements := roleStatements(t, tpl)
	for _, a := range []string{"s3:PutObject", "s3:DeleteObject*", "s3:GetObject*", "s3:Abort*"} {
		if !granted(statements, a, `{"Fn::GetAtt":["`+bucket+`","Arn"]},"/*"`) {
			t.Errorf("the fleet's role lacks %s on the bucket's objects", a)
		}
	}
	if !granted(statements, "s3:List*", `{"Fn::GetAtt":["`+bucket+`","Arn"]}`) {
		t.Errorf("the fleet's role cannot list the bucket")
	}
}

func TestNextcloudLogIsShipped(t *testing.T) {
	for name, tpl := range map[string]*cdktest.Template{"default": template(t), "variant": variant(t)} {
		group := cdktest.LogicalID(t, tpl, "AWS::Logs::LogGroup", "TierLogsNextcloud")
		if ud := cdktest.UserDataJSON(t, tpl); !strings.Contains(ud, nextcloud.LogFile) || !strings.Contains(ud, `{"Ref":"`+group+`"}`) {
			t.Errorf("%s: the agent configuration does not ship %s to %s", name, nextcloud.LogFile, group)
		}
	}
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

// singletons returns the groups and instances tagged as the singleton.
func singletons(tpl *cdktest.Template) (groups, instances []string) {
	for id, g := range tpl.Resources("AWS::AutoScaling::AutoScalingGroup") {
		if tagged(cdktest.Props(g)["Tags"], fleet.SingletonTag) {
			groups = append(groups, id)
		}
	}
	for id, i := range tpl.Resources("AWS::EC2::Instance") {
		if tagged(cdktest.Props(i)["Tags"], fleet.SingletonTag) {
			instances = append(instances, id)
		}
	}
	return groups, instances
}

func TestOneBackgroundJobsServerInAnAutoScalingFleet(t *testing.T) {
	tpl := template(t)
	groups, _ := singletons(tpl)
	if len(groups) != 1 {
		t.Fatalf("singleton groups %v, want one", groups)
	}
	p := cdktest.Props(tpl.Resources("AWS::AutoScaling::AutoScalingGroup")[groups[0]])
	if p["MinSize"] != "1" || p["MaxSize"] != "1" {
		t.Errorf("%s: MinSize %v, MaxSize %v; want exactly one server", groups[0], p["MinSize"], p["MaxSize"])
	}
	tpl.ResourceCountIs(t, "AWS::AutoScaling::AutoScalingGroup", 2)
}

func TestNoBackgroundJobsServerWhenOff(t *testing.T) {
	groups, instances := singletons(variant(t))
	if len(groups)+len(instances) != 0 || len(variant(t).Resources("AWS::EC2::Instance")) != 2 {
		t.Errorf("BackgroundJobs off: singletons %v %v, want none of the two servers", groups, instances)
	}
}

func TestNoSecretValueInTheTemplateOrUserData(t *testing.T) {
	for name, tpl := range map[string]*cdktest.Template{"default": template(t), "variant": variant(t)} {
		ud := cdktest.UserDataJSON(t, tpl)
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

func TestTierWorksAsAScopeAndCanBeTaggedAndDependedOn(t *testing.T) {
	app := cdktest.NewApp(t)
	stack := cdktest.NewStack(app, "Test")
	tier := nextcloud.NewTier(stack, "Tier", defaultProps(stack))
	awscdk.Tags_Of(tier).Add(jsii.String("team"), jsii.String("files"), nil)
	child := awscdk.NewCfnWaitConditionHandle(tier, jsii.String("Child"), nil)
	child.Node().AddDependency(tier.Fleet())
	tpl := &cdktest.Template{Template: assertions.Template_FromStack(stack, nil)}
	tpl.HasResourceProperties(t, "AWS::ElastiCache::ReplicationGroup", map[string]any{
		"Tags": assertions.Match_ArrayWith(&[]any{map[string]any{"Key": "team", "Value": "files"}}),
	})
	tpl.HasResource(t, "AWS::CloudFormation::WaitConditionHandle", map[string]any{"DependsOn": assertions.Match_ArrayWith(&[]any{"TierFleetRole87C45DF5"})})
	if got := tier.BootSteps(); !slices.Equal(got, []string{"cron-off", "rds-ca", "nextcloud-config", "background-jobs"}) {
		t.Errorf("BootSteps() = %q", got)
	}
	if tier.LoadBalancer() == nil || tier.Database() == nil || tier.Bucket() == nil || tier.Logs() == nil || tier.LogGroup() == nil ||
		tier.Tier() == nil || tier.Cache() == nil || tier.SeedSecret() == nil || tier.Fleet() == nil {
		t.Errorf("an accessor returned nil")
	}
	if keys := tier.ConfigKeys(); !slices.Contains(keys, "objectstore") || !slices.Contains(keys, "dbdriveroptions") || !slices.Contains(keys, "trusted_proxies") {
		t.Errorf("ConfigKeys() = %q", keys)
	}
}

// The boot script, run as deployed (references resolved) on a fake server.

// bootDefault runs the default template's boot script on a copy of the
// golden server with config as its config.php.
func bootDefault(t *testing.T, singleton bool, config string) (*fakeaws.Machine, fakeaws.Result) {
	t.Helper()
	m := newMachine(t, singleton, "/var/www/nextcloud", config)
	r := m.Run(t, cdktest.UserData(t, template(t)))
	if r.Err != nil {
		t.Fatalf("boot failed: %v\n%s", r.Err, r.Console)
	}
	return m, r
}

const configPath = "var/www/nextcloud/config/tierkit.config.php"

func TestBootWritesTheConfigFile(t *testing.T) {
	m, _ := bootDefault(t, true, freshConfig)
	tpl := template(t)
	db := cdktest.LogicalID(t, tpl, "AWS::RDS::DBInstance", "TierDatabaseInstance")
	group := cdktest.LogicalID(t, tpl, "AWS::ElastiCache::ReplicationGroup", "TierCacheReplicationGroup")
	bucket := cdktest.LogicalID(t, tpl, "AWS::S3::Bucket", "TierUploadsBucket")
	want := `<?php
// Written at boot by tierkit from the CDK app, on every server; edit the app, not this file.
$CONFIG = [
  'trusted_proxies' => ['10.0.0.0/16'],
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
	if got := m.Read(t, configPath); got != want {
		t.Errorf("tierkit.config.php:\n%s\nwant:\n%s", got, want)
	}
	fi, err := os.Stat(filepath.Join(m.Root, configPath))
	if err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("tierkit.config.php mode %v (%v), want 0640", fi.Mode().Perm(), err)
	}
	if got := m.Read(t, "var/www/nextcloud/config/config.php"); got != freshConfig {
		t.Errorf("config.php was changed:\n%s", got)
	}
	if got := m.Read(t, "etc/ssl/certs/rds-global-bundle.pem"); got != fakeaws.CABundle {
		t.Errorf("RDS CA bundle %q, want the truststore's", got)
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

func TestGoldenIPIsReplacedByTheServersOwn(t *testing.T) {
	m, _ := bootDefault(t, false, installedConfig)
	if got := m.Read(t, "etc/hosts"); got != "127.0.0.1 localhost\n10.0.2.33 cloud.example.com cloud\n" {
		t.Errorf("/etc/hosts: %q", got)
	}
	if got := m.Read(t, vhost); !strings.HasPrefix(got, "<VirtualHost 10.0.2.33:80>") {
		t.Errorf("vhost: %q", got)
	}
}

func TestLogFileIsOwnedByTheWebUser(t *testing.T) {
	m, r := bootDefault(t, false, installedConfig)
	if !m.Exists("var/log/nextcloud/nextcloud.log") || !slices.Contains(r.Calls, "chown www-data: /var/log/nextcloud /var/log/nextcloud/nextcloud.log") {
		t.Errorf("the log file is missing or not given to www-data: %q", r.Calls)
	}
}

func TestBackgroundJobsRunOnTheSingletonOnly(t *testing.T) {
	m, r := bootDefault(t, true, installedConfig)
	want := `# Written at boot by tierkit: Nextcloud's background jobs run on this server only.
SHELL=/bin/sh
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
*/5 * * * * www-data [ -e /var/lib/tierkit/boot-ok ] && php --define apc.enable_cli=1 -f /var/www/nextcloud/cron.php >> /dev/null 2>&1
`
	if got := m.Read(t, "etc/cron.d/tierkit-nextcloud"); got != want {
		t.Errorf("singleton's cron entry:\n%s\nwant:\n%s", got, want)
	}
	if m.Exists("etc/cron.d/nextcloud") || !m.Exists("etc/cron.d/.nextcloud.disabled-by-tierkit") {
		t.Errorf("the AMI's /etc/cron.d/nextcloud is not disabled on the singleton")
	}
	for _, c := range []string{"systemctl enable cron", "systemctl reload-or-restart cron"} {
		if !slices.Contains(r.Calls, c) {
			t.Errorf("calls %q lack %q", r.Calls, c)
		}
	}

	// A server made from an AMI of the singleton carries its entry: gone too.
	other := newMachine(t, false, "/var/www/nextcloud", installedConfig)
	cdktest.WriteFile(t, filepath.Join(other.Root, "etc/cron.d/tierkit-nextcloud"), want, 0o644)
	r = other.Run(t, cdktest.UserData(t, template(t)))
	if r.Err != nil {
		t.Fatalf("boot failed: %v\n%s", r.Err, r.Console)
	}
	if other.Exists("etc/cron.d/tierkit-nextcloud") || other.Exists("etc/cron.d/nextcloud") || !other.Exists("etc/cron.d/.nextcloud.disabled-by-tierkit") {
		t.Errorf("a server that is not the singleton still has a background jobs entry")
	}
	if !strings.Contains(r.Log, "not the singleton") {
		t.Errorf("the log does not say why background jobs are off:\n%s", r.Log)
	}
	if !strings.HasPrefix(r.Calls[0], "systemctl stop apache2") || r.Calls[len(r.Calls)-1] != "systemctl restart apache2" {
		t.Errorf("calls %q: want apache2 stopped first and started last", r.Calls)
	}
}

func TestVariantBoot(t *testing.T) {
	m := newMachine(t, true, "/srv/nextcloud", freshConfig)
	cdktest.WriteFile(t, filepath.Join(m.Root, "etc/cron.d/nextcloud-cron-php"), "*/5 * * * * nginx php -f /srv/nextcloud/cron.php\n", 0o644)
	cdktest.WriteFile(t, filepath.Join(m.Root, "var/spool/cron/crontabs/nginx"), "*/5 * * * * php -f /srv/nextcloud/cron.php\n", 0o600)
	tpl := variant(t)
	r := m.Run(t, cdktest.UserData(t, tpl))
	if r.Err != nil {
		t.Fatalf("boot failed: %v\n%s", r.Err, r.Console)
	}
	got := m.Read(t, "srv/nextcloud/config/tierkit.config.php")
	db := cdktest.LogicalID(t, tpl, "AWS::RDS::DBInstance", "TierDatabaseInstance")
	for _, line := range []string{
		"'trusted_proxies' => ['import-SharedVpcCidr'],", "'dbtype' => 'pgsql',", "'dbhost' => '" + cdktest.GetAttValue(db, "Endpoint.Address") + ":5433',",
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
	checkPHPSyntax(t, filepath.Join(m.Root, "srv/nextcloud/config/tierkit.config.php"))
	if r.Calls[0] != "systemctl stop nginx" || r.Calls[len(r.Calls)-1] != "systemctl restart nginx" || !slices.Contains(r.Calls, "systemctl restart php8.3-fpm") {
		t.Errorf("calls %q: want nginx stopped first and started last, PHP-FPM restarted", r.Calls)
	}
	if !slices.Contains(r.Calls, "chown nginx: /var/log/nextcloud /var/log/nextcloud/nextcloud.log") {
		t.Errorf("calls %q: the log is not given to nginx", r.Calls)
	}
	// Off: not even the server tagged as the singleton runs cron.php.
	if m.Exists("etc/cron.d/tierkit-nextcloud") || !strings.Contains(r.Log, "background jobs off") {
		t.Errorf("BackgroundJobs off: a cron entry was written:\n%s", r.Log)
	}
	for _, f := range []string{"etc/cron.d/.nextcloud-cron-php.disabled-by-tierkit", "var/spool/cron/crontabs/.nginx.disabled-by-tierkit"} {
		if !m.Exists(f) {
			t.Errorf("%s missing: the AMI's cron entries are not disabled", f)
		}
	}
	if !m.Exists("etc/cron.d/nextcloud") {
		t.Errorf("/etc/cron.d/nextcloud, not in CronFiles, was touched")
	}
}

func TestBootFailsWhenASecretCannotBeRead(t *testing.T) {
	m := newMachine(t, false, "/var/www/nextcloud", installedConfig)
	delete(m.AWS.Secrets, "Cache")
	r := m.Run(t, cdktest.UserData(t, template(t)))
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
	r := m.Run(t, cdktest.UserData(t, template(t)))
	if r.Err == nil || !strings.Contains(r.Log, "nextcloud-config: no /var/www/nextcloud/config/config.php") {
		t.Errorf("want the boot to fail in nextcloud-config (err %v):\n%s", r.Err, r.Log)
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
// characters, more than any real one (secret ARNs, endpoints, bucket and
// log group names), and keeps 1 KB for longer golden-IP file lists.
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
	cases := []struct {
		name  string
		patch func(p *nextcloud.Props)
		want  string
	}{
		{"no domain", func(p *nextcloud.Props) { p.DomainName = "" }, "DomainName: required"},
		{"no image", func(p *nextcloud.Props) { p.Image = nil }, "Image: required"},
		{"web server set in Boot", func(p *nextcloud.Props) { p.Boot.WebServer = "nginx" }, "Boot.WebServer: set by the tier from WebServer"},
		{"cache vpc", func(p *nextcloud.Props) { p.Cache.Vpc = cdktest.ImportedVpc(awscdk.NewStack(nil, nil, nil)) }, "Cache.Vpc: set by the tier"},
		{"wired fleet field", func(p *nextcloud.Props) { p.Fleet.Image = valid.Image }, "Fleet.Image: set by the tier"},
		{"relative install path", func(p *nextcloud.Props) { p.InstallPath = "var/www/nextcloud" }, `InstallPath: "var/www/nextcloud" is not a clean absolute directory path`},
		{"install path with %", func(p *nextcloud.Props) { p.InstallPath = "/var/www/100%" }, `InstallPath: "/var/www/100%" is not a clean absolute directory path`},
		{"install path root", func(p *nextcloud.Props) { p.InstallPath = "/" }, `InstallPath: "/" is not a clean`},
		{"unknown web server", func(p *nextcloud.Props) { p.WebServer = "caddy" }, `WebServer: "caddy" is not supported; allowed: apache2, httpd, nginx`},
		{"php-fpm unit", func(p *nextcloud.Props) { p.PHPFPMUnit = "php fpm" }, `PHPFPMUnit: "php fpm" is not a systemd unit name`},
		{"php-fpm is the web server", func(p *nextcloud.Props) { p.PHPFPMUnit = "apache2" }, `PHPFPMUnit: "apache2" is the web server`},
		{"web user", func(p *nextcloud.Props) { p.WebUser = "Www Data" }, `WebUser: "Www Data" is not a user name`},
		{"unknown primary storage", func(p *nextcloud.Props) { p.PrimaryStorage = "efs" }, `PrimaryStorage: "efs" is not supported; allowed: s3, local`},
		{"local storage in an Auto Scaling group", func(p *nextcloud.Props) { p.PrimaryStorage = "local" }, `PrimaryStorage: "local" keeps files in each server's data directory, and more than one serves (an Auto Scaling group`},
		{"local storage on two fixed servers", func(p *nextcloud.Props) {
			p.PrimaryStorage = "local"
			p.Fleet = fleet.Props{Mode: fleet.Fixed, Instances: 2}
		}, `PrimaryStorage: "local" keeps files in each server's data directory, and more than one serves (Fleet Mode fixed with 2 instances)`},
		{"shared data directory with s3", func(p *nextcloud.Props) { p.DataDirectoryShared = true }, "DataDirectoryShared: set, but PrimaryStorage is s3"},
		{"unknown background jobs", func(p *nextcloud.Props) { p.BackgroundJobs = "ajax" }, `BackgroundJobs: "ajax" is not supported; allowed: single-node, off, every-node`},
		{"every-node in an Auto Scaling group", func(p *nextcloud.Props) { p.BackgroundJobs = "every-node" }, `BackgroundJobs: "every-node" runs cron.php on each of several servers (an Auto Scaling group`},
		{"every-node on the default fixed fleet", func(p *nextcloud.Props) {
			p.BackgroundJobs = "every-node"
			p.Fleet = fleet.Props{Mode: fleet.Fixed}
		}, `BackgroundJobs: "every-node" runs cron.php on each of several servers (Fleet Mode fixed with 2 instances)`},
		{"relative cron file", func(p *nextcloud.Props) { p.CronFiles = []string{"cron.d/nextcloud"} }, `CronFiles[0]: "cron.d/nextcloud" is not a clean absolute file path`},
		{"the tier's own cron file", func(p *nextcloud.Props) { p.CronFiles = []string{"/etc/cron.d/tierkit-nextcloud"} }, `CronFiles[0]: "/etc/cron.d/tierkit-nextcloud" is the tier's own background jobs entry`},
		{"cron file twice", func(p *nextcloud.Props) { p.CronFiles = []string{"/etc/cron.d/a", "/etc/cron.d/a"} }, `CronFiles[1]: "/etc/cron.d/a" is listed twice`},
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

func TestOneServerAllowsLocalStorageAndEveryNode(t *testing.T) {
	p := *defaultProps(awscdk.NewStack(nil, nil, nil))
	p.Fleet = fleet.Props{Mode: fleet.Fixed, Instances: 1}
	p.PrimaryStorage, p.BackgroundJobs = "local", "every-node"
	if err := p.Validate(); err != nil {
		t.Errorf("a fleet of one: %v", err)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	err := nextcloud.Props{InstallPath: "x", PrimaryStorage: "local", BackgroundJobs: "every-node", WebServer: "caddy"}.Validate()
	for _, field := range []string{"DomainName: ", "; Zone: ", "; Image: ", "; InstallPath: ", "; WebServer: ", "; PrimaryStorage: ", "; BackgroundJobs: "} {
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("got %v, want a problem with %s", err, strings.Trim(field, "; "))
		}
	}
}

func TestNewTierPanicsWithTheConstructID(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "nextcloud Files: DomainName: required") {
			t.Errorf("got %v, want a panic naming the tier and the field", r)
		}
	}()
	nextcloud.NewTier(awscdk.NewStack(nil, nil, nil), "Files", &nextcloud.Props{})
}

// TestBackgroundJobsOnFixedFleetsAndEveryNode synthesizes (without
// validation) the two other fleet shapes: a fixed fleet with single-node
// jobs tags Server1 only, and a fleet of one with every-node runs cron.php
// on its server, which is not tagged.
func TestBackgroundJobsOnFixedFleetsAndEveryNode(t *testing.T) {
	app := cdktest.NewApp(t)
	fixed := cdktest.NewStack(app, "Fixed")
	p := defaultProps(fixed)
	p.Fleet = fleet.Props{Mode: fleet.Fixed, Instances: 3}
	nextcloud.NewTier(fixed, "Tier", p)
	every := cdktest.NewStack(app, "Every")
	p = defaultProps(every)
	p.BackgroundJobs, p.Fleet = "every-node", fleet.Props{Mode: fleet.Fixed, Instances: 1}
	nextcloud.NewTier(every, "Tier", p)

	tpl := &cdktest.Template{Template: assertions.Template_FromStack(fixed, nil)}
	if _, instances := singletons(tpl); len(instances) != 1 || !strings.HasPrefix(instances[0], "TierFleetServer1") {
		t.Errorf("fixed fleet of 3: singletons %v, want Server1 only", instances)
	}

	tpl = &cdktest.Template{Template: assertions.Template_FromStack(every, nil)}
	if groups, instances := singletons(tpl); len(groups)+len(instances) != 0 {
		t.Errorf("every-node: singletons %v %v, want none", groups, instances)
	}
	m := newMachine(t, false, "/var/www/nextcloud", installedConfig)
	if r := m.Run(t, cdktest.UserData(t, tpl)); r.Err != nil || !m.Exists("etc/cron.d/tierkit-nextcloud") || m.Exists("etc/cron.d/nextcloud") {
		t.Errorf("every-node: want the tier's entry and the AMI's disabled (err %v):\n%s", r.Err, r.Log)
	}
}

// TestValuesAreQuotedForPHP runs the boot's phpq on values with quotes and
// backslashes and reads the result back with PHP, where PHP is installed.
func TestValuesAreQuotedForPHP(t *testing.T) {
	if !requirePHP(t) {
		t.Skip("php is not on PATH (Debian package php-cli)")
	}
	ud := cdktest.UserData(t, template(t))
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
