package config

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tierkit/tierkit/constructs/laravel"
	"github.com/tierkit/tierkit/constructs/nextcloud"
)

// valid is a complete environment; broken cases patch one part of it.
const valid = `{
  "account": "123456789012",
  "region": "eu-west-1",
  "availabilityZones": ["eu-west-1a", "eu-west-1b"],
  "domainName": "example.org",
  "hostedZone": {"id": "Z0123456789ABCDEFGHIJ", "name": "example.org"},
  "ami": {"eu-west-1": "ami-0123456789abcdef0"},
  "fleet": {"mode": "fixed", "instances": 2, "instanceType": "t3.small"},
  "database": {"engine": "postgres", "instanceType": "t3.medium", "allocatedStorageGiB": 50},
  "tiers": {"laravel": {}, "nextcloud": {"domainName": "files.example.org"}}
}`

// context returns a context reader over JSON values, as the app's context
// hands them over: decoded JSON (maps, lists, strings, float64 numbers).
func context(t *testing.T, values map[string]string) func(string) any {
	t.Helper()
	decoded := map[string]any{}
	for k, v := range values {
		var x any
		if err := json.Unmarshal([]byte(v), &x); err != nil {
			t.Fatalf("test context %s: %v", k, err)
		}
		decoded[k] = x
	}
	return func(key string) any { return decoded[key] }
}

// patch returns valid with its top-level keys replaced by those of overlay
// (a JSON object); a null value removes the key.
func patch(t *testing.T, overlay string) string {
	t.Helper()
	var env, over map[string]any
	if err := json.Unmarshal([]byte(valid), &env); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(overlay), &over); err != nil {
		t.Fatalf("overlay %s: %v", overlay, err)
	}
	for k, v := range over {
		if v == nil {
			delete(env, k)
		} else {
			env[k] = v
		}
	}
	b, _ := json.Marshal(env)
	return string(b)
}

func TestNoConfigurationSelectsTheEmbeddedExample(t *testing.T) {
	env, err := Select(context(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	if env.Name != "example" || env.DomainName != "example.com" || env.Tiers[TierLaravel].Props.DomainName != "api.example.com" {
		t.Errorf("got %s at %s, laravel at %s; want example at example.com, laravel at api.example.com",
			env.Name, env.DomainName, env.Tiers[TierLaravel].Props.DomainName)
	}
}

func TestValidEnvironmentIsDecodedWithDefaults(t *testing.T) {
	env, err := Select(context(t, map[string]string{EnvironmentsKey: `{"prod": ` + valid + `}`}))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"name", env.Name, "prod"},
		{"vpcCidr default", env.VPCCIDR, "10.0.0.0/16"},
		{"fleet mode", env.Fleet.Mode, FleetFixed},
		{"database engine", env.Database.Engine, EnginePostgres},
		{"laravel default domain", env.Tiers[TierLaravel].Props.DomainName, "api.example.org"},
		{"nextcloud given domain", env.Tiers[TierNextcloud].Props.DomainName, "files.example.org"},
		{"tier names", strings.Join(env.TierNames(), ","), "laravel,nextcloud"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
	if !*env.Firewall.Enabled {
		t.Error("the firewall is off by default; want on")
	}
	if *env.Fleet.Instances != 2 || *env.Database.AllocatedStorageGiB != 50 {
		t.Errorf("sizes: got %d instances, %d GiB; want 2, 50", *env.Fleet.Instances, *env.Database.AllocatedStorageGiB)
	}
}

func TestFrontendDefaultsToTheApexWithSPAFallback(t *testing.T) {
	env, err := Select(context(t, map[string]string{EnvironmentsKey: `{"prod": ` + patch(t, `{"frontend": {}}`) + `}`}))
	if err != nil {
		t.Fatal(err)
	}
	if f := env.Frontend; f == nil || f.DomainName != "example.org" || !*f.SPAFallback || f.Origin() != "https://example.org" {
		t.Errorf("got %+v; want example.org with the SPA fallback", f)
	}
}

func TestAutoScalingFleetDefaults(t *testing.T) {
	env, err := Select(context(t, map[string]string{EnvironmentsKey: `{"dev": ` + patch(t, `{"fleet": {}}`) + `}`}))
	if err != nil {
		t.Fatal(err)
	}
	f := env.Fleet
	if f.Mode != FleetAutoScaling || *f.MinCapacity != 2 || *f.MaxCapacity != 4 || f.InstanceType != "t3.small" || f.Instances != nil {
		t.Errorf("got %+v; want autoscaling, 2 to 4 t3.small", f)
	}
}

func TestEnvSelectsAmongSeveralEnvironments(t *testing.T) {
	envs := `{"dev": ` + valid + `, "prod": ` + valid + `}`
	env, err := Select(context(t, map[string]string{EnvironmentsKey: envs, EnvKey: `"prod"`}))
	if err != nil || env.Name != "prod" {
		t.Fatalf("got %q, %v; want prod", env.Name, err)
	}
}

func TestAllReturnsEveryEnvironmentWithoutNeedingEnv(t *testing.T) {
	envs := `{"prod": ` + valid + `, "dev": ` + valid + `}`
	all, err := All(context(t, map[string]string{EnvironmentsKey: envs}))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range all {
		names = append(names, e.Name)
	}
	if got := strings.Join(names, " "); got != "dev prod" {
		t.Errorf("environments: got %q, want %q", got, "dev prod")
	}
}

func TestAllRefusesABrokenEnvironment(t *testing.T) {
	envs := `{"prod": ` + valid + `, "dev": ` + patch(t, `{"region": null}`) + `}`
	_, err := All(context(t, map[string]string{EnvironmentsKey: envs}))
	if err == nil || !strings.Contains(err.Error(), "environments.dev.region") {
		t.Errorf("got %v, want a problem at environments.dev.region", err)
	}
}

// TestBrokenConfigurations feeds one broken configuration per row and checks
// that the message names the field and what is allowed.
func TestBrokenConfigurations(t *testing.T) {
	cases := []struct {
		name    string
		envs    string // the "environments" context value; "" leaves it out
		env     string // the "env" context value; "" leaves it out
		wantAll []string
	}{
		{"unknown environment", `{"prod": ` + valid + `}`, `"staging"`,
			[]string{`env: unknown environment "staging"; configured: prod`}},
		{"no environment chosen among several", `{"dev": ` + valid + `, "prod": ` + valid + `}`, "",
			[]string{"env: choose an environment with -c env=NAME; configured: dev, prod"}},
		{"env of the wrong type", `{"prod": ` + valid + `}`, `3`,
			[]string{"env: must be an environment name, got 3"}},
		{"environments not an object", `["prod"]`, "",
			[]string{"environments: must be an object, got a list"}},
		{"no environments", `{}`, "",
			[]string{"environments: must name at least one environment"}},
		{"bad environment name", `{"Prod_1": ` + valid + `}`, "",
			[]string{"environments.Prod_1: environment names are 1 to 20 lower-case letters"}},
		{"unknown key", `{"prod": ` + patch(t, `{"domain": "example.org"}`) + `}`, "",
			[]string{"environments.prod.domain: unknown key; allowed: account, region, availabilityZones, domainName,"}},
		{"unknown nested key", `{"prod": ` + patch(t, `{"fleet": {"mode": "fixed", "size": 2}}`) + `}`, "",
			[]string{"environments.prod.fleet.size: unknown key; allowed: mode, instances, minCapacity, maxCapacity, instanceType"}},
		{"wrong types", `{"prod": ` + patch(t, `{"account": 123456789012, "fleet": {"mode": "fixed", "instances": "2"}, "availabilityZones": "eu-west-1a"}`) + `}`, "",
			[]string{
				"environments.prod.account: must be a string, got the number 123456789012",
				`environments.prod.fleet.instances: must be a whole number, got the string "2"`,
				`environments.prod.availabilityZones: must be a list, got the string "eu-west-1a"`,
			}},
		{"scaling on a fixed fleet", `{"prod": ` + patch(t, `{"fleet": {"mode": "fixed", "scaleOn": "requests"}}`) + `}`, "",
			[]string{`environments.prod.fleet.scaleOn: only applies to mode "autoscaling"; fixed fleets do not scale`}},
		{"unknown scaling metric", `{"prod": ` + patch(t, `{"fleet": {"scaleOn": "memory"}}`) + `}`, "",
			[]string{`environments.prod.fleet.scaleOn: "memory" is not a scaling metric; allowed: cpu, requests`}},
		{"request target when scaling on cpu", `{"prod": ` + patch(t, `{"fleet": {"targetRequestsPerMinute": 500}}`) + `}`, "",
			[]string{`environments.prod.fleet.targetRequestsPerMinute: only applies with scaleOn "requests"`}},
		{"boot timeout out of range", `{"prod": ` + patch(t, `{"fleet": {"bootTimeoutMinutes": 2}}`) + `}`, "",
			[]string{"environments.prod.fleet.bootTimeoutMinutes: 2 is out of range; allowed: 5 to 60"}},
		{"refresh settings on a fixed fleet", `{"prod": ` + patch(t, `{"fleet": {"mode": "fixed", "refreshBakeMinutes": 10}}`) + `}`, "",
			[]string{`environments.prod.fleet.refreshBakeMinutes: only applies to mode "autoscaling"`}},
		{"refresh checkpoints", `{"prod": ` + patch(t, `{"fleet": {"refreshCheckpoints": [50, 40]}}`) + `}`, "",
			[]string{
				"environments.prod.fleet.refreshCheckpoints[1]: 40 does not follow 50; allowed: ascending, each once",
				"environments.prod.fleet.refreshCheckpoints: ends at 40; allowed: a list ending at 100",
			}},
		{"checkpoint pause without checkpoints", `{"prod": ` + patch(t, `{"fleet": {"refreshCheckpointMinutes": 30}}`) + `}`, "",
			[]string{"environments.prod.fleet.refreshCheckpointMinutes: only applies with refreshCheckpoints"}},
		{"backup retention", `{"prod": ` + patch(t, `{"backup": {"dailyDays": 40, "monthlyDays": 20, "copyTo": ["arn:aws:s3:::bucket"]}}`) + `}`, "",
			[]string{
				"environments.prod.backup.dailyDays: 40 is out of range; allowed: 1 to 35",
				"environments.prod.backup.monthlyDays: 20 is out of range; allowed: 41 to 3650",
				`environments.prod.backup.copyTo[0]: "arn:aws:s3:::bucket" is not a backup vault ARN`,
			}},
		{"backup settings with backup off", `{"prod": ` + patch(t, `{"backup": {"enabled": false, "vaultLock": true}}`) + `}`, "",
			[]string{"environments.prod.backup.vaultLock: only applies with the backup plan enabled"}},
		{"performance insights on a small mysql class", `{"prod": ` + patch(t, `{"database": {"instanceType": "t3.small", "performanceInsights": true, "enhancedMonitoringSeconds": 20}}`) + `}`, "",
			[]string{
				"environments.prod.database.performanceInsights: not available for mysql on t3.small; allowed: false, or a larger instanceType",
				"environments.prod.database.enhancedMonitoringSeconds: 20 is not an interval; allowed: 0 (off), 1, 5, 10, 15, 30, 60",
			}},
		{"uploads replica", `{"prod": ` + patch(t, `{"customerManagedKeys": true, "backup": {"replicateUploadsTo": "uploads-replica"}}`) + `}`, "",
			[]string{
				`environments.prod.backup.replicateUploadsTo: "uploads-replica" is not a bucket ARN; expected arn:aws:s3:::NAME`,
				"environments.prod.backup.replicaKmsKeyArn: required with customerManagedKeys and replicateUploadsTo",
			}},
		{"cpu target out of range", `{"prod": ` + patch(t, `{"fleet": {"targetCpuPercent": 95}}`) + `}`, "",
			[]string{"environments.prod.fleet.targetCpuPercent: 95 is out of range; allowed: 10 to 90"}},
		{"alarm e-mail and threshold", `{"prod": ` + patch(t, `{"alarms": {"emails": ["ops@example.org", "Ops <ops>"], "databaseCpuPercent": 120}}`) + `}`, "",
			[]string{
				`environments.prod.alarms.emails[1]: "Ops <ops>" is not an e-mail address; expected e.g. ops@example.com`,
				"environments.prod.alarms.databaseCpuPercent: 120 is out of range; allowed: 1 to 100",
			}},
		{"firewall rate limit", `{"prod": ` + patch(t, `{"firewall": {"rateLimit": 5}}`) + `}`, "",
			[]string{"environments.prod.firewall.rateLimit: 5 is out of range; allowed: 10 to 2000000000"}},
		{"frontend outside the zone", `{"prod": ` + patch(t, `{"frontend": {"domainName": "example.net"}}`) + `}`, "",
			[]string{`environments.prod.frontend.domainName: "example.net" is not inside the hosted zone "example.org"`}},
		{"frontend on a tier's name", `{"prod": ` + patch(t, `{"frontend": {"domainName": "api.example.org"}}`) + `}`, "",
			[]string{`environments.prod.frontend.domainName: "api.example.org" is served by tier laravel; the site needs its own name`}},
		{"fractional number", `{"prod": ` + patch(t, `{"fleet": {"mode": "fixed", "instances": 1.5}}`) + `}`, "",
			[]string{"environments.prod.fleet.instances: must be a whole number, got the number 1.5"}},
		{"missing required values", `{"prod": ` + patch(t, `{"domainName": null, "hostedZone": null, "ami": null, "tiers": null}`) + `}`, "",
			[]string{
				"environments.prod.domainName: required: a domain name such as example.com",
				"environments.prod.hostedZone.id: required: a Route53 hosted zone id",
				"environments.prod.hostedZone.name: required: a domain name",
				"environments.prod.ami: required: a map of region to AMI id",
				"environments.prod.tiers: required: at least one of laravel, nextcloud",
			}},
		{"malformed AMI id", `{"prod": ` + patch(t, `{"ami": {"eu-west-1": "ami-12345"}}`) + `}`, "",
			[]string{`environments.prod.ami.eu-west-1: "ami-12345" is not an AMI id; expected ami- followed by 8 or 17 hexadecimal digits`}},
		{"AMI missing for the region", `{"prod": ` + patch(t, `{"ami": {"us-east-1": "ami-0123456789abcdef0"}}`) + `}`, "",
			[]string{"environments.prod.ami: has no AMI id for the environment's region eu-west-1"}},
		{"AMI keyed by a non-region", `{"prod": ` + patch(t, `{"ami": {"eu-west-1": "ami-0123456789abcdef0", "ireland": "ami-0123456789abcdef0"}}`) + `}`, "",
			[]string{`environments.prod.ami.ireland: "ireland" is not an AWS region`}},
		{"no region", `{"prod": ` + patch(t, `{"region": null, "account": null}`) + `}`, "",
			[]string{"environments.prod.region: required: a region name such as eu-west-1 (the load balancer's access logs need a concrete region)"}},
		{"malformed zone id", `{"prod": ` + patch(t, `{"hostedZone": {"id": "/hostedzone/Z0123", "name": "example.org"}}`) + `}`, "",
			[]string{`environments.prod.hostedZone.id: "/hostedzone/Z0123" is not a hosted zone id; expected Z followed by up to 31 upper-case letters and digits`}},
		{"malformed domain name", `{"prod": ` + patch(t, `{"domainName": "Example..org"}`) + `}`, "",
			[]string{`environments.prod.domainName: "Example..org" is not a domain name`}},
		{"domain outside the zone", `{"prod": ` + patch(t, `{"domainName": "example.net"}`) + `}`, "",
			[]string{`environments.prod.domainName: "example.net" is not inside the hosted zone "example.org"`}},
		{"tier domain outside the zone", `{"prod": ` + patch(t, `{"tiers": {"laravel": {"domainName": "api.example.net"}}}`) + `}`, "",
			[]string{`environments.prod.tiers.laravel.domainName: "api.example.net" is not inside the hosted zone "example.org"`}},
		{"two tiers on one name", `{"prod": ` + patch(t, `{"tiers": {"laravel": {"domainName": "app.example.org"}, "nextcloud": {"domainName": "app.example.org"}}}`) + `}`, "",
			[]string{`environments.prod.tiers.nextcloud.domainName: "app.example.org" is already served by tier laravel`}},
		{"laravel setting on nextcloud", `{"prod": ` + patch(t, `{"tiers": {"nextcloud": {"sessionDriver": "redis"}}}`) + `}`, "",
			[]string{"environments.prod.tiers.nextcloud.sessionDriver: only applies to tier laravel"}},
		{"nextcloud setting on laravel", `{"prod": ` + patch(t, `{"tiers": {"laravel": {"primaryStorage": "local"}}}`) + `}`, "",
			[]string{"environments.prod.tiers.laravel.primaryStorage: only applies to tier nextcloud"}},
		{"boolean of the wrong type", `{"prod": ` + patch(t, `{"tiers": {"nextcloud": {"dataDirectoryShared": "yes"}}}`) + `}`, "",
			[]string{`environments.prod.tiers.nextcloud.dataDirectoryShared: must be true or false, got the string "yes"`}},
		{"unknown tier key", `{"prod": ` + patch(t, `{"tiers": {"laravel": {"sesionDriver": "redis"}}}`) + `}`, "",
			[]string{"environments.prod.tiers.laravel.sesionDriver: unknown key; allowed: ", "sessionDriver", "webServer"}},
		{"unknown tier", `{"prod": ` + patch(t, `{"tiers": {"wordpress": {}}}`) + `}`, "",
			[]string{"environments.prod.tiers.wordpress: unknown tier; allowed: laravel, nextcloud"}},
		{"malformed CIDR", `{"prod": ` + patch(t, `{"vpcCidr": "10.0.0.0/33"}`) + `}`, "",
			[]string{`environments.prod.vpcCidr: "10.0.0.0/33" is not an IPv4 CIDR block; expected e.g. 10.0.0.0/16`}},
		{"CIDR with host bits", `{"prod": ` + patch(t, `{"vpcCidr": "10.0.1.0/16"}`) + `}`, "",
			[]string{`environments.prod.vpcCidr: "10.0.1.0/16" has host bits set; did you mean 10.0.0.0/16?`}},
		{"CIDR too large", `{"prod": ` + patch(t, `{"vpcCidr": "10.0.0.0/8"}`) + `}`, "",
			[]string{`environments.prod.vpcCidr: "10.0.0.0/8": the prefix length must be /16 to /24`}},
		{"golden IP not private", `{"prod": ` + patch(t, `{"fleet": {"goldenIp": "8.8.8.8"}}`) + `}`, "",
			[]string{`environments.prod.fleet.goldenIp: "8.8.8.8" is not a private IPv4 address`}},
		{"IP files without golden IP", `{"prod": ` + patch(t, `{"fleet": {"ipFiles": ["/etc/hosts"]}}`) + `}`, "",
			[]string{"environments.prod.fleet.ipFiles: only applies with goldenIp"}},
		{"relative IP file", `{"prod": ` + patch(t, `{"fleet": {"goldenIp": "10.0.1.5", "ipFiles": ["etc/hosts"]}}`) + `}`, "",
			[]string{`environments.prod.fleet.ipFiles[0]: "etc/hosts" is not a clean absolute path`}},
		{"too many NAT gateways", `{"prod": ` + patch(t, `{"natGateways": 3}`) + `}`, "",
			[]string{"environments.prod.natGateways: 3 is out of range; allowed: 1 to 2"}},
		{"unknown fleet mode", `{"prod": ` + patch(t, `{"fleet": {"mode": "spot"}}`) + `}`, "",
			[]string{`environments.prod.fleet.mode: "spot" is not a fleet mode; allowed: autoscaling, fixed`}},
		{"size of the other mode", `{"prod": ` + patch(t, `{"fleet": {"mode": "fixed", "maxCapacity": 4}}`) + `}`, "",
			[]string{`environments.prod.fleet.maxCapacity: only applies to mode "autoscaling"; fixed fleets are sized by instances`}},
		{"max below min", `{"prod": ` + patch(t, `{"fleet": {"minCapacity": 4, "maxCapacity": 2}}`) + `}`, "",
			[]string{"environments.prod.fleet.maxCapacity: 2 is out of range; allowed: 5 to 100"}},
		{"max equal to min", `{"prod": ` + patch(t, `{"fleet": {"minCapacity": 3, "maxCapacity": 3}}`) + `}`, "",
			[]string{"environments.prod.fleet.maxCapacity: 3 is out of range; allowed: 4 to 100"}},
		{"zero instances", `{"prod": ` + patch(t, `{"fleet": {"mode": "fixed", "instances": 0}}`) + `}`, "",
			[]string{"environments.prod.fleet.instances: 0 is out of range; allowed: 1 to 20"}},
		{"malformed instance type", `{"prod": ` + patch(t, `{"fleet": {"instanceType": "t3-small"}}`) + `}`, "",
			[]string{`environments.prod.fleet.instanceType: "t3-small" is not an instance type; expected family.size, e.g. t3.small`}},
		{"db. prefix", `{"prod": ` + patch(t, `{"database": {"instanceType": "db.t3.medium"}}`) + `}`, "",
			[]string{`environments.prod.database.instanceType: "db.t3.medium": leave out the db. prefix`}},
		{"unknown engine", `{"prod": ` + patch(t, `{"database": {"engine": "oracle"}}`) + `}`, "",
			[]string{`environments.prod.database.engine: "oracle" is not a database engine; allowed: mysql, mariadb, postgres`}},
		{"storage too small", `{"prod": ` + patch(t, `{"database": {"allocatedStorageGiB": 5}}`) + `}`, "",
			[]string{"environments.prod.database.allocatedStorageGiB: 5 is out of range; allowed: 20 to 65536"}},
		{"malformed account and region", `{"prod": ` + patch(t, `{"account": "1234", "region": "Ireland"}`) + `}`, "",
			[]string{
				`environments.prod.account: "1234" is not an AWS account id; expected 12 digits`,
				`environments.prod.region: "Ireland" is not an AWS region; expected a name such as eu-west-1`,
			}},
		{"zones needed with account and region", `{"prod": ` + patch(t, `{"availabilityZones": null}`) + `}`, "",
			[]string{"environments.prod.availabilityZones: required when account is set (tierkit never looks zones up): list 2 or 3 zones of eu-west-1, e.g. eu-west-1a, eu-west-1b"}},
		{"zone of another region", `{"prod": ` + patch(t, `{"availabilityZones": ["eu-west-1a", "us-east-1b"]}`) + `}`, "",
			[]string{`environments.prod.availabilityZones[1]: "us-east-1b" is not in the environment's region eu-west-1`}},
		{"one zone", `{"prod": ` + patch(t, `{"availabilityZones": ["eu-west-1a"]}`) + `}`, "",
			[]string{"environments.prod.availabilityZones: must list 2 or 3 zones, got 1"}},
		{"problems in two environments at once", `{"dev": ` + patch(t, `{"ami": {"eu-west-1": "ami-x"}}`) + `, "prod": ` + patch(t, `{"vpcCidr": "x"}`) + `}`, `"prod"`,
			[]string{
				"invalid configuration (2 problems):",
				`environments.dev.ami.eu-west-1: "ami-x" is not an AMI id`,
				`environments.prod.vpcCidr: "x" is not an IPv4 CIDR block`,
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			values := map[string]string{}
			if c.envs != "" {
				values[EnvironmentsKey] = c.envs
			}
			if c.env != "" {
				values[EnvKey] = c.env
			}
			_, err := Select(context(t, values))
			if err == nil {
				t.Fatalf("no error; want one containing %q", c.wantAll)
			}
			for _, want := range c.wantAll {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not contain %q:\n%v", want, err)
				}
			}
		})
	}
}

// TestTierKeysAreTheTaggedFieldsOfTheirTypes: a field with a json tag in
// webtier.Props or in an application's profile is a key of its tier, with
// no mapping of its own.
func TestTierKeysAreTheTaggedFieldsOfTheirTypes(t *testing.T) {
	envs := `{"prod": ` + patch(t, `{"tiers": {
		"laravel": {"webUser": "nginx", "redisPort": 6380, "redisTls": true, "appEnv": "staging", "healthCheckPath": "/ping"},
		"nextcloud": {"installPath": "/srv/nc", "cronFiles": []}}}`) + `}`
	env, err := Select(context(t, map[string]string{EnvironmentsKey: envs}))
	if err != nil {
		t.Fatal(err)
	}
	l, ok := env.Tiers[TierLaravel].App.(*laravel.App)
	if !ok || l.RedisPort != 6380 || !l.RedisTLS || l.AppEnv != "staging" {
		t.Errorf("laravel's settings: %+v", env.Tiers[TierLaravel].App)
	}
	if p := env.Tiers[TierLaravel].Props; p.WebUser != "nginx" || p.HealthCheckPath != "/ping" {
		t.Errorf("laravel's web tier settings: WebUser %q, HealthCheckPath %q", p.WebUser, p.HealthCheckPath)
	}
	n, ok := env.Tiers[TierNextcloud].App.(*nextcloud.App)
	if !ok || n.InstallPath != "/srv/nc" {
		t.Errorf("nextcloud's settings: %+v", env.Tiers[TierNextcloud].App)
	}
	if files := env.Tiers[TierNextcloud].Props.CronFiles; files == nil || len(files) != 0 {
		t.Errorf("cronFiles [] must stay an empty, non-nil list (disable nothing), got %#v", files)
	}
}

func TestAValueOfTheWrongTypeIsReportedOnce(t *testing.T) {
	envs := `{"prod": ` + patch(t, `{"domainName": 42, "fleet": {"mode": "fixed", "instances": "two"}}`) + `}`
	_, err := Select(context(t, map[string]string{EnvironmentsKey: envs}))
	if err == nil {
		t.Fatal("no error")
	}
	for _, followUp := range []string{"domainName: required", "instances: 0 is out of range"} {
		if strings.Contains(err.Error(), followUp) {
			t.Errorf("the type error is followed by %q:\n%v", followUp, err)
		}
	}
}
