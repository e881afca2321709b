package review

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// parse reads a template written as JSON.
func parse(t *testing.T, js string) Template {
	t.Helper()
	var tpl Template
	if err := json.Unmarshal([]byte(js), &tpl); err != nil {
		t.Fatal(err)
	}
	return tpl
}

// protectionOf is the protection row of resource id in a stack of template js
// whose stack tags are tags.
func protectionOf(t *testing.T, js string, tags map[string]string, id string) protection {
	t.Helper()
	for _, p := range protections(Stack{Name: "dev-app", Template: parse(t, js), Tags: tags}) {
		if p.ID == id {
			return p
		}
	}
	t.Fatalf("no protection row for %s", id)
	return protection{}
}

func wantProtection(t *testing.T, got, want protection) {
	t.Helper()
	if got != want {
		t.Errorf("%s:\n got  %+v\n want %+v", want.ID, got, want)
	}
}

// plan is a backup plan "Plan": daily kept 35 days with continuous backup,
// monthly kept a year, the monthly one copied to another region and account.
const plan = `"Plan": {"Type": "AWS::Backup::BackupPlan", "Properties": {"BackupPlan": {"BackupPlanName": "p", "BackupPlanRule": [
    {"RuleName": "Daily", "TargetBackupVault": "v", "ScheduleExpression": "cron(0 5 * * ? *)",
     "Lifecycle": {"DeleteAfterDays": 35}, "EnableContinuousBackup": true},
    {"RuleName": "Monthly", "TargetBackupVault": "v", "ScheduleExpression": "cron(0 5 1 * ? *)", "Lifecycle": {"DeleteAfterDays": 365},
     "CopyActions": [{"DestinationBackupVaultArn": "arn:aws:backup:eu-west-1:210987654321:backup-vault:dr", "Lifecycle": {"DeleteAfterDays": 90}}]}]}}}`

// selection is a BackupSelection of Plan listing the given entries.
func selection(entries string) string {
	return `"Selection": {"Type": "AWS::Backup::BackupSelection", "Properties": {"BackupPlanId": {"Fn::GetAtt": ["Plan", "BackupPlanId"]},
    "BackupSelection": {"SelectionName": "s", "IamRoleArn": "arn:aws:iam::1:role/backup", "Resources": [` + entries + `]}}}`
}

func TestProtectionOfAVersionedBucketInABackupPlan(t *testing.T) {
	js := `{"Resources": {` + plan + `, ` + selection(`{"Fn::GetAtt": ["Uploads", "Arn"]}`) + `,
  "Uploads": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain", "Properties": {
    "VersioningConfiguration": {"Status": "Enabled"},
    "LifecycleConfiguration": {"Rules": [{"Id": "old", "Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}]},
    "BucketEncryption": {"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]}}},
  "Logs": {"Type": "AWS::S3::Bucket", "Properties": {
    "BucketEncryption": {"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}}}
}}`
	wantProtection(t, protectionOf(t, js, nil, "Uploads"), protection{
		ID:          "Uploads",
		Backup:      "AWS Backup plan Plan: daily 35 d, monthly 365 d, continuous; versioning (noncurrent kept 30 d)",
		Retention:   "Retain",
		Encryption:  "AWS managed (aws/s3)",
		Replication: "backup copy to eu-west-1, account 210987654321, vault dr, kept 90 d",
	})
	wantProtection(t, protectionOf(t, js, nil, "Logs"), protection{ID: "Logs", Backup: "none", Retention: "Delete", Encryption: "SSE-S3", Replication: "none"})
}

func TestProtectionOfADatabaseWithAutomatedBackupsOnly(t *testing.T) {
	js := `{"Resources": {
  "Database": {"Type": "AWS::RDS::DBInstance", "DeletionPolicy": "Snapshot", "UpdateReplacePolicy": "Delete", "Properties": {
    "Engine": "mysql", "BackupRetentionPeriod": 7, "StorageEncrypted": true, "DeletionProtection": true}},
  "Defaults": {"Type": "AWS::RDS::DBInstance", "Properties": {"Engine": "postgres"}}
}}`
	wantProtection(t, protectionOf(t, js, nil, "Database"), protection{
		ID:          "Database",
		Backup:      "RDS automated backups 7 d",
		Retention:   "delete: Snapshot, replace: Delete, deletion protection",
		Encryption:  "AWS managed (aws/rds)",
		Replication: "none",
	})
	// CloudFormation's defaults: one day of backups, unencrypted.
	wantProtection(t, protectionOf(t, js, nil, "Defaults"), protection{
		ID: "Defaults", Backup: "RDS automated backups 1 d", Retention: "Delete", Encryption: "none", Replication: "none",
	})
}

func TestProtectionNamesTheEncryptionKey(t *testing.T) {
	js := `{"Resources": {
  "Key": {"Type": "AWS::KMS::Key", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain", "Properties": {"EnableKeyRotation": true}},
  "KeyAlias": {"Type": "AWS::KMS::Alias", "Properties": {"AliasName": "alias/data", "TargetKeyId": {"Ref": "Key"}}},
  "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketEncryption": {"ServerSideEncryptionConfiguration": [
    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"Fn::GetAtt": ["Key", "Arn"]}}}]}}},
  "Database": {"Type": "AWS::RDS::DBInstance", "Properties": {"StorageEncrypted": true, "KmsKeyId": {"Ref": "Key"}}},
  "Secret": {"Type": "AWS::SecretsManager::Secret", "Properties": {"KmsKeyId": {"Ref": "KeyAlias"}}},
  "Imported": {"Type": "AWS::Logs::LogGroup", "Properties": {"KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/abcd"}},
  "Managed": {"Type": "AWS::S3::Bucket", "Properties": {"BucketEncryption": {"ServerSideEncryptionConfiguration": [
    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/aws/s3"}}]}}},
  "Vault": {"Type": "AWS::Backup::BackupVault", "DeletionPolicy": "Retain", "Properties": {"BackupVaultName": "v"}},
  "KeyedVault": {"Type": "AWS::Backup::BackupVault", "DeletionPolicy": "Retain", "Properties": {"BackupVaultName": "k", "EncryptionKeyArn": {"Fn::GetAtt": ["Key", "Arn"]}}}
}}`
	for id, want := range map[string]string{
		"Bucket":     "customer managed Key",
		"Database":   "customer managed Key",
		"Secret":     "customer managed Key",
		"Imported":   "customer managed arn:aws:kms:us-east-1:123456789012:key/abcd",
		"Managed":    "AWS managed (aws/s3)",
		"Key":        "n/a (key, rotation on)",
		"Vault":      "AWS managed (aws/backup)",
		"KeyedVault": "customer managed Key",
	} {
		if got := protectionOf(t, js, nil, id).Encryption; got != want {
			t.Errorf("%s: encryption %q, want %q", id, got, want)
		}
	}
}

func TestProtectionListsReplication(t *testing.T) {
	js := `{"Resources": {` + plan + `, ` + selection(`{"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":rds:", {"Ref": "AWS::Region"}, ":", {"Ref": "AWS::AccountId"}, ":db:", {"Ref": "Database"}]]}`) + `,
  "Uploads": {"Type": "AWS::S3::Bucket", "Properties": {"VersioningConfiguration": {"Status": "Enabled"}, "ReplicationConfiguration": {"Role": "r", "Rules": [
    {"Status": "Enabled", "Destination": {"Bucket": {"Fn::GetAtt": ["Copy", "Arn"]}}},
    {"Status": "Enabled", "Destination": {"Bucket": "arn:aws:s3:::dr-uploads", "Account": "210987654321"}}]}}},
  "Copy": {"Type": "AWS::S3::Bucket"},
  "Database": {"Type": "AWS::RDS::DBInstance", "Properties": {"MultiAZ": true, "StorageEncrypted": true}},
  "Reader": {"Type": "AWS::RDS::DBInstance", "Properties": {"SourceDBInstanceIdentifier": {"Ref": "Database"}}}
}}`
	for id, want := range map[string]string{
		"Uploads":  "S3 replication to Copy; S3 replication to dr-uploads (account 210987654321)",
		"Database": "Multi-AZ standby; read replica Reader; backup copy to eu-west-1, account 210987654321, vault dr, kept 90 d",
		"Reader":   "read replica of Database",
		"Copy":     "none",
	} {
		if got := protectionOf(t, js, nil, id).Replication; got != want {
			t.Errorf("%s: replication %q, want %q", id, got, want)
		}
	}
	if got := protectionOf(t, js, nil, "Reader").Backup; got != "none" {
		t.Errorf("a read replica's backup: %q, want none", got)
	}
}

func TestProtectionReadsBackupSelectionsByTag(t *testing.T) {
	// Tagged is selected by its own tag; both it and Untagged by the stack's
	// tag, which CloudFormation gives every resource; never a key, which AWS
	// Backup does not back up.
	js := `{"Resources": {
  "Daily": {"Type": "AWS::Backup::BackupPlan", "Properties": {"BackupPlan": {"BackupPlanName": "d", "BackupPlanRule": [
    {"RuleName": "d", "TargetBackupVault": "v", "Lifecycle": {"DeleteAfterDays": 7}}]}}},
  "DailySelection": {"Type": "AWS::Backup::BackupSelection", "Properties": {"BackupPlanId": {"Ref": "Daily"},
    "BackupSelection": {"SelectionName": "d", "IamRoleArn": "r", "ListOfTags": [{"ConditionType": "STRINGEQUALS", "ConditionKey": "backup", "ConditionValue": "daily"}]}}},
  "Weekly": {"Type": "AWS::Backup::BackupPlan", "Properties": {"BackupPlan": {"BackupPlanName": "w", "BackupPlanRule": [
    {"RuleName": "w", "TargetBackupVault": "v", "ScheduleExpression": "cron(0 5 ? * SAT *)", "Lifecycle": {"DeleteAfterDays": 28}}]}}},
  "WeeklySelection": {"Type": "AWS::Backup::BackupSelection", "Properties": {"BackupPlanId": {"Ref": "Weekly"},
    "BackupSelection": {"SelectionName": "w", "IamRoleArn": "r", "Resources": ["*"],
      "Conditions": {"StringEquals": [{"ConditionKey": "aws:ResourceTag/tierkit:environment", "ConditionValue": "dev"}]}}}},
  "Tagged": {"Type": "AWS::DynamoDB::Table", "Properties": {"Tags": [{"Key": "backup", "Value": "daily"}]}},
  "Untagged": {"Type": "AWS::S3::Bucket"},
  "Key": {"Type": "AWS::KMS::Key", "Properties": {"Tags": [{"Key": "backup", "Value": "daily"}]}}
}}`
	tags := map[string]string{EnvironmentTag: "dev"}
	for id, want := range map[string]string{
		"Tagged":   "AWS Backup plan Daily: daily 7 d; AWS Backup plan Weekly: weekly 28 d",
		"Untagged": "AWS Backup plan Weekly: weekly 28 d",
		"Key":      "none",
	} {
		if got := protectionOf(t, js, tags, id).Backup; got != want {
			t.Errorf("%s: backup %q, want %q", id, got, want)
		}
	}
	if got := protectionOf(t, js, map[string]string{EnvironmentTag: "prod"}, "Untagged").Backup; got != "none" {
		t.Errorf("in another environment: backup %q, want none", got)
	}
}

func TestProtectionOfUnknownShapesIsAQuestionMark(t *testing.T) {
	js := `{"Resources": {` + plan + `, ` + selection(`{"Fn::ImportValue": "shared-arn"}`) + `,
  "Bucket": {"Type": "AWS::S3::Bucket", "DeletionPolicy": {"Fn::If": ["Prod", "Retain", "Delete"]}, "Properties": {
    "BucketEncryption": {"Fn::If": ["Prod", {}, {}]}, "VersioningConfiguration": {"Status": {"Ref": "Versioning"}}}},
  "Database": {"Type": "AWS::RDS::DBInstance", "Properties": {"BackupRetentionPeriod": {"Fn::If": ["Prod", 7, 1]},
    "StorageEncrypted": {"Fn::If": ["Prod", true, false]}, "MultiAZ": {"Ref": "MultiAZ"}}}
}}`
	wantProtection(t, protectionOf(t, js, nil, "Bucket"), protection{
		ID: "Bucket", Backup: "? (AWS Backup selection Selection); versioning ?", Retention: "delete: ?, replace: Delete", Encryption: "?", Replication: "none",
	})
	wantProtection(t, protectionOf(t, js, nil, "Database"), protection{
		ID: "Database", Backup: "? (AWS Backup selection Selection); RDS automated backups ? d", Retention: "Delete", Encryption: "?", Replication: "Multi-AZ ?",
	})
	// And the report is written.
	f := newFixture(t, map[string]string{"dev-app": js}, nil)
	if err := Write(&bytes.Buffer{}, f.run(t, nil)); err != nil {
		t.Fatal(err)
	}
}

func TestReportHasAProtectionRowPerStatefulResource(t *testing.T) {
	r := newFixture(t, map[string]string{"dev-app": base}, map[string]string{"dev-app": base}).run(t, nil)
	var b bytes.Buffer
	if err := Write(&b, r); err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(b.String(), "#### "+SectionProtection+"\n\n")
	section, _, _ = strings.Cut(section, "\n\n")
	want := strings.Join([]string{
		"| resource | retention | encryption          | replication      | backup |",
		"| -------- | --------- | ------------------- | ---------------- | --- |",
		"| Database | Snapshot  | none                | Multi-AZ standby | RDS automated backups 1 d |",
		"| Uploads  | Retain    | SSE-S3 (S3 default) | none             | none |",
	}, "\n")
	if section != want {
		t.Errorf("protection section:\n%s\nwant\n%s", section, want)
	}
}
