package backup_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbackup"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/backup"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// Logical IDs of the block with id "Backup": part of the contract. Renaming
// "Vault" would create a new, empty vault; the plan and the selection carry
// the schedule and what is covered.
const (
	vaultID     = "BackupVaultADF21B19"
	planID      = "BackupPlan14914BEB"
	selectionID = "BackupSelection0A53CCAA"
	roleID      = "BackupRole4CD139C5"
)

// The AWS managed policies of the backup role, as deployed.
var wantPolicies = []string{
	"arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
	"arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
	"arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
	"arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore",
}

func TestLogicalIDsArePinned(t *testing.T) {
	tpl := template(t)
	for typ, want := range map[string]string{vaultType: vaultID, planType: planID, selectionType: selectionID, roleType: roleID} {
		if id, _ := one(t, tpl, typ); id != want {
			t.Errorf("%s has logical ID %s, want %s: a renamed construct replaces the resource", typ, id, want)
		}
	}
}

func TestVaultIsRetained(t *testing.T) {
	for name, tpl := range map[string]*cdktest.Template{"defaults": template(t), "options": optionsTemplate(t), "compliance": complianceTemplate(t)} {
		_, vault := one(t, tpl, vaultType)
		if vault["DeletionPolicy"] != "Retain" || vault["UpdateReplacePolicy"] != "Retain" {
			t.Errorf("%s: DeletionPolicy %v, UpdateReplacePolicy %v; want Retain", name, vault["DeletionPolicy"], vault["UpdateReplacePolicy"])
		}
	}
}

func TestDefaultPlanBacksUpDailyFor35DaysAndMonthlyForAYear(t *testing.T) {
	got := rules(t, template(t))
	want := map[string]struct {
		schedule string
		days     float64
	}{
		"Daily":   {"cron(0 5 * * ? *)", 35},
		"Monthly": {"cron(0 5 1 * ? *)", 365},
	}
	if len(got) != len(want) {
		t.Fatalf("rules %v, want Daily and Monthly", slices.Collect(func(yield func(string) bool) {
			for name := range got {
				yield(name)
			}
		}))
	}
	for name, w := range want {
		rule := got[name]
		if rule["ScheduleExpression"] != w.schedule {
			t.Errorf("%s: schedule %v, want %s (05:00 UTC)", name, rule["ScheduleExpression"], w.schedule)
		}
		if d := lifecycleDays(rule["Lifecycle"]); d != w.days {
			t.Errorf("%s: recovery points kept %v days, want %v", name, d, w.days)
		}
		if vault := cdktest.JSON(rule["TargetBackupVault"]); vault != `{"Fn::GetAtt":["`+vaultID+`","BackupVaultName"]}` {
			t.Errorf("%s: target vault %s, want the block's vault", name, vault)
		}
	}
}

func TestRetentionsAreTheGivenOnes(t *testing.T) {
	got := rules(t, optionsTemplate(t))
	for name, want := range map[string]float64{"Daily": 14, "Monthly": 730} {
		if d := lifecycleDays(got[name]["Lifecycle"]); d != want {
			t.Errorf("%s: recovery points kept %v days, want %v", name, d, want)
		}
	}
}

func TestNoRecoveryPointMovesToColdStorage(t *testing.T) {
	for name, tpl := range map[string]*cdktest.Template{"defaults": template(t), "options": optionsTemplate(t), "compliance": complianceTemplate(t)} {
		_, plan := one(t, tpl, planType)
		if s := cdktest.JSON(plan); strings.Contains(s, "MoveToColdStorage") || strings.Contains(s, "OptInToArchiveForSupportedResources") {
			t.Errorf("%s: the plan moves recovery points to cold storage: %s", name, s)
		}
	}
}

func TestContinuousBackupIsOnByDefaultOnTheDailyRule(t *testing.T) {
	got := rules(t, template(t))
	if got["Daily"]["EnableContinuousBackup"] != true {
		t.Errorf("Daily: EnableContinuousBackup %v, want true", got["Daily"]["EnableContinuousBackup"])
	}
	if c, set := got["Monthly"]["EnableContinuousBackup"]; set && c != false {
		t.Errorf("Monthly: EnableContinuousBackup %v; AWS Backup keeps one continuous backup per resource, on the daily rule", c)
	}
	if !defaults.ContinuousBackup() {
		t.Error("ContinuousBackup() is false for the defaults")
	}
}

func TestContinuousBackupIsOffWhenDisabled(t *testing.T) {
	for name, rule := range rules(t, optionsTemplate(t)) {
		if c, set := rule["EnableContinuousBackup"]; set && c != false {
			t.Errorf("%s: EnableContinuousBackup %v with DisableContinuousBackup", name, c)
		}
	}
	if options.ContinuousBackup() {
		t.Error("ContinuousBackup() is true with DisableContinuousBackup")
	}
}

func TestSelectionCoversExactlyTheGivenResources(t *testing.T) {
	_, selection := one(t, template(t), selectionType)
	s := cdktest.Props(selection)["BackupSelection"].(map[string]any)
	var got []string
	for _, r := range cdktest.AsList(s["Resources"]) {
		got = append(got, cdktest.Resolve(t, r, cdktest.FakeValue))
	}
	slices.Sort(got)
	if want := []string{wantDBArn, wantS3Arn}; !slices.Equal(got, want) {
		t.Errorf("the selection covers %v, want exactly %v", got, want)
	}
	for _, k := range []string{"ListOfTags", "Conditions", "NotResources"} {
		if v, set := s[k]; set {
			t.Errorf("the selection has %s %s: it must cover the given resources only", k, cdktest.JSON(v))
		}
	}
	if plan := cdktest.JSON(cdktest.Props(selection)["BackupPlanId"]); plan != `{"Fn::GetAtt":["`+planID+`","BackupPlanId"]}` {
		t.Errorf("the selection belongs to %s, want the block's plan", plan)
	}
}

func TestSelectionRoleCanBackUpAndRestoreRDSAndS3(t *testing.T) {
	tpl := template(t)
	_, selection := one(t, tpl, selectionType)
	if role := cdktest.JSON(cdktest.Props(selection)["BackupSelection"].(map[string]any)["IamRoleArn"]); role != `{"Fn::GetAtt":["`+roleID+`","Arn"]}` {
		t.Errorf("the selection uses role %s, want the block's role", role)
	}
	_, role := one(t, tpl, roleType)
	p := cdktest.Props(role)
	var got []string
	for _, arn := range cdktest.AsList(p["ManagedPolicyArns"]) {
		got = append(got, cdktest.Resolve(t, arn, cdktest.FakeValue))
	}
	if !slices.Equal(got, wantPolicies) {
		t.Errorf("the role has managed policies %v, want %v", got, wantPolicies)
	}
	if trust := cdktest.JSON(p["AssumeRolePolicyDocument"]); trust != `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"backup.amazonaws.com"}}],"Version":"2012-10-17"}` {
		t.Errorf("the role trusts %s, want AWS Backup only", trust)
	}
	if _, inline := p["Policies"]; inline || len(tpl.Resources("AWS::IAM::Policy")) > 0 {
		t.Error("the role has policies of its own; want the AWS managed ones only")
	}
}

func TestRoleManagedPoliciesAreAReviewedException(t *testing.T) {
	appliesTo := make([]any, 0, len(wantPolicies))
	for _, arn := range wantPolicies {
		appliesTo = append(appliesTo, "Policy::"+strings.Replace(arn, "arn:aws:", "arn:<AWS::Partition>:", 1))
	}
	template(t).HasResource(t, roleType, map[string]any{
		"Metadata": map[string]any{"cdk_nag": map[string]any{"rules_to_suppress": []any{map[string]any{
			"id":         "AwsSolutions-IAM4",
			"applies_to": appliesTo,
			"reason":     assertions.Match_StringLikeRegexp(jsii.String("Only backup.amazonaws.com can assume the role")),
		}}}},
	})
}

func TestVaultUsesTheAWSBackupManagedKeyByDefault(t *testing.T) {
	_, vault := one(t, template(t), vaultType)
	if key, set := cdktest.Props(vault)["EncryptionKeyArn"]; set {
		t.Errorf("the vault uses key %s, want none (the AWS Backup managed key)", cdktest.JSON(key))
	}
}

func TestVaultUsesTheCustomerKey(t *testing.T) {
	key := cdktest.LogicalID(t, optionsTemplate(t), "AWS::KMS::Key", "Key")
	_, vault := one(t, optionsTemplate(t), vaultType)
	if got := cdktest.JSON(cdktest.Props(vault)["EncryptionKeyArn"]); got != `{"Fn::GetAtt":["`+key+`","Arn"]}` {
		t.Errorf("the vault uses key %s, want the given key %s", got, key)
	}
}

func TestVaultIsNotLockedByDefault(t *testing.T) {
	_, vault := one(t, template(t), vaultType)
	if lock, set := cdktest.Props(vault)["LockConfiguration"]; set {
		t.Errorf("the vault is locked: %s", cdktest.JSON(lock))
	}
}

func TestVaultLockIsGovernanceModeBoundedByThePlanRetentions(t *testing.T) {
	_, vault := one(t, optionsTemplate(t), vaultType)
	// No ChangeableForDays: governance mode, the lock can be removed.
	if got := cdktest.JSON(cdktest.Props(vault)["LockConfiguration"]); got != `{"MaxRetentionDays":730,"MinRetentionDays":14}` {
		t.Errorf("lock %s; want governance mode from DailyRetention (14) to MonthlyRetention (730)", got)
	}
}

func TestVaultLockIsComplianceModeOnlyWhenAsked(t *testing.T) {
	_, vault := one(t, complianceTemplate(t), vaultType)
	if got := cdktest.JSON(cdktest.Props(vault)["LockConfiguration"]); got != `{"ChangeableForDays":7,"MaxRetentionDays":365,"MinRetentionDays":35}` {
		t.Errorf("lock %s; want compliance mode after 7 days, from 35 to 365 days", got)
	}
}

func TestEveryRecoveryPointIsCopiedToEachVault(t *testing.T) {
	for name, ruleDays := range map[string]int{"Daily": 14, "Monthly": 730} {
		rule := rules(t, optionsTemplate(t))[name]
		want := []any{
			// Kept as long as the originals by default.
			map[string]any{"DestinationBackupVaultArn": drVault, "Lifecycle": map[string]any{"DeleteAfterDays": float64(ruleDays)}},
			map[string]any{"DestinationBackupVaultArn": offsiteVault, "Lifecycle": map[string]any{"DeleteAfterDays": float64(90)}},
		}
		if got, w := cdktest.JSON(rule["CopyActions"]), cdktest.JSON(want); got != w {
			t.Errorf("%s: copy actions %s, want %s", name, got, w)
		}
	}
}

func TestNothingIsCopiedByDefault(t *testing.T) {
	for name, rule := range rules(t, template(t)) {
		if c, set := rule["CopyActions"]; set {
			t.Errorf("%s: copy actions %s, want none", name, cdktest.JSON(c))
		}
	}
}

func TestTagsReachTheVaultAndThePlan(t *testing.T) {
	tpl := optionsTemplate(t)
	tpl.HasResourceProperties(t, vaultType, map[string]any{"BackupVaultTags": map[string]any{"team": "data"}})
	tpl.HasResourceProperties(t, planType, map[string]any{"BackupPlanTags": map[string]any{"team": "data"}})
}

func TestAccessorsReturnWhatWasCreated(t *testing.T) {
	template(t)
	stack := awscdk.Stack_Of(defaults)
	for want, c := range map[string]awscdk.IResource{vaultID: defaults.Vault(), planID: defaults.Plan(), selectionID: defaults.Selection(), roleID: defaults.Role()} {
		if got := *stack.GetLogicalId(c.Node().DefaultChild().(awscdk.CfnElement)); got != want {
			t.Errorf("accessor returns %s, want %s", got, want)
		}
	}
	if defaults.DailyRetention() != days(35) || defaults.MonthlyRetention() != days(365) {
		t.Errorf("retentions %v and %v, want 35 and 365 days", defaults.DailyRetention(), defaults.MonthlyRetention())
	}
	optionsTemplate(t)
	if options.DailyRetention() != days(14) || options.MonthlyRetention() != days(730) {
		t.Errorf("retentions %v and %v, want 14 and 730 days", options.DailyRetention(), options.MonthlyRetention())
	}
}

func TestInvalidProps(t *testing.T) {
	data := []awsbackup.BackupResource{awsbackup.BackupResource_FromArn(jsii.String(wantS3Arn))}
	cases := []struct {
		name  string
		props backup.Props
		want  string
	}{
		{"no resources", backup.Props{}, "Resources: missing; required: at least one awsbackup.BackupResource"},
		{"nil resource", backup.Props{Resources: []awsbackup.BackupResource{nil}}, "Resources[0]: nil"},
		{"daily in hours", backup.Props{Resources: data, DailyRetention: 36 * backup.Day / 24}, "DailyRetention: 36h0m0s is not a positive whole number of days"},
		{"negative daily", backup.Props{Resources: data, DailyRetention: -days(1)}, "DailyRetention: -24h0m0s is not a positive whole number of days"},
		{"daily beyond point-in-time restore", backup.Props{Resources: data, DailyRetention: days(36)}, "DailyRetention: 36 days is out of range with continuous backup; allowed: 1 to 35 days (AWS Backup's point-in-time restore limit), or set DisableContinuousBackup"},
		{"daily not shorter than monthly", backup.Props{Resources: data, DisableContinuousBackup: true, DailyRetention: days(365)}, "DailyRetention: 365 days is not shorter than MonthlyRetention (365 days)"},
		{"default daily with a 30-day monthly", backup.Props{Resources: data, MonthlyRetention: days(30)}, "DailyRetention: 35 days is not shorter than MonthlyRetention (30 days)"},
		{"monthly too short", backup.Props{Resources: data, MonthlyRetention: days(29)}, "MonthlyRetention: 29 days is out of range; allowed: 30 to 3650 days"},
		{"monthly too long", backup.Props{Resources: data, MonthlyRetention: days(3651)}, "MonthlyRetention: 3651 days is out of range"},
		{"compliance without lock", backup.Props{Resources: data, VaultLockComplianceAfter: days(3)}, "VaultLockComplianceAfter: set without VaultLock"},
		{"compliance too soon", backup.Props{Resources: data, VaultLock: true, VaultLockComplianceAfter: days(2)}, "VaultLockComplianceAfter: 2 days is too short; allowed: at least 3 days"},
		{"copy without ARN", backup.Props{Resources: data, CopyTo: []backup.CopyTarget{{}}}, "CopyTo[0].VaultARN: missing; required: arn:<partition>:backup:<region>:<account>:backup-vault:<name>"},
		{"copy to a vault name", backup.Props{Resources: data, CopyTo: []backup.CopyTarget{{VaultARN: "dr"}}}, `CopyTo[0].VaultARN: "dr" is not a backup vault ARN`},
		{"copy to an S3 ARN", backup.Props{Resources: data, CopyTo: []backup.CopyTarget{{VaultARN: "arn:aws:s3:::dr-bucket"}}}, `CopyTo[0].VaultARN: "arn:aws:s3:::dr-bucket" is not a backup vault ARN`},
		{"copy to a short account", backup.Props{Resources: data, CopyTo: []backup.CopyTarget{{VaultARN: "arn:aws:backup:us-west-2:1234:backup-vault:dr"}}}, `CopyTo[0].VaultARN: "arn:aws:backup:us-west-2:1234:backup-vault:dr" is not a backup vault ARN`},
		{"copy twice to one vault", backup.Props{Resources: data, CopyTo: []backup.CopyTarget{{VaultARN: drVault}, {VaultARN: drVault}}}, `CopyTo[1].VaultARN: "` + drVault + `" is already CopyTo[0]`},
		{"copy retention too long", backup.Props{Resources: data, CopyTo: []backup.CopyTarget{{VaultARN: drVault, Retention: days(3651)}}}, "CopyTo[0].Retention: 3651 days is out of range; allowed: 1 to 3650 days"},
		{"copy retention in hours", backup.Props{Resources: data, CopyTo: []backup.CopyTarget{{VaultARN: drVault, Retention: 12 * backup.Day / 24}}}, "CopyTo[0].Retention: 12h0m0s is not a positive whole number of days"},
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

func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	err := backup.Props{DailyRetention: days(40), CopyTo: []backup.CopyTarget{{VaultARN: "dr"}}}.Validate()
	for _, want := range []string{"Resources: missing", "DailyRetention: 40 days", `CopyTo[0].VaultARN: "dr"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want it to contain %q", err, want)
		}
	}
}

func TestValidDefaultsAndLongDailyWithoutContinuousBackup(t *testing.T) {
	data := []awsbackup.BackupResource{awsbackup.BackupResource_FromArn(jsii.String(wantS3Arn))}
	for name, p := range map[string]backup.Props{
		"defaults":               {Resources: data},
		"90 days of snapshots":   {Resources: data, DisableContinuousBackup: true, DailyRetention: days(90)},
		"one day, thirty days":   {Resources: data, DailyRetention: days(1), MonthlyRetention: days(30)},
		"compliance in 72 hours": {Resources: data, VaultLock: true, VaultLockComplianceAfter: 72 * backup.Day / 24},
	} {
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestNewPanicsWithTheConstructIDOnInvalidProps(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(r.(string), "backup Backup: Resources: missing") {
			t.Errorf("got %v, want a panic naming the construct and the field", r)
		}
	}()
	backup.New(scratch(t, "us-east-1", ""), "Backup", nil)
}

func TestNewRefusesACopyToTheStacksOwnRegionAndAccount(t *testing.T) {
	defer func() {
		want := `backup Backup: CopyTo[0].VaultARN: "arn:aws:backup:us-east-1:123456789012:backup-vault:dr" is in the stack's own Region and account`
		if r := recover(); r == nil || !strings.HasPrefix(r.(string), want) {
			t.Errorf("got %v, want %q", r, want)
		}
	}()
	backup.New(scratch(t, "us-east-1", "123456789012"), "Backup", &backup.Props{
		Resources: []awsbackup.BackupResource{awsbackup.BackupResource_FromArn(jsii.String(wantS3Arn))},
		CopyTo:    []backup.CopyTarget{{VaultARN: "arn:aws:backup:us-east-1:123456789012:backup-vault:dr"}},
	})
}

func TestCopyToTheSameRegionIsAllowedForAnotherOrUnknownAccount(t *testing.T) {
	same := "arn:aws:backup:us-east-1:123456789012:backup-vault:dr"
	for name, account := range map[string]string{"another account": "210987654321", "account unknown at synthesis": ""} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s: %v", name, r)
				}
			}()
			backup.New(scratch(t, "us-east-1", account), "Backup", &backup.Props{
				Resources: []awsbackup.BackupResource{awsbackup.BackupResource_FromArn(jsii.String(wantS3Arn))},
				CopyTo:    []backup.CopyTarget{{VaultARN: same}},
			})
		}()
	}
}
