package storage_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/storage"
)

func ExampleNew() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Uploads"), nil)

	logs := storage.NewLogBucket(stack, "Logs", nil)
	uploads := storage.New(stack, "Uploads", &storage.Props{
		AccessLogBucket: logs,
		CORSOrigins:     []string{"https://example.com"},
	})
	role := awsiam.NewRole(stack, jsii.String("AppRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("ec2.amazonaws.com"), nil),
	})
	uploads.GrantObjectAccess(role)
}
