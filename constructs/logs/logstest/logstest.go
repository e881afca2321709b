// Package logstest builds the logs block's test fixtures: the stacks the
// block's own tests assert on, which internal/conformance also builds, with
// every other block's, into one app checked by aws-cdk-lib's CloudFormation
// validation and cdk-nag (one validation engine for all the blocks, instead
// of one per test process).
package logstest

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/logs"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// Fixtures are the block's test stacks, by name, and the block of the
// default one.
type Fixtures struct {
	// Stacks are "default" (stack "Test") and "keyed" (stack "Keyed"); see
	// New.
	Stacks map[string]awscdk.Stack
	// Shipped is the block of "default".
	Shipped *logs.Logs
}

// New builds the fixtures' stacks in scope, an app or a construct of one:
//   - "default": two shipped files and a role granted write access (the
//     second file added after the grant), plus a log group of someone else's
//     that the grant must not reach;
//   - "keyed": the same setup with the tier's key, a customer managed key of
//     the same stack (rotated, retained) passed as EncryptionKey, and no
//     other log group.
func New(scope constructs.Construct) *Fixtures {
	f := &Fixtures{Stacks: map[string]awscdk.Stack{}}

	stack := cdktest.NewStack(scope, "Test")
	f.Shipped = logs.New(stack, "Logs", nil)
	f.Shipped.AddFile("ApacheError", "/var/log/apache2/error.log")
	role := awsiam.NewRole(stack, jsii.String("AppRole"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("ec2.amazonaws.com"), nil)})
	f.Shipped.GrantWrite(role)
	f.Shipped.AddFile("ApacheAccess", "/var/log/apache2/*access.log")
	awslogs.NewLogGroup(stack, jsii.String("Other"), &awslogs.LogGroupProps{Retention: awslogs.RetentionDays_ONE_YEAR})
	f.Stacks["default"] = stack

	stack = cdktest.NewStack(scope, "Keyed")
	key := awskms.NewKey(stack, jsii.String("TierKey"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true), RemovalPolicy: awscdk.RemovalPolicy_RETAIN})
	l := logs.New(stack, "Logs", &logs.Props{EncryptionKey: key})
	l.AddFile("ApacheError", "/var/log/apache2/error.log")
	l.GrantWrite(awsiam.NewRole(stack, jsii.String("AppRole"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("ec2.amazonaws.com"), nil)}))
	l.AddFile("ApacheAccess", "/var/log/apache2/*access.log")
	f.Stacks["keyed"] = stack
	return f
}
