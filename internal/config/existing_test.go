package config

import (
	"strings"
	"testing"
)

// The team's VPC and database of the tests below.
const (
	teamVPC = `"vpc": {"id": "vpc-0123456789abcdef0", "cidr": "172.31.0.0/16", "availabilityZones": ["eu-west-1a", "eu-west-1b"],
		"publicSubnetIds": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"], "publicSubnetCidrs": ["172.31.0.0/20", "172.31.16.0/20"],
		"privateSubnetIds": ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"], "privateSubnetCidrs": ["172.31.32.0/20", "172.31.48.0/20"],
		"isolatedSubnetIds": ["subnet-0ccccccccccccccc1", "subnet-0ccccccccccccccc2"]}`
	teamDB = `{"instanceIdentifier": "app-db", "endpoint": "app-db.abcdefghijkl.eu-west-1.rds.amazonaws.com", "port": 3306,
		"secretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/db-AbCdEf", "securityGroupId": "sg-0123456789abcdef0"}`
)

// brought is the valid environment in the team's VPC, without its own
// database settings and zones, with tiers.
func brought(t *testing.T, tiers string) string {
	return `{"prod": ` + patch(t, `{"database": null, "availabilityZones": null, `+teamVPC+`, "tiers": `+tiers+`}`) + `}`
}

func TestBroughtSettingsAreDecodedWithDefaults(t *testing.T) {
	envs := brought(t, `{"laravel": {"existingDatabase": `+teamDB+`, "uploadsBucket": "example-uploads"},
		"nextcloud": {"databaseSnapshot": {"id": "arn:aws:rds:eu-west-1:123456789012:snapshot:nc-final", "username": "admin"}}}`)
	env, err := Select(context(t, map[string]string{EnvironmentsKey: envs}))
	if err != nil {
		t.Fatal(err)
	}
	l, n := env.Tiers[TierLaravel].Brought, env.Tiers[TierNextcloud].Brought
	if d := l.ExistingDatabase; d == nil || d.Engine != EngineMySQL || d.DatabaseName != "app" || d.Port != 3306 || l.UploadsBucket != "example-uploads" {
		t.Errorf("laravel brings %+v, %+v; want the team's database (mysql, app) and bucket", d, l)
	}
	if s := n.DatabaseSnapshot; s == nil || s.Username != "admin" || s.ID != "arn:aws:rds:eu-west-1:123456789012:snapshot:nc-final" {
		t.Errorf("nextcloud restores %+v", s)
	}
	if env.VPC == nil || env.VPC.CIDR != "172.31.0.0/16" || len(env.VPC.IsolatedSubnetIDs) != 2 {
		t.Errorf("vpc %+v", env.VPC)
	}
}

func TestBroughtSettingsAreRefusedWithTheirPath(t *testing.T) {
	const tier = "environments.prod.tiers.laravel."
	cases := []struct {
		name, envs string
		want       []string
	}{
		{"existing database outside the team's VPC", `{"prod": ` + patch(t, `{"database": null, "tiers": {"laravel": {"existingDatabase": `+teamDB+`}}}`) + `}`,
			[]string{tier + "existingDatabase: requires the environment's vpc: an existing database lives in the team's VPC, and the fleet must run there to reach it"}},
		{"existing database and a snapshot", brought(t, `{"laravel": {"existingDatabase": `+teamDB+`, "databaseSnapshot": {"id": "app-final"}}}`),
			[]string{tier + "databaseSnapshot: set with existingDatabase; allowed: one of them"}},
		{"malformed existing database", brought(t, `{"laravel": {"existingDatabase": {"instanceIdentifier": "app--db", "endpoint": "App DB", "port": 80, "engine": "oracle",
			"secretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/db", "secretKmsKeyArn": "alias/db", "securityGroupId": "sg-1", "databaseName": "my-app"}}}`),
			[]string{
				tier + `existingDatabase.instanceIdentifier: "app--db" is not a DB instance identifier`,
				tier + `existingDatabase.endpoint: "App DB" is not a host name`,
				tier + "existingDatabase.port: 80 is out of range; allowed: 1150 to 65535",
				tier + `existingDatabase.engine: "oracle" is not a database engine`,
				tier + `existingDatabase.secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/db" is not a complete secret ARN`,
				tier + `existingDatabase.secretKmsKeyArn: "alias/db" is not a KMS key ARN`,
				tier + `existingDatabase.securityGroupId: "sg-1" is not a security group id`,
				tier + `existingDatabase.databaseName: "my-app" is not a database name`,
			}},
		{"existing database without its identity", brought(t, `{"laravel": {"existingDatabase": {"secretARN": "x"}}}`),
			[]string{
				tier + "existingDatabase.secretARN: unknown key; allowed: instanceIdentifier, endpoint, port, engine, secretArn,",
				tier + "existingDatabase.instanceIdentifier: required",
				tier + "existingDatabase.securityGroupId: required",
			}},
		{"database settings an existing database ignores", `{"prod": ` + patch(t, `{"availabilityZones": null, `+teamVPC+`, "database": {"instanceType": "t3.large", "performanceInsights": false},
			"tiers": {"laravel": {"existingDatabase": `+teamDB+`}}}`) + `}`,
			[]string{
				"environments.prod.database.instanceType: ignored by the existing database of tier laravel (existingDatabase is used as it is); allowed: leave it out",
				"environments.prod.database.performanceInsights: ignored by the existing database of tier laravel",
			}},
		{"malformed snapshot", brought(t, `{"laravel": {"databaseSnapshot": {"id": "arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:app", "username": "1admin", "engineVersion": "8.0"}}}`),
			[]string{
				tier + `databaseSnapshot.id: "arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:app" is not a DB snapshot name or ARN`,
				tier + `databaseSnapshot.username: "1admin" is not a master user name`,
				tier + `databaseSnapshot.engineVersion: "8.0" is not a full mysql version; expected major.minor.patch`,
			}},
		{"snapshot without id", brought(t, `{"laravel": {"databaseSnapshot": {}}}`),
			[]string{tier + "databaseSnapshot.id: required"}},
		{"uploads bucket names", brought(t, `{"laravel": {"uploadsBucket": "Example_Uploads"}, "nextcloud": {"uploadsBucket": "192.168.1.10"}}`),
			[]string{
				tier + `uploadsBucket: "Example_Uploads" is not a bucket name`,
				`environments.prod.tiers.nextcloud.uploadsBucket: "192.168.1.10" is not a bucket name`,
			}},
		{"replication of an existing bucket", `{"prod": ` + patch(t, `{"backup": {"replicateUploadsTo": "arn:aws:s3:::example-replica"}, "tiers": {"laravel": {"uploadsBucket": "example-uploads"}}}`) + `}`,
			[]string{"environments.prod.backup.replicateUploadsTo: ignored by the existing uploads bucket of tier laravel"}},
		{"new VPC settings with the team's VPC", `{"prod": ` + patch(t, `{"vpcCidr": "10.1.0.0/16", "natGateways": 1, "dualStack": true, `+teamVPC+`}`) + `}`,
			[]string{
				"environments.prod.vpcCidr: configures a new VPC, but vpc names the team's",
				"environments.prod.natGateways: configures a new VPC, but vpc names the team's",
				"environments.prod.dualStack: configures a new VPC, but vpc names the team's",
				"environments.prod.availabilityZones: the zones of the team's VPC are vpc.availabilityZones",
			}},
		{"malformed VPC", `{"prod": ` + patch(t, `{"availabilityZones": null, "vpc": {"id": "vpc-1", "cidr": "172.31.0.1/16", "availabilityZones": ["eu-west-1a", "us-east-1b"],
			"publicSubnetIds": ["subnet-0aaaaaaaaaaaaaaa1"], "privateSubnetIds": ["subnet-x", "subnet-0bbbbbbbbbbbbbbb2"]}}`) + `}`,
			[]string{
				`environments.prod.vpc.id: "vpc-1" is not a VPC id`,
				`environments.prod.vpc.cidr: "172.31.0.1/16" is not an IPv4 network`,
				`environments.prod.vpc.availabilityZones[1]: "us-east-1b" is not in the environment's region eu-west-1`,
				"environments.prod.vpc.publicSubnetIds: lists 1 subnets; allowed: the same number in each zone of availabilityZones (2)",
				`environments.prod.vpc.privateSubnetIds[0]: "subnet-x" is not a subnet id`,
				"environments.prod.vpc.isolatedSubnetIds: lists 0 subnets",
				"environments.prod.vpc.publicSubnetCidrs: lists 0 ranges for 1 subnets; allowed: the IPv4 range of each of publicSubnetIds",
			}},
		{"subnet ranges outside the VPC", `{"prod": ` + patch(t, `{"availabilityZones": null, `+strings.Replace(strings.Replace(teamVPC,
			`"172.31.16.0/20"`, `"10.0.16.0/20"`, 1), `"172.31.48.0/20"]`, `"172.31.48.0/20", "172.31.64.1/20"]`, 1)+`}`) + `}`,
			[]string{
				`environments.prod.vpc.publicSubnetCidrs[1]: "10.0.16.0/20" is not inside the VPC's cidr 172.31.0.0/16`,
				"environments.prod.vpc.privateSubnetCidrs: lists 3 ranges for 2 subnets",
				`environments.prod.vpc.privateSubnetCidrs[2]: "172.31.64.1/20" is not an IPv4 network`,
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Select(context(t, map[string]string{EnvironmentsKey: c.envs}))
			if err == nil {
				t.Fatalf("no error; want %q", c.want)
			}
			for _, want := range c.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not contain %q:\n%v", want, err)
				}
			}
		})
	}
}

func TestTierKeysIncludeWhatATierBrings(t *testing.T) {
	keys := tierKeys(applications[TierNextcloud].profile())
	for field, key := range map[string]string{"ExistingDatabase": "existingDatabase", "DatabaseSnapshot": "databaseSnapshot", "UploadsBucket": "uploadsBucket", "WebUser": "webUser"} {
		if keys[field] != key {
			t.Errorf("tierKeys[%s] = %q; want %q", field, keys[field], key)
		}
	}
	_, err := Select(context(t, map[string]string{EnvironmentsKey: `{"prod": ` + patch(t, `{"tiers": {"laravel": {"uploadBucket": "x"}}}`) + `}`}))
	if err == nil || !strings.Contains(err.Error(), "environments.prod.tiers.laravel.uploadBucket: unknown key; allowed: ") || !strings.Contains(err.Error(), "uploadsBucket") {
		t.Errorf("got %v; want the unknown key refused with uploadsBucket among the allowed", err)
	}
}
