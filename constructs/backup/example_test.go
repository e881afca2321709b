package backup_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbackup"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/backup"
)

func ExampleNew() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Shop"), &awscdk.StackProps{
		Env: &awscdk.Environment{Region: jsii.String("eu-central-1")},
	})

	// The tier's data. In a tier: db.Instance() of the database block and
	// uploads.Bucket() of the storage block.
	db := awsrds.DatabaseInstance_FromDatabaseInstanceAttributes(stack, jsii.String("AppDB"), &awsrds.DatabaseInstanceAttributes{
		InstanceIdentifier:      jsii.String("shop-db"),
		InstanceEndpointAddress: jsii.String("shop-db.abcdefghijkl.eu-central-1.rds.amazonaws.com"),
		Port:                    jsii.Number(3307),
		SecurityGroups:          &[]awsec2.ISecurityGroup{},
	})
	uploads := awss3.Bucket_FromBucketName(stack, jsii.String("Uploads"), jsii.String("shop-uploads"))

	backup.New(stack, "Backup", &backup.Props{
		Resources: []awsbackup.BackupResource{
			awsbackup.BackupResource_FromRdsDatabaseInstance(db),
			awsbackup.BackupResource_FromArn(uploads.BucketArn()),
		},
		// Defaults: daily kept 35 days with point-in-time restore, monthly
		// kept a year, the AWS Backup managed key, no lock, no copies.
		VaultLock: true,
		CopyTo: []backup.CopyTarget{
			{VaultARN: "arn:aws:backup:eu-west-1:123456789012:backup-vault:shop-dr"},
		},
	})
}
