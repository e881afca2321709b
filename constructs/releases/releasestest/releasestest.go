// Package releasestest builds the releases block's test fixtures: the stacks
// the block's own tests assert on, which internal/conformance also builds,
// with every other block's, into one app checked by aws-cdk-lib's
// CloudFormation validation and cdk-nag (one validation engine for all the
// blocks, instead of one per test process).
package releasestest

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/releases"
	"github.com/tierkit/tierkit/constructs/storage"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// Fixtures are the block's test stacks, by name.
type Fixtures struct {
	// Stacks are "default" (stack "Test": a release bucket logging to a log
	// bucket, read by AppRole) and "keyed" (stack "Keyed": the same with
	// the releases encrypted by a customer managed key).
	Stacks map[string]awscdk.Stack
}

// New builds the fixtures' stacks in scope, an app or a construct of one.
func New(scope constructs.Construct) *Fixtures {
	return &Fixtures{Stacks: map[string]awscdk.Stack{"default": newStack(scope, "Test", false), "keyed": newStack(scope, "Keyed", true)}}
}

func newStack(scope constructs.Construct, id string, withKey bool) awscdk.Stack {
	stack := cdktest.NewStack(scope, id)
	p := &releases.Props{AccessLogBucket: storage.NewLogBucket(stack, "AccessLogs", nil)}
	if withKey {
		p.EncryptionKey = awskms.NewKey(stack, jsii.String("Key"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true), RemovalPolicy: awscdk.RemovalPolicy_RETAIN})
	}
	r := releases.New(stack, "Releases", p)
	role := awsiam.NewRole(stack, jsii.String("AppRole"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("ec2.amazonaws.com"), nil)})
	r.GrantRead(role)
	return stack
}
