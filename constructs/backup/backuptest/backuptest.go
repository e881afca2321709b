// Package backuptest builds the backup block's test fixtures: the stacks the
// block's own tests assert on, which internal/conformance also builds, with
// every other block's, into one app checked by aws-cdk-lib's CloudFormation
// validation and cdk-nag (one validation engine for all the blocks, instead
// of one per test process).
package backuptest

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbackup"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/backup"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// The tier's data as the fixtures import it: nothing to synthesize or nag,
// and ARNs the tests can compute.
const (
	DBIdentifier = "app-db"
	BucketName   = "tierkit-uploads"
	DBArn        = "arn:aws:rds:us-east-1:123456789012:db:app-db"
	S3Arn        = "arn:aws:s3:::tierkit-uploads"
)

// Copy destinations of the options stack.
const (
	DRVault      = "arn:aws:backup:us-west-2:123456789012:backup-vault:dr"
	OffsiteVault = "arn:aws:backup:us-east-1:210987654321:backup-vault:offsite"
)

// Fixtures are the block's test stacks, by name, and the blocks in them.
type Fixtures struct {
	// Stacks are "defaults" (stack "Backup": the block with its defaults),
	// "options" (every prop but compliance mode: retentions, no continuous
	// backup, a customer key, a governance lock, two copies) and
	// "compliance" (the vault locked in compliance mode).
	Stacks map[string]awscdk.Stack
	// Defaults and Options are the blocks of "defaults" and "options".
	Defaults, Options *backup.Backup
}

// New builds the fixtures' stacks in scope, an app or a construct of one.
func New(scope constructs.Construct) *Fixtures {
	f := &Fixtures{Stacks: map[string]awscdk.Stack{}}
	stack := cdktest.NewStack(scope, "Backup")
	f.Defaults = backup.New(stack, "Backup", &backup.Props{Resources: TierData(stack)})
	f.Stacks["defaults"] = stack

	stack = cdktest.NewStack(scope, "Options")
	key := awskms.NewKey(stack, jsii.String("Key"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)})
	f.Options = backup.New(stack, "Backup", &backup.Props{
		Resources:               TierData(stack),
		DailyRetention:          14 * backup.Day,
		MonthlyRetention:        730 * backup.Day,
		DisableContinuousBackup: true,
		EncryptionKey:           key,
		VaultLock:               true,
		CopyTo: []backup.CopyTarget{
			{VaultARN: DRVault},
			{VaultARN: OffsiteVault, Retention: 90 * backup.Day},
		},
	})
	awscdk.Tags_Of(f.Options).Add(jsii.String("team"), jsii.String("data"), nil)
	f.Stacks["options"] = stack

	stack = cdktest.NewStack(scope, "Compliance")
	backup.New(stack, "Backup", &backup.Props{Resources: TierData(stack), VaultLock: true, VaultLockComplianceAfter: 7 * backup.Day})
	f.Stacks["compliance"] = stack
	return f
}

// TierData returns the backup resources of a tier in stack: its RDS instance
// and its uploads bucket, imported.
func TierData(stack awscdk.Stack) []awsbackup.BackupResource {
	db := awsrds.DatabaseInstance_FromDatabaseInstanceAttributes(stack, jsii.String("AppDB"), &awsrds.DatabaseInstanceAttributes{
		InstanceIdentifier:      jsii.String(DBIdentifier),
		InstanceEndpointAddress: jsii.String("app-db.abcdefghijkl.us-east-1.rds.amazonaws.com"),
		Port:                    jsii.Number(3307),
		SecurityGroups:          &[]awsec2.ISecurityGroup{},
	})
	bucket := awss3.Bucket_FromBucketName(stack, jsii.String("Uploads"), jsii.String(BucketName))
	return []awsbackup.BackupResource{
		awsbackup.BackupResource_FromRdsDatabaseInstance(db),
		awsbackup.BackupResource_FromArn(bucket.BucketArn()),
	}
}
