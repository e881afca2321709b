package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/webtier"
	"github.com/tierkit/tierkit/internal/cdktest"
	"github.com/tierkit/tierkit/internal/config"
)

// The team's VPC, database and bucket of the brought environment.
const (
	teamSecret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/db-AbCdEf"
	teamSG     = "sg-0123456789abcdef0"
	teamBucket = "example-uploads"
	teamVPC    = `"vpc": {"id": "vpc-0123456789abcdef0", "cidr": "172.31.0.0/16", "availabilityZones": ["eu-west-1a", "eu-west-1b"],
		"publicSubnetIds": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"], "publicSubnetCidrs": ["172.31.0.0/20", "172.31.16.0/20"],
		"privateSubnetIds": ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"], "privateSubnetCidrs": ["172.31.32.0/20", "172.31.48.0/20"],
		"isolatedSubnetIds": ["subnet-0ccccccccccccccc1", "subnet-0ccccccccccccccc2"]}`
)

// broughtTier is the Laravel tier of an environment in the team's VPC with
// their database and uploads bucket, synthesized once for the tests below.
var broughtTier = cdktest.Shared(func(tb testing.TB) awscdk.Stack {
	env := strings.Replace(strings.Replace(twoTiers, `"availabilityZones": ["eu-west-1a", "eu-west-1b"],`, teamVPC+",", 1),
		`"tiers": {"laravel": {}, "nextcloud": {}}`, `"tiers": {"laravel": {"uploadsBucket": "`+teamBucket+`", "existingDatabase": {
			"instanceIdentifier": "app-db", "endpoint": "app-db.abcdefghijkl.eu-west-1.rds.amazonaws.com", "port": 3306,
			"secretArn": "`+teamSecret+`", "securityGroupId": "`+teamSG+`"}}}`, 1)
	var environments any
	if err := json.Unmarshal([]byte(env), &environments); err != nil {
		tb.Fatal(err)
	}
	// With cdk-nag: an unsuppressed finding fails the synth.
	app := cdktest.Nagged(cdktest.NewApp(tb, cdktest.WithContext(map[string]any{config.EnvironmentsKey: environments})))
	selected, err := selectEnvironment(app)
	if err != nil {
		tb.Fatal(err)
	}
	broughtStack = build(app, selected)[0]
	return broughtStack
})

// broughtStack is broughtTier's stack.
var broughtStack awscdk.Stack

func TestBroughtTierHasNoConstructWarnings(t *testing.T) {
	broughtTier(t)
	for _, m := range *broughtStack.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		for _, e := range *m.Node().Metadata() {
			if *e.Type == "aws:cdk:warning" {
				t.Errorf("%s: %v", *m.Node().Path(), e.Data)
			}
		}
	}
}

func TestBroughtTierCreatesNoDatabaseUploadsBucketOrVPC(t *testing.T) {
	tpl := broughtTier(t)
	for typ, n := range map[string]int{"AWS::RDS::DBInstance": 0, "AWS::SecretsManager::Secret": 0, "AWS::EC2::VPC": 0, "AWS::S3::Bucket": 1} {
		tpl.ResourceCountIs(t, typ, n) // the one bucket: the access logs'
	}
	tpl.HasResourceProperties(t, "AWS::S3::Bucket", map[string]any{"LoggingConfiguration": assertions.Match_Absent(), "CorsConfiguration": assertions.Match_Absent()})
}

func TestBroughtTierRunsInTheTeamsVPC(t *testing.T) {
	broughtTier(t).HasResourceProperties(t, "AWS::AutoScaling::AutoScalingGroup", map[string]any{
		"VPCZoneIdentifier": []any{"subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"},
	})
}

func TestBroughtDatabaseLetsTheFleetInOnItsSecurityGroup(t *testing.T) {
	broughtTier(t).HasResourceProperties(t, "AWS::EC2::SecurityGroupIngress", map[string]any{
		"GroupId": teamSG, "IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306,
		"SourceSecurityGroupId": map[string]any{"Fn::GetAtt": []any{assertions.Match_StringLikeRegexp(jsii.String("^TierFleet")), "GroupId"}},
	})
}

func TestBroughtTiersRoleNamesExactlyTheTeamsSecretAndBucket(t *testing.T) {
	var secrets, buckets []string
	for _, p := range broughtTier(t).Resources("AWS::IAM::Policy") {
		for _, s := range p["Properties"].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			st := s.(map[string]any)
			actions := cdktest.JSON(st["Action"])
			for _, r := range cdktest.AsList(st["Resource"]) {
				switch {
				case strings.Contains(actions, "secretsmanager:"):
					secrets = append(secrets, cdktest.JSON(r))
				case strings.Contains(cdktest.JSON(r), "cdk-hnb659fds-assets-"):
					// the boot script's asset, read at boot
				case strings.Contains(actions, "s3:"):
					buckets = append(buckets, cdktest.JSON(r))
				}
			}
		}
	}
	if want := `"` + teamSecret + `"`; len(secrets) == 0 || strings.Join(secrets, " ") != strings.TrimSuffix(strings.Repeat(want+" ", len(secrets)), " ") {
		t.Errorf("secret statements reach %v; want only %s", secrets, want)
	}
	for _, b := range buckets {
		if b != `"arn:aws:s3:::`+teamBucket+`"` && b != `"arn:aws:s3:::`+teamBucket+`/*"` {
			t.Errorf("an S3 statement reaches %s; want only the team's bucket and its objects", b)
		}
	}
	if len(buckets) != 2 {
		t.Errorf("S3 statements reach %v; want the bucket and its objects", buckets)
	}
}

func TestDatabaseSnapshotAndSecretKeyReachTheTiersProps(t *testing.T) {
	key := "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	env := strings.Replace(strings.Replace(twoTiers, `"availabilityZones": ["eu-west-1a", "eu-west-1b"],`, teamVPC+",", 1),
		`"tiers": {"laravel": {}, "nextcloud": {}}`, `"tiers": {
			"laravel": {"existingDatabase": {"instanceIdentifier": "app-db", "endpoint": "app-db.abcdefghijkl.eu-west-1.rds.amazonaws.com", "port": 3306,
				"secretArn": "`+teamSecret+`", "secretKmsKeyArn": "`+key+`", "securityGroupId": "`+teamSG+`", "databaseName": "laravel"}},
			"nextcloud": {"databaseSnapshot": {"id": "nc-final", "username": "admin", "databaseName": "nextcloud", "engineVersion": "8.0.39"}}}`, 1)
	app := cdktest.NewApp(t, withEnvironments(t, env))
	selected := selectEnv(t, app)
	// Imports only, never synthesized.
	var laravel, nextcloud webtier.Props
	bringExisting(awscdk.NewStack(app, jsii.String("L"), nil), selected, selected.Tiers[config.TierLaravel].Brought, &laravel)
	bringExisting(awscdk.NewStack(app, jsii.String("N"), nil), selected, selected.Tiers[config.TierNextcloud].Brought, &nextcloud)
	if e := laravel.Database.Existing; e == nil || e.Secret.EncryptionKey() == nil || *e.Secret.EncryptionKey().KeyArn() != key || laravel.Database.DatabaseName != "laravel" {
		t.Errorf("laravel's database %+v; want the team's instance with its secret's key and database", laravel.Database)
	}
	if d := nextcloud.Database; d.SnapshotIdentifier != "nc-final" || d.Username != "admin" || d.DatabaseName != "nextcloud" || d.EngineVersion != "8.0.39" {
		t.Errorf("nextcloud's database %+v; want it restored from nc-final with the snapshot's user, database and version", d)
	}
	if laravel.Network.Vpc == nil || *laravel.Network.Vpc.VpcCidrBlock() != "172.31.0.0/16" {
		t.Error("the tier does not run in the team's VPC")
	}
}

func TestBroughtTierTrustsTheTeamsPublicSubnetsOnly(t *testing.T) {
	script := cdktest.BootScript(t, broughtTier(t))
	if !strings.Contains(script, "TRUSTED_PROXIES") || !strings.Contains(script, "172.31.0.0/20,172.31.16.0/20") {
		t.Errorf("the boot script does not trust exactly the public subnets 172.31.0.0/20 and 172.31.16.0/20:\n%s", grepLines(script, "TRUSTED_PROXIES"))
	}
	if strings.Contains(script, "172.31.0.0/16") {
		t.Errorf("the boot script names the whole VPC's range:\n%s", grepLines(script, "172.31.0.0/16"))
	}
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
