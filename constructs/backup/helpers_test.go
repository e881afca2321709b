package backup_test

import (
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbackup"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/backup"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// Resource types the tests read.
const (
	vaultType     = "AWS::Backup::BackupVault"
	planType      = "AWS::Backup::BackupPlan"
	selectionType = "AWS::Backup::BackupSelection"
	roleType      = "AWS::IAM::Role"
)

// The tier's data as the fixtures import it: nothing to synthesize or nag,
// and ARNs the tests can compute.
const (
	dbIdentifier = "app-db"
	bucketName   = "tierkit-uploads"
	wantDBArn    = "arn:aws:rds:us-east-1:123456789012:db:app-db"
	wantS3Arn    = "arn:aws:s3:::tierkit-uploads"
)

// Copy destinations of the options stack.
const (
	drVault      = "arn:aws:backup:us-west-2:123456789012:backup-vault:dr"
	offsiteVault = "arn:aws:backup:us-east-1:210987654321:backup-vault:offsite"
)

// tierData returns the backup resources of a tier in stack: its RDS instance
// and its uploads bucket, imported.
func tierData(stack awscdk.Stack) []awsbackup.BackupResource {
	db := awsrds.DatabaseInstance_FromDatabaseInstanceAttributes(stack, jsii.String("AppDB"), &awsrds.DatabaseInstanceAttributes{
		InstanceIdentifier:      jsii.String(dbIdentifier),
		InstanceEndpointAddress: jsii.String("app-db.abcdefghijkl.us-east-1.rds.amazonaws.com"),
		Port:                    jsii.Number(3307),
		SecurityGroups:          &[]awsec2.ISecurityGroup{},
	})
	bucket := awss3.Bucket_FromBucketName(stack, jsii.String("Uploads"), jsii.String(bucketName))
	return []awsbackup.BackupResource{
		awsbackup.BackupResource_FromRdsDatabaseInstance(db),
		awsbackup.BackupResource_FromArn(bucket.BucketArn()),
	}
}

// The blocks of the templates, for their accessors.
var (
	defaults *backup.Backup
	options  *backup.Backup
)

// variant builds the stacks below in one app, synthesized once in strict
// mode (validation warnings fail) with cdk-nag: a validated synthesis costs
// seconds, another stack of the same app milliseconds.
var variant = cdktest.Variants(func(tb testing.TB) map[string]awscdk.Stack {
	app := cdktest.Validated(cdktest.Nagged(cdktest.NewApp(tb, cdktest.Strict())))
	return map[string]awscdk.Stack{"defaults": defaultsStack(app), "options": optionsStack(app), "compliance": complianceStack(app)}
})

var (
	// template is the block with its defaults, in stack "Backup".
	template = variant("defaults")
	// optionsTemplate sets every prop but compliance mode: retentions, no
	// continuous backup, a customer key, a governance lock, two copies.
	optionsTemplate = variant("options")
	// complianceTemplate locks the vault in compliance mode.
	complianceTemplate = variant("compliance")
)

func defaultsStack(app awscdk.App) awscdk.Stack {
	stack := cdktest.NewStack(app, "Backup")
	defaults = backup.New(stack, "Backup", &backup.Props{Resources: tierData(stack)})
	return stack
}

func optionsStack(app awscdk.App) awscdk.Stack {
	stack := cdktest.NewStack(app, "Options")
	key := awskms.NewKey(stack, jsii.String("Key"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)})
	options = backup.New(stack, "Backup", &backup.Props{
		Resources:               tierData(stack),
		DailyRetention:          14 * backup.Day,
		MonthlyRetention:        730 * backup.Day,
		DisableContinuousBackup: true,
		EncryptionKey:           key,
		VaultLock:               true,
		CopyTo: []backup.CopyTarget{
			{VaultARN: drVault},
			{VaultARN: offsiteVault, Retention: 90 * backup.Day},
		},
	})
	awscdk.Tags_Of(options).Add(jsii.String("team"), jsii.String("data"), nil)
	return stack
}

func complianceStack(app awscdk.App) awscdk.Stack {
	stack := cdktest.NewStack(app, "Compliance")
	backup.New(stack, "Backup", &backup.Props{Resources: tierData(stack), VaultLock: true, VaultLockComplianceAfter: 7 * backup.Day})
	return stack
}

// scratch returns a stack that is never synthesized, for props that need a
// construct, in the given Region and account ("" for a token).
func scratch(tb testing.TB, region, account string) awscdk.Stack {
	tb.Helper()
	env := &awscdk.Environment{}
	if region != "" {
		env.Region = jsii.String(region)
	}
	if account != "" {
		env.Account = jsii.String(account)
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(tb.TempDir())})
	return awscdk.NewStack(app, jsii.String("Scratch"), &awscdk.StackProps{Env: env})
}

// one returns the only resource of type typ in tpl, failing the test otherwise.
func one(t *testing.T, tpl *cdktest.Template, typ string) (string, map[string]any) {
	t.Helper()
	found := tpl.Resources(typ)
	if len(found) != 1 {
		t.Fatalf("%d resources of type %s, want 1", len(found), typ)
	}
	for id, r := range found {
		return id, r
	}
	return "", nil
}

// rules returns the plan's rules of tpl by name.
func rules(t *testing.T, tpl *cdktest.Template) map[string]map[string]any {
	t.Helper()
	_, plan := one(t, tpl, planType)
	byName := map[string]map[string]any{}
	for _, r := range cdktest.Props(plan)["BackupPlan"].(map[string]any)["BackupPlanRule"].([]any) {
		rule := r.(map[string]any)
		byName[rule["RuleName"].(string)] = rule
	}
	return byName
}

// lifecycleDays returns a lifecycle's DeleteAfterDays, or -1 without one.
func lifecycleDays(v any) float64 {
	l, ok := v.(map[string]any)
	if !ok {
		return -1
	}
	d, ok := l["DeleteAfterDays"].(float64)
	if !ok {
		return -1
	}
	return d
}

// days is n days as a duration.
func days(n int) time.Duration { return time.Duration(n) * backup.Day }
