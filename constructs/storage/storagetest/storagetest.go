// Package storagetest builds the storage block's test fixtures: the stacks
// the block's own tests assert on, which internal/conformance also builds,
// with every other block's, into one app checked by aws-cdk-lib's
// CloudFormation validation and cdk-nag (one validation engine for all the
// blocks, instead of one per test process).
package storagetest

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/storage"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// ExistingBucket is the team's bucket the "existing" fixture uses in place.
const ExistingBucket = "team-uploads"

// Destination of the replicas.
const (
	ReplicaARN     = "arn:aws:s3:::example-uploads-replica"
	ReplicaAccount = "111111111111"
	ReplicaKeyARN  = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
)

// Fixtures are the block's test stacks, by name, and the blocks the tests
// read.
type Fixtures struct {
	// Stacks are "default" (stack "Test": the default uploads bucket plus a
	// role granted object access), "keyed" (the uploads encrypted with a
	// customer managed key and replicated to another account's bucket,
	// encrypted with its key there), "replicated" (the default SSE-S3
	// bucket replicated within the account) and "existing" (the team's
	// bucket ExistingBucket used in place); each has the role AppRole
	// granted object access.
	Stacks map[string]awscdk.Stack
	// Keyed is the block of "keyed".
	Keyed *storage.Uploads
}

// New builds the fixtures' stacks in scope, an app or a construct of one.
// It panics when an existing bucket's accessors do not say so.
func New(scope constructs.Construct) *Fixtures {
	f := &Fixtures{}
	f.Stacks = map[string]awscdk.Stack{"default": defaultStack(scope), "keyed": f.keyedStack(scope), "replicated": replicatedStack(scope), "existing": existingStack(scope)}
	return f
}

func withRole(stack awscdk.Stack, uploads *storage.Uploads) {
	role := awsiam.NewRole(stack, jsii.String("AppRole"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("ec2.amazonaws.com"), nil)})
	uploads.GrantObjectAccess(role)
}

func defaultStack(scope constructs.Construct) awscdk.Stack {
	stack := cdktest.NewStack(scope, "Test")
	withRole(stack, storage.New(stack, "Uploads", &storage.Props{CORSOrigins: []string{"https://example.com"}}))
	return stack
}

func (f *Fixtures) keyedStack(scope constructs.Construct) awscdk.Stack {
	stack := cdktest.NewStack(scope, "Keyed")
	key := awskms.NewKey(stack, jsii.String("Key"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true), RemovalPolicy: awscdk.RemovalPolicy_RETAIN})
	f.Keyed = storage.New(stack, "Uploads", &storage.Props{
		EncryptionKey: key,
		ReplicateTo:   &storage.Replication{BucketARN: ReplicaARN, Account: ReplicaAccount, KMSKeyARN: ReplicaKeyARN},
	})
	withRole(stack, f.Keyed)
	return stack
}

func replicatedStack(scope constructs.Construct) awscdk.Stack {
	stack := cdktest.NewStack(scope, "Replicated")
	withRole(stack, storage.New(stack, "Uploads", &storage.Props{ReplicateTo: &storage.Replication{BucketARN: ReplicaARN}}))
	return stack
}

func existingStack(scope constructs.Construct) awscdk.Stack {
	stack := cdktest.NewStack(scope, "Existing")
	uploads := storage.New(stack, "Uploads", &storage.Props{ExistingBucket: awss3.Bucket_FromBucketName(stack, jsii.String("Team"), jsii.String(ExistingBucket))})
	withRole(stack, uploads)
	if !uploads.Existing() || uploads.AccessLogBucket() != nil || *uploads.Bucket().BucketName() != ExistingBucket {
		panic("an existing bucket's accessors must say so")
	}
	return stack
}
