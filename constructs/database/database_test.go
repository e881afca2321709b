package database_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/database"
	"github.com/tierkit/tierkit/constructs/database/databasetest"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// Logical IDs of the default template: part of the contract, since renaming
// a construct replaces the database.
const (
	instanceID = "DatabaseInstanceAA8A5FDE"
	secretID   = "TestDatabaseSecret167BD8A53fdaad7efa858a3daf9490cf0a702aeb"
	attachID   = "DatabaseSecretAttachmentE5D1B020"
	dbSGID     = "DatabaseSecurityGroup5C91FDCB"
	subnetsID  = "DatabaseInstanceSubnetGroupDE121BB6"
	optionsID  = "DatabaseOptions6814A47B"
	paramsID   = "DatabaseParametersB8AC9B07"
	fleetSGID  = "Fleet30813DF3"
)

// The databases of the templates, for their accessors.
var (
	created          *database.Database
	existing         *database.Database
	existingInstance awsrds.IDatabaseInstance
	existingSecretV  awssecretsmanager.ISecret
)

// The existing database of the existing template.
const (
	existingSG     = databasetest.ExistingSG
	existingSecret = databasetest.ExistingSecretARN
)

// fixtures are the block's test stacks (databasetest), synthesized once in
// strict mode; internal/conformance checks the same stacks with
// CloudFormation validation and cdk-nag.
var fixtures *databasetest.Fixtures

// variant builds the fixtures' stacks in one app: one synthesis, another
// stack of the same app costs milliseconds.
var variant = cdktest.Variants(func(tb testing.TB) map[string]awscdk.Stack {
	fixtures = databasetest.New(cdktest.NewApp(tb, cdktest.Strict()))
	created, existing = fixtures.Created, fixtures.Existing
	existingInstance, existingSecretV = fixtures.ExistingInstance, fixtures.ExistingSecret
	return fixtures.Stacks
})

var (
	// template is the default database (MySQL) opened to a fleet security
	// group and read by an instance role.
	template = variant("mysql")
	// others is PostgreSQL with every size and retention prop set, deletion
	// protection, Enhanced Monitoring and Performance Insights off (a
	// throw-away environment), next to MariaDB with defaults.
	others = variant("others")
	// keyed is MySQL with a customer managed key and Enhanced Monitoring
	// every 10 seconds, read by an instance role.
	keyed = variant("keyed")
	// existingTemplate wraps a database the caller already has.
	existingTemplate = variant("existing")
	// restored is MySQL restored from a snapshot whose master user is
	// "admin" and whose database is "laravel", with a customer managed key.
	restored = variant("restored")
)

// The snapshot the restored template restores, and the logical ID of its
// secret: the created one's (construct path Database/Secret), whose hash
// covers the stack name too.
const (
	snapshotARN      = databasetest.SnapshotARN
	restoredSecretID = "RestoredDatabaseSecret6BCB13D33fdaad7efa858a3daf9490cf0a702aeb"
)

func TestDatabaseKeepsItsLogicalIDsAndIsSnapshotted(t *testing.T) {
	tpl := template(t)
	for id, want := range map[string][2]string{
		instanceID: {dbInstance, "Snapshot"},
		secretID:   {secret, "Retain"},
	} {
		found := *tpl.FindResources(jsii.String(want[0]), nil)
		r, ok := found[id]
		if !ok {
			t.Errorf("no %s with logical ID %s: renaming a construct (or, for the secret, changing the excluded characters) replaces it", want[0], id)
			continue
		}
		if (*r)["DeletionPolicy"] != want[1] || (*r)["UpdateReplacePolicy"] != want[1] {
			t.Errorf("%s: DeletionPolicy %v, UpdateReplacePolicy %v; want %s", id, (*r)["DeletionPolicy"], (*r)["UpdateReplacePolicy"], want[1])
		}
	}
}

func TestDatabaseIsMultiAZ(t *testing.T) {
	template(t).HasResourceProperties(t, dbInstance, map[string]any{"MultiAZ": true})
}

func TestStorageIsEncryptedGP3WithAutoscaling(t *testing.T) {
	template(t).HasResourceProperties(t, dbInstance, map[string]any{
		"StorageEncrypted": true, "StorageType": "gp3", "AllocatedStorage": "20", "MaxAllocatedStorage": 100,
	})
}

func TestDatabaseIsNotPublicAndInIsolatedSubnets(t *testing.T) {
	tpl := template(t)
	tpl.HasResourceProperties(t, dbInstance, map[string]any{
		"PubliclyAccessible": false,
		"DBSubnetGroupName":  map[string]any{"Ref": subnetsID},
	})
	tpl.HasResourceProperties(t, "AWS::RDS::DBSubnetGroup", map[string]any{"SubnetIds": isolatedSubnets})
}

func TestDeletionProtectionIsOn(t *testing.T) {
	template(t).HasResourceProperties(t, dbInstance, map[string]any{"DeletionProtection": true})
}

func TestBackupsAreKeptAWeek(t *testing.T) {
	template(t).HasResourceProperties(t, dbInstance, map[string]any{"BackupRetentionPeriod": 7, "CopyTagsToSnapshot": true})
}

func TestMinorVersionsAreUpgradedAutomatically(t *testing.T) {
	template(t).HasResourceProperties(t, dbInstance, map[string]any{"AutoMinorVersionUpgrade": true})
}

func TestMySQLExportsErrorGeneralSlowQueryAndAuditLogsForAYear(t *testing.T) {
	tpl := template(t)
	logs := []string{"error", "general", "slowquery", "audit"}
	tpl.HasResourceProperties(t, dbInstance, map[string]any{
		"EnableCloudwatchLogsExports": logs,
		"OptionGroupName":             map[string]any{"Ref": optionsID},
	})
	tpl.HasResourceProperties(t, "AWS::RDS::OptionGroup", map[string]any{
		"EngineName": "mysql", "MajorEngineVersion": "8.4",
		"OptionConfigurations": []any{map[string]any{
			"OptionName":     "MARIADB_AUDIT_PLUGIN",
			"OptionSettings": []any{map[string]any{"Name": "SERVER_AUDIT_EVENTS", "Value": "CONNECT,QUERY_DDL,QUERY_DCL"}},
		}},
	})
	for _, log := range logs {
		tpl.HasResourceProperties(t, "Custom::LogRetention", map[string]any{
			"LogGroupName":    map[string]any{"Fn::Join": []any{"", []any{"/aws/rds/instance/", map[string]any{"Ref": instanceID}, "/" + log}}},
			"RetentionInDays": 365,
		})
	}
}

func TestMasterUserIsNotADefault(t *testing.T) {
	template(t).HasResourceProperties(t, dbInstance, map[string]any{"MasterUsername": "tierkit_admin", "DBName": "app"})
}

func TestPortIsALiteralNonDefaultPort(t *testing.T) {
	for _, r := range *template(t).FindResources(jsii.String(dbInstance), nil) {
		if port := props(r)["Port"]; port != "3307" {
			t.Errorf("Port %s; want the literal \"3307\"", cdktest.JSON(port))
		}
	}
}

func TestEngineVersionIsAFullVersion(t *testing.T) {
	template(t).HasResourceProperties(t, dbInstance, map[string]any{
		"Engine": "mysql", "EngineVersion": assertions.Match_StringLikeRegexp(jsii.String(`^8\.4\.[0-9]+$`)),
	})
}

func TestMySQLRequiresTLS(t *testing.T) {
	tpl := template(t)
	tpl.HasResourceProperties(t, dbInstance, map[string]any{
		"DBParameterGroupName":    map[string]any{"Ref": paramsID},
		"CACertificateIdentifier": "rds-ca-rsa2048-g1",
	})
	tpl.HasResourceProperties(t, "AWS::RDS::DBParameterGroup", map[string]any{
		"Family":     "mysql8.4",
		"Parameters": map[string]any{"require_secure_transport": "1", "slow_query_log": "1", "long_query_time": "2", "log_output": "FILE"},
	})
}

func TestOnlyTheFleetSecurityGroupReachesTheDatabasePort(t *testing.T) {
	template(t).OnlyIngressFrom(t, dbSGID, fleetSGID, 3307)
}

func TestSecretReadIsGrantedOnThisSecretOnly(t *testing.T) {
	checkSecretGrant(t, template(t), map[string]any{"Ref": attachID})
}

// checkSecretGrant checks that every policy statement of the template reads
// the given secret, with the read actions only.
func checkSecretGrant(t *testing.T, tpl *cdktest.Template, secretRef any) {
	t.Helper()
	var statements int
	for id, p := range *tpl.FindResources(jsii.String(policy), nil) {
		if strings.HasPrefix(id, "LogRetention") {
			continue
		}
		for _, s := range props(p)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			st := s.(map[string]any)
			statements++
			for _, a := range cdktest.AsList(st["Action"]) {
				if a != "secretsmanager:GetSecretValue" && a != "secretsmanager:DescribeSecret" {
					t.Errorf("action %v; want secretsmanager:GetSecretValue and DescribeSecret only", a)
				}
			}
			for _, r := range cdktest.AsList(st["Resource"]) {
				if cdktest.JSON(r) != cdktest.JSON(secretRef) {
					t.Errorf("statement reaches %s; want %s only", cdktest.JSON(r), cdktest.JSON(secretRef))
				}
			}
		}
	}
	if statements == 0 {
		t.Error("no policy statement grants the secret")
	}
}

func TestPasswordExcludesCharactersThatBreakPHPConfigAndURLs(t *testing.T) {
	for _, r := range *template(t).FindResources(jsii.String(secret), nil) {
		gen := props(r)["GenerateSecretString"].(map[string]any)
		excluded, _ := gen["ExcludeCharacters"].(string)
		for _, c := range []string{`"`, `'`, `\`, "@", "/", "#", "$", "`", " ", "%", ":", "?", "&"} {
			if !strings.Contains(excluded, c) {
				t.Errorf("ExcludeCharacters %q lacks %q", excluded, c)
			}
		}
		if gen["SecretStringTemplate"] != `{"username":"tierkit_admin","dbname":"app"}` || gen["GenerateStringKey"] != "password" {
			t.Errorf("generated secret %s; want the username, the database name and a generated password", cdktest.JSON(gen))
		}
	}
}

func TestSecretRotationIsAReviewedException(t *testing.T) {
	template(t).HasResource(t, secret, map[string]any{
		"Metadata": map[string]any{"cdk_nag": map[string]any{"rules_to_suppress": assertions.Match_ArrayWith(&[]any{
			assertions.Match_ObjectLike(&map[string]any{"id": "AwsSolutions-SMG4", "reason": assertions.Match_StringLikeRegexp(jsii.String("the servers read the password at every start"))}),
		})}},
	})
}

func TestAccessorsReturnWhatWasCreated(t *testing.T) {
	template(t)
	if created.Engine() != database.MySQL || created.Port() != 3307 {
		t.Errorf("Engine %q Port %d; want mysql 3307", created.Engine(), created.Port())
	}
	if created.SecurityGroup() == nil || created.Instance() == nil || created.Secret() == nil {
		t.Error("SecurityGroup, Instance and Secret must be set for a created database")
	}
	if !strings.Contains(created.Endpoint(), "${Token[") {
		t.Errorf("Endpoint %q; want the instance's address token", created.Endpoint())
	}
	var _ awsec2.IConnectable = created
}

func TestEnhancedMonitoringEveryMinuteWithItsOwnRole(t *testing.T) {
	tpl := template(t)
	roleID := cdktest.LogicalID(t, tpl, "AWS::IAM::Role", "DatabaseInstanceMonitoringRole")
	tpl.HasResourceProperties(t, dbInstance, map[string]any{
		"MonitoringInterval": 60, "MonitoringRoleArn": map[string]any{"Fn::GetAtt": []any{roleID, "Arn"}},
	})
	tpl.HasResource(t, "AWS::IAM::Role", map[string]any{
		"Properties": assertions.Match_ObjectLike(&map[string]any{
			"AssumeRolePolicyDocument": assertions.Match_ObjectLike(&map[string]any{"Statement": []any{map[string]any{
				"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": map[string]any{"Service": "monitoring.rds.amazonaws.com"},
			}}}),
			"ManagedPolicyArns": []any{map[string]any{"Fn::Join": []any{"", []any{"arn:", map[string]any{"Ref": "AWS::Partition"}, ":iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"}}}},
		}),
		"Metadata": map[string]any{"cdk_nag": map[string]any{"rules_to_suppress": []any{assertions.Match_ObjectLike(&map[string]any{
			"id": "AwsSolutions-IAM4", "applies_to": []any{"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"},
		})}}},
	})
}

func TestPerformanceInsightsIsOnWithSevenFreeDays(t *testing.T) {
	template(t).HasResourceProperties(t, dbInstance, map[string]any{
		"EnablePerformanceInsights": true, "PerformanceInsightsRetentionPeriod": 7, "PerformanceInsightsKMSKeyId": assertions.Match_Absent(),
	})
}

func TestDefaultUsesAWSManagedKeys(t *testing.T) {
	tpl := template(t)
	tpl.HasResourceProperties(t, dbInstance, map[string]any{"StorageEncrypted": true, "KmsKeyId": assertions.Match_Absent()})
	tpl.HasResourceProperties(t, secret, map[string]any{"KmsKeyId": assertions.Match_Absent()})
	tpl.ResourceCountIs(t, "AWS::KMS::Key", 0)
}

func TestMonitoringAndInsightsCanBeTurnedOff(t *testing.T) {
	tpl := others(t)
	tpl.HasResourceProperties(t, dbInstance, map[string]any{
		"Engine": "postgres", "MonitoringInterval": assertions.Match_Absent(), "MonitoringRoleArn": assertions.Match_Absent(),
		"EnablePerformanceInsights": false, "PerformanceInsightsRetentionPeriod": assertions.Match_Absent(),
	})
	tpl.HasResourceProperties(t, dbInstance, map[string]any{"Engine": "mariadb", "MonitoringInterval": 60, "EnablePerformanceInsights": true})
	tpl.ResourceCountIs(t, "AWS::IAM::Role", 3) // the fleet's, MariaDB's monitoring role, LogRetention's
}

func TestCustomerKeyEncryptsStorageInsightsAndTheSecret(t *testing.T) {
	tpl := keyed(t)
	key := map[string]any{"Fn::GetAtt": []any{"Key961B73FD", "Arn"}}
	tpl.HasResource(t, dbInstance, map[string]any{
		"Properties": assertions.Match_ObjectLike(&map[string]any{
			"StorageEncrypted": true, "KmsKeyId": key,
			"EnablePerformanceInsights": true, "PerformanceInsightsKMSKeyId": key, "PerformanceInsightsRetentionPeriod": 7,
			"MonitoringInterval": 10,
		}),
		"DeletionPolicy": "Snapshot",
	})
	tpl.HasResourceProperties(t, secret, map[string]any{"KmsKeyId": key})
	if _, ok := tpl.Resources(dbInstance)[instanceID]; !ok {
		t.Errorf("the key changed the instance's logical ID")
	}
}

func TestSecretReadWithACustomerKeyDecryptsThroughSecretsManagerOnly(t *testing.T) {
	var decrypt []string
	for _, p := range keyed(t).Resources(policy) {
		if !strings.Contains(cdktest.JSON(p["Properties"].(map[string]any)["Roles"]), "AppRole") {
			continue
		}
		for _, s := range p["Properties"].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			if st := s.(map[string]any); strings.Contains(cdktest.JSON(st["Action"]), "kms:") {
				decrypt = append(decrypt, cdktest.JSON(st))
			}
		}
	}
	want := `{"Action":"kms:Decrypt","Condition":{"StringEquals":{"kms:EncryptionContext:SecretARN":{"Ref":"` + attachID + `"},"kms:ViaService":"secretsmanager.us-east-1.amazonaws.com"}},"Effect":"Allow","Resource":{"Fn::GetAtt":["Key961B73FD","Arn"]}}`
	if len(decrypt) != 1 || decrypt[0] != want {
		t.Errorf("key statements %v, want only %s", decrypt, want)
	}
	keyed(t).HasResourceProperties(t, policy, map[string]any{
		"Roles": []any{map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^AppRole"))}},
		"PolicyDocument": assertions.Match_ObjectLike(&map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{map[string]any{
			"Action": []any{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"}, "Effect": "Allow", "Resource": map[string]any{"Ref": attachID},
		}})}),
	})
	// On the role's policy, not the key's: a key from a shared stack would
	// otherwise refer back to the role's stack.
	if kp := cdktest.JSON(keyed(t).Resources("AWS::KMS::Key")["Key961B73FD"]); strings.Contains(kp, "AppRole") {
		t.Errorf("the key's policy names the role: %s", kp)
	}
}

func TestPostgreSQLExportsItsLogsWithoutAnOptionGroup(t *testing.T) {
	others(t).HasResourceProperties(t, dbInstance, map[string]any{
		"Engine":                      "postgres",
		"EngineVersion":               assertions.Match_StringLikeRegexp(jsii.String(`^17\.[0-9]+$`)),
		"Port":                        "5433",
		"EnableCloudwatchLogsExports": []string{"postgresql", "upgrade"},
		"OptionGroupName":             assertions.Match_Absent(),
	})
}

func TestPostgreSQLForcesTLS(t *testing.T) {
	others(t).HasResourceProperties(t, "AWS::RDS::DBParameterGroup", map[string]any{
		"Family":     "postgres17",
		"Parameters": map[string]any{"rds.force_ssl": "1", "log_min_duration_statement": "2000"},
	})
}

func TestSizeAndRetentionPropsAreApplied(t *testing.T) {
	tpl := others(t)
	tpl.HasResourceProperties(t, dbInstance, map[string]any{
		"Engine": "postgres", "DBInstanceClass": "db.m7g.large", "AllocatedStorage": "50", "MaxAllocatedStorage": 200,
		"BackupRetentionPeriod": 14, "MultiAZ": true, "StorageEncrypted": true,
	})
	tpl.HasResourceProperties(t, "Custom::LogRetention", map[string]any{
		"LogGroupName":    map[string]any{"Fn::Join": []any{"", []any{"/aws/rds/instance/", map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^PostgresInstance"))}, "/postgresql"}}},
		"RetentionInDays": 180,
	})
}

func TestDisabledDeletionProtectionStillSnapshotsAndIsAcknowledged(t *testing.T) {
	others(t).HasResource(t, dbInstance, map[string]any{
		"Properties":          assertions.Match_ObjectLike(&map[string]any{"Engine": "postgres", "DeletionProtection": false}),
		"DeletionPolicy":      "Snapshot",
		"UpdateReplacePolicy": "Snapshot",
		"Metadata": map[string]any{"cdk_nag": map[string]any{"rules_to_suppress": assertions.Match_ArrayWith(&[]any{
			assertions.Match_ObjectLike(&map[string]any{"id": "AwsSolutions-RDS10"}),
		})}},
	})
}

func TestMariaDBDefaults(t *testing.T) {
	tpl := others(t)
	tpl.HasResourceProperties(t, dbInstance, map[string]any{
		"Engine":                      "mariadb",
		"EngineVersion":               assertions.Match_StringLikeRegexp(jsii.String(`^11\.8\.[0-9]+$`)),
		"Port":                        "3307",
		"DeletionProtection":          true,
		"EnableCloudwatchLogsExports": []string{"error", "general", "slowquery", "audit"},
	})
	tpl.HasResourceProperties(t, "AWS::RDS::OptionGroup", map[string]any{
		"EngineName": "mariadb", "MajorEngineVersion": "11.8",
		"OptionConfigurations": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{"OptionName": "MARIADB_AUDIT_PLUGIN"})}),
	})
	tpl.HasResourceProperties(t, "AWS::RDS::DBParameterGroup", map[string]any{
		"Family":     "mariadb11.8",
		"Parameters": assertions.Match_ObjectLike(&map[string]any{"require_secure_transport": "1"}),
	})
}

func TestEachDatabaseAcceptsTheFleetOnItsOwnPort(t *testing.T) {
	tpl := others(t)
	for _, port := range []int{5433, 3307} {
		tpl.HasResourceProperties(t, ingress, map[string]any{
			"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
			"SourceSecurityGroupId": map[string]any{"Fn::GetAtt": []any{assertions.Match_StringLikeRegexp(jsii.String("^Fleet")), "GroupId"}},
		})
	}
}

func TestExistingDatabaseCreatesNothing(t *testing.T) {
	tpl := existingTemplate(t)
	for _, typ := range []string{dbInstance, secret, "AWS::RDS::DBParameterGroup", "AWS::RDS::OptionGroup", "AWS::RDS::DBSubnetGroup", "Custom::LogRetention"} {
		tpl.ResourceCountIs(t, typ, 0)
	}
	tpl.ResourceCountIs(t, "AWS::EC2::SecurityGroup", 1) // the fleet's
}

func TestExistingDatabaseAcceptsTheFleetOnItsPort(t *testing.T) {
	tpl := existingTemplate(t)
	tpl.ResourceCountIs(t, ingress, 1)
	tpl.HasResourceProperties(t, ingress, map[string]any{
		"GroupId": existingSG, "IpProtocol": "tcp", "FromPort": 3307, "ToPort": 3307,
		"SourceSecurityGroupId": map[string]any{"Fn::GetAtt": []any{assertions.Match_StringLikeRegexp(jsii.String("^Fleet")), "GroupId"}},
	})
}

func TestExistingSecretReadIsGrantedOnThatSecretOnly(t *testing.T) {
	checkSecretGrant(t, existingTemplate(t), existingSecret)
}

func TestExistingAccessorsReturnTheGivenValues(t *testing.T) {
	existingTemplate(t)
	if existing.Instance() != existingInstance || existing.Secret() != existingSecretV {
		t.Error("Instance and Secret must be the given ones")
	}
	if existing.Engine() != database.MariaDB || existing.Port() != 3307 || existing.SecurityGroup() != nil {
		t.Errorf("Engine %q Port %d SecurityGroup %v; want mariadb 3307 nil", existing.Engine(), existing.Port(), existing.SecurityGroup())
	}
	if existing.Endpoint() != "app-db.abcdefghijkl.us-east-1.rds.amazonaws.com" {
		t.Errorf("Endpoint %q; want the given address", existing.Endpoint())
	}
}

func TestRestoredDatabaseKeepsTheLogicalIDsOfACreatedOne(t *testing.T) {
	tpl := restored(t)
	for id, typ := range map[string]string{
		instanceID: dbInstance, dbSGID: "AWS::EC2::SecurityGroup", subnetsID: "AWS::RDS::DBSubnetGroup",
		paramsID: "AWS::RDS::DBParameterGroup", optionsID: "AWS::RDS::OptionGroup",
		restoredSecretID: secret,
	} {
		if _, ok := tpl.Resources(typ)[id]; !ok {
			t.Errorf("no %s with logical ID %s: a restored database must keep a created one's IDs", typ, id)
		}
	}
}

func TestRestoredDatabaseKeepsItsSnapshotIdentifier(t *testing.T) {
	// Removing or changing it would make CloudFormation replace the database.
	restored(t).HasResourceProperties(t, dbInstance, map[string]any{"DBSnapshotIdentifier": snapshotARN})
}

func TestRestoredDatabaseIsSnapshottedAndProtected(t *testing.T) {
	restored(t).HasResource(t, dbInstance, map[string]any{
		"Properties":     assertions.Match_ObjectLike(&map[string]any{"DeletionProtection": true}),
		"DeletionPolicy": "Snapshot", "UpdateReplacePolicy": "Snapshot",
	})
}

func TestRestoredDatabaseIsMultiAZPrivateAndTLSOnly(t *testing.T) {
	restored(t).HasResourceProperties(t, dbInstance, map[string]any{
		"MultiAZ": true, "PubliclyAccessible": false, "Port": "3307",
		"DBParameterGroupName": map[string]any{"Ref": paramsID}, "CACertificateIdentifier": "rds-ca-rsa2048-g1",
		"DBSubnetGroupName": map[string]any{"Ref": subnetsID},
		"VPCSecurityGroups": []any{map[string]any{"Fn::GetAtt": []any{dbSGID, "GroupId"}}},
	})
}

func TestRestoredDatabaseExportsLogsIsMonitoredAndBackedUp(t *testing.T) {
	restored(t).HasResourceProperties(t, dbInstance, map[string]any{
		"EnableCloudwatchLogsExports": []string{"error", "general", "slowquery", "audit"},
		"OptionGroupName":             map[string]any{"Ref": optionsID},
		"MonitoringInterval":          60, "EnablePerformanceInsights": true, "PerformanceInsightsRetentionPeriod": 7,
		"BackupRetentionPeriod": 7, "CopyTagsToSnapshot": true, "AutoMinorVersionUpgrade": true,
	})
}

func TestRestoredDatabaseTakesEncryptionUserAndNameFromTheSnapshot(t *testing.T) {
	// CloudFormation refuses these on a restore: the snapshot has them.
	restored(t).HasResourceProperties(t, dbInstance, map[string]any{
		"StorageEncrypted": assertions.Match_Absent(), "KmsKeyId": assertions.Match_Absent(),
		"PerformanceInsightsKMSKeyId": assertions.Match_Absent(),
		"MasterUsername":              assertions.Match_Absent(), "DBName": assertions.Match_Absent(),
	})
}

func TestRestoredDatabaseGetsANewPasswordFromItsSecret(t *testing.T) {
	restored(t).HasResourceProperties(t, dbInstance, map[string]any{
		"MasterUserPassword": map[string]any{"Fn::Join": []any{"", assertions.Match_ArrayWith(&[]any{
			"{{resolve:secretsmanager:", map[string]any{"Ref": restoredSecretID},
		})}},
	})
}

func TestRestoredDatabaseSecretNamesTheSnapshotsUserAndDatabaseUnderTheKey(t *testing.T) {
	restored(t).HasResourceProperties(t, secret, map[string]any{
		"GenerateSecretString": assertions.Match_ObjectLike(&map[string]any{"SecretStringTemplate": `{"username":"admin","dbname":"laravel"}`}),
		"KmsKeyId":             map[string]any{"Fn::GetAtt": []any{"Key961B73FD", "Arn"}},
	})
}

func TestAllowFromRefusesAPeerWithoutSecurityGroups(t *testing.T) {
	stack := scratch(t)
	inst := awsrds.DatabaseInstance_FromDatabaseInstanceAttributes(stack, jsii.String("DB"), &awsrds.DatabaseInstanceAttributes{
		InstanceIdentifier: jsii.String("db"), InstanceEndpointAddress: jsii.String("db.example.com"), Port: jsii.Number(3307),
		SecurityGroups: &[]awsec2.ISecurityGroup{},
	})
	db := database.New(stack, "Database", &database.Props{Existing: &database.Existing{
		Instance: inst, Secret: awssecretsmanager.Secret_FromSecretCompleteArn(stack, jsii.String("S"), jsii.String(existingSecret)),
	}})
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "database Database: AllowFrom: the peer has no security group") {
			t.Errorf("got %v, want a panic refusing a CIDR-only peer", r)
		}
	}()
	db.AllowFrom(awsec2.NewConnections(&awsec2.ConnectionsProps{Peer: awsec2.Peer_AnyIpv4()}))
}

func TestInvalidProps(t *testing.T) {
	stack := scratch(t)
	vpc := importedVpc(stack)
	inst := awsrds.DatabaseInstance_FromDatabaseInstanceAttributes(stack, jsii.String("DB"), &awsrds.DatabaseInstanceAttributes{
		InstanceIdentifier: jsii.String("db"), InstanceEndpointAddress: jsii.String("db.example.com"), Port: jsii.Number(3307),
		SecurityGroups: &[]awsec2.ISecurityGroup{},
	})
	cases := []struct {
		name  string
		props database.Props
		want  string
	}{
		{"no vpc", database.Props{}, "Vpc: missing; required to create a database (or set Existing)"},
		{"default admin user", database.Props{Vpc: vpc, Username: "admin"}, `Username: "admin" is a default or reserved user name (Security Hub RDS.25)`},
		{"reserved user in capitals", database.Props{Vpc: vpc, Username: "Postgres"}, `Username: "Postgres" is a default or reserved user name`},
		{"user name too long", database.Props{Vpc: vpc, Username: "tierkit_administrator"}, `Username: "tierkit_administrator" is not an RDS master user name`},
		{"too little storage", database.Props{Vpc: vpc, AllocatedStorageGiB: 10}, "AllocatedStorageGiB: 10 is out of range; allowed: 20 to 65536"},
		{"too much storage", database.Props{Vpc: vpc, AllocatedStorageGiB: 70000}, "AllocatedStorageGiB: 70000 is out of range"},
		{"max storage below allocated", database.Props{Vpc: vpc, AllocatedStorageGiB: 100, MaxAllocatedStorageGiB: 50}, "MaxAllocatedStorageGiB: 50 is out of range; allowed: 110 (10% above AllocatedStorageGiB 100, as RDS requires) to 65536"},
		{"max storage equal to allocated", database.Props{Vpc: vpc, AllocatedStorageGiB: 100, MaxAllocatedStorageGiB: 100}, "MaxAllocatedStorageGiB: 100 is out of range; allowed: 110"},
		{"max storage below the default allocation", database.Props{Vpc: vpc, MaxAllocatedStorageGiB: 21}, "MaxAllocatedStorageGiB: 21 is out of range; allowed: 22 (10% above AllocatedStorageGiB 20"},
		{"backups kept 3 days", database.Props{Vpc: vpc, BackupRetentionDays: 3}, "BackupRetentionDays: 3 is out of range; allowed: 7 to 35"},
		{"backups kept 36 days", database.Props{Vpc: vpc, BackupRetentionDays: 36}, "BackupRetentionDays: 36 is out of range"},
		{"instance class with db. prefix", database.Props{Vpc: vpc, InstanceType: "db.t3.medium"}, `InstanceType: "db.t3.medium" is not an RDS instance class; allowed: family.size without the "db." prefix`},
		{"instance class without size", database.Props{Vpc: vpc, InstanceType: "t3"}, `InstanceType: "t3" is not an RDS instance class`},
		{"unknown engine", database.Props{Vpc: vpc, Engine: "oracle"}, `Engine: "oracle" is not supported; allowed: "mysql", "mariadb", "postgres"`},
		{"major-only MySQL version", database.Props{Vpc: vpc, EngineVersion: "8.4"}, `EngineVersion: "8.4" is not a full mysql version; allowed: major.minor.patch`},
		{"major-only PostgreSQL version", database.Props{Vpc: vpc, Engine: database.Postgres, EngineVersion: "17"}, `EngineVersion: "17" is not a full PostgreSQL version; allowed: major.minor`},
		{"MySQL default port", database.Props{Vpc: vpc, Port: 3306}, "Port: 3306 is the mysql default port (cdk-nag RDS11)"},
		{"PostgreSQL default port", database.Props{Vpc: vpc, Engine: database.Postgres, Port: 5432}, "Port: 5432 is the postgres default port"},
		{"privileged port", database.Props{Vpc: vpc, Port: 443}, "Port: 443 is out of range; allowed: 1150 to 65535"},
		{"database name with a hyphen", database.Props{Vpc: vpc, DatabaseName: "my-app"}, `DatabaseName: "my-app" is not a database name`},
		{"logs kept forever", database.Props{Vpc: vpc, LogRetention: awslogs.RetentionDays_INFINITE}, "LogRetention: INFINITE keeps logs forever"},
		{"unknown retention", database.Props{Vpc: vpc, LogRetention: "FOREVER"}, `LogRetention: "FOREVER" is not an awslogs.RetentionDays`},
		{"existing without secret", database.Props{Existing: &database.Existing{Instance: inst}}, "Existing.Secret: missing; required when Existing is set"},
		{"existing without instance", database.Props{Existing: &database.Existing{}}, "Existing.Instance: missing; required when Existing is set"},
		{"existing with unknown engine", database.Props{Existing: &database.Existing{Engine: "aurora"}}, `Existing.Engine: "aurora" is not supported`},
		{"monitoring interval not offered", database.Props{Vpc: vpc, MonitoringInterval: 2 * time.Second}, "MonitoringInterval: 2s is not an Enhanced Monitoring interval; allowed: 1s, 5s, 10s, 15s, 30s, 1m0s"},
		{"monitoring interval too long", database.Props{Vpc: vpc, MonitoringInterval: 5 * time.Minute}, "MonitoringInterval: 5m0s is not an Enhanced Monitoring interval"},
		{"monitoring interval while disabled", database.Props{Vpc: vpc, MonitoringInterval: 10 * time.Second, DisableEnhancedMonitoring: true}, "MonitoringInterval: set with DisableEnhancedMonitoring"},
		{"MySQL on t3.micro with Performance Insights", database.Props{Vpc: vpc, InstanceType: "t3.micro"}, `InstanceType: "t3.micro" does not support Performance Insights with mysql`},
		{"MariaDB on t4g.small with Performance Insights", database.Props{Vpc: vpc, Engine: database.MariaDB, InstanceType: "t4g.small"}, `InstanceType: "t4g.small" does not support Performance Insights with mariadb (RDS supports it on neither micro nor small of t2, t3, t4g); allowed: a larger class, e.g. t3.medium, or set DisablePerformanceInsights`},
		{"existing with a key", database.Props{Existing: &database.Existing{Instance: inst}, EncryptionKey: awskms.Key_FromKeyArn(stack, jsii.String("K"), jsii.String("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"))}, "EncryptionKey: set with Existing"},
		{"snapshot with existing", database.Props{Existing: &database.Existing{Instance: inst}, SnapshotIdentifier: "app-final"}, "SnapshotIdentifier: set with Existing"},
		{"cluster snapshot", database.Props{Vpc: vpc, SnapshotIdentifier: "arn:aws:rds:us-east-1:123456789012:cluster-snapshot:app"}, `SnapshotIdentifier: "arn:aws:rds:us-east-1:123456789012:cluster-snapshot:app" is not a DB snapshot name or ARN`},
		{"snapshot name with a trailing hyphen", database.Props{Vpc: vpc, SnapshotIdentifier: "app-"}, `SnapshotIdentifier: "app-" is not a DB snapshot name or ARN`},
		{"reserved user without a snapshot", database.Props{Vpc: vpc, Username: "admin", DatabaseName: "laravel"}, `Username: "admin" is a default or reserved user name`},
		{"every problem at once", database.Props{Username: "root", BackupRetentionDays: 1}, "Vpc: missing; required to create a database (or set Existing); Username: \"root\" is a default or reserved user name (Security Hub RDS.25); allowed: any other name, e.g. \"tierkit_admin\"; BackupRetentionDays: 1 is out of range"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.props.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestValidProps(t *testing.T) {
	stack := scratch(t)
	vpc := importedVpc(stack)
	for name, p := range map[string]database.Props{
		"defaults":                      {Vpc: vpc},
		"PostgreSQL on the MySQL port":  {Vpc: vpc, Engine: database.Postgres, Port: 3306, EngineVersion: "17.9"},
		"largest storage, no autoscale": {Vpc: vpc, AllocatedStorageGiB: 65536},
		"graviton class":                {Vpc: vpc, InstanceType: "r7g.2xlarge", DatabaseName: "nextcloud", Username: "nc_admin"},
		"PostgreSQL on t3.micro":        {Vpc: vpc, Engine: database.Postgres, InstanceType: "t3.micro"},
		"MySQL on t3.micro without PI":  {Vpc: vpc, InstanceType: "t3.micro", DisablePerformanceInsights: true},
		"every second":                  {Vpc: vpc, MonitoringInterval: time.Second},
		"no Enhanced Monitoring":        {Vpc: vpc, DisableEnhancedMonitoring: true},
		"snapshot's own admin user":     {Vpc: vpc, SnapshotIdentifier: "app-final-2026-12-01", Username: "admin"},
		"automated snapshot":            {Vpc: vpc, SnapshotIdentifier: "rds:app-db-2026-12-01-03-10"},
		"existing without a vpc": {Existing: &database.Existing{
			Instance: awsrds.DatabaseInstance_FromDatabaseInstanceAttributes(stack, jsii.String("DB"), &awsrds.DatabaseInstanceAttributes{
				InstanceIdentifier: jsii.String("db"), InstanceEndpointAddress: jsii.String("db.example.com"), Port: jsii.Number(3307), SecurityGroups: &[]awsec2.ISecurityGroup{},
			}),
			Secret: awssecretsmanager.Secret_FromSecretCompleteArn(stack, jsii.String("S"), jsii.String(existingSecret)),
		}},
	} {
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestNewPanicsWithTheConstructIDOnInvalidProps(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(r.(string), "database Database: Vpc: missing") {
			t.Errorf("got %v, want a panic naming the construct and the field", r)
		}
	}()
	database.New(scratch(t), "Database", &database.Props{})
}

func TestCABundleStepFetchesTheRDSAuthoritiesToTheirFile(t *testing.T) {
	step := database.CABundleStep()
	for _, want := range []string{"url='" + database.CABundleURL + "'", `file="$ROOT"'` + database.CABundleFile + "'", "BEGIN CERTIFICATE"} {
		if !strings.Contains(step, want) {
			t.Errorf("the step lacks %s:\n%s", want, step)
		}
	}
	if strings.Contains(step, "\n#") || strings.Contains(step, "{{") {
		t.Errorf("the step carries comment lines or template actions into the user data:\n%s", step)
	}
}
