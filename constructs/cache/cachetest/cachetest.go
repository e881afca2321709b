// Package cachetest builds the cache block's test fixtures: the stacks the
// block's own tests assert on, which internal/conformance also builds, with
// every other block's, into one app checked by aws-cdk-lib's CloudFormation
// validation and cdk-nag (one validation engine for all the blocks, instead
// of one per test process).
package cachetest

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/tierkit/tierkit/constructs/cache"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// The existing cache of the "existing" stack: an ElastiCache replication
// group made elsewhere, its security group, and its AUTH token in a secret
// encrypted with a customer managed key.
const (
	ExistingSG       = "sg-0123456789abcdef0"
	ExistingEndpoint = "master.legacy-cache.abc123.use1.cache.amazonaws.com"
	ExistingSecret   = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/cache-auth-AbCdEf"
	ExistingKey      = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
)

// Fixtures are the block's test stacks, by name, and the caches in them.
type Fixtures struct {
	// Stacks are "defaults" (stack "Test": the default cache, Valkey, in a
	// VPC like the network block's, opened to a fleet security group and
	// read by an instance role), "keyed" (stack "Keyed": the same with the
	// tier's key, a customer managed key of the same stack, rotated and
	// retained, as EncryptionKey) and "existing" (stack "Existing": the
	// existing cache wrapped, opened and read the same way).
	Stacks map[string]awscdk.Stack
	// Created and Wrapped are the caches of "defaults" and "existing".
	Created, Wrapped *cache.Cache
}

// New builds the fixtures' stacks in scope, an app or a construct of one.
func New(scope constructs.Construct) *Fixtures {
	f := &Fixtures{Stacks: map[string]awscdk.Stack{}}
	stack := cdktest.NewStack(scope, "Test")
	vpc := NewVpc(stack)
	f.Created = cache.New(stack, "Cache", &cache.Props{Vpc: vpc})
	fleet, role := FleetAndRole(stack, vpc)
	f.Created.AllowFrom(fleet)
	f.Created.GrantSecretRead(role)
	f.Stacks["defaults"] = stack

	stack = cdktest.NewStack(scope, "Keyed")
	vpc = NewVpc(stack)
	key := awskms.NewKey(stack, jsii.String("TierKey"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true), RemovalPolicy: awscdk.RemovalPolicy_RETAIN})
	c := cache.New(stack, "Cache", &cache.Props{Vpc: vpc, EncryptionKey: key})
	fleet, role = FleetAndRole(stack, vpc)
	c.AllowFrom(fleet)
	c.GrantSecretRead(role)
	f.Stacks["keyed"] = stack

	stack = cdktest.NewStack(scope, "Existing")
	vpc = NewVpc(stack)
	f.Wrapped = cache.New(stack, "Cache", &cache.Props{Existing: ExistingCache(stack)})
	fleet, role = FleetAndRole(stack, vpc)
	f.Wrapped.AllowFrom(fleet)
	f.Wrapped.GrantSecretRead(role)
	f.Stacks["existing"] = stack
	return f
}

// NewVpc returns a VPC like the network block's: public, private and
// "Isolated" subnets in two AZs, one NAT gateway. A test fixture, so its
// flow logs are not this block's.
func NewVpc(stack awscdk.Stack) awsec2.Vpc {
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{
		MaxAzs:      jsii.Number(2),
		NatGateways: jsii.Number(1),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
			{Name: jsii.String("Public"), SubnetType: awsec2.SubnetType_PUBLIC, CidrMask: jsii.Number(24)},
			{Name: jsii.String("Private"), SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS, CidrMask: jsii.Number(24)},
			{Name: jsii.String("Isolated"), SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED, CidrMask: jsii.Number(24)},
		},
		// Leaves out the custom resource that restricts the default group: not under test here.
		RestrictDefaultSecurityGroup: jsii.Bool(false),
	})
	cdknag.NagSuppressions_AddResourceSuppressions(vpc, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-VPC7"),
		Reason: jsii.String("Test fixture: flow logs belong to the network block, not to the cache block under test."),
	}}, jsii.Bool(false))
	return vpc
}

// FleetAndRole stand in for the fleet block: its security group and its instance role.
func FleetAndRole(stack awscdk.Stack, vpc awsec2.IVpc) (awsec2.SecurityGroup, awsiam.Role) {
	fleet := awsec2.NewSecurityGroup(stack, jsii.String("Fleet"), &awsec2.SecurityGroupProps{Vpc: vpc})
	role := awsiam.NewRole(stack, jsii.String("AppRole"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("ec2.amazonaws.com"), nil)})
	return fleet, role
}

// ExistingCache returns Existing props for the existing cache, its
// security group and secret imported into scope.
func ExistingCache(scope awscdk.Stack) *cache.Existing {
	return &cache.Existing{
		Endpoint: ExistingEndpoint, Port: 6379, TLS: true, SecretKey: "auth",
		SecurityGroup: awsec2.SecurityGroup_FromSecurityGroupId(scope, jsii.String("LegacyCacheGroup"), jsii.String(ExistingSG), nil),
		Secret: awssecretsmanager.Secret_FromSecretAttributes(scope, jsii.String("LegacyCacheToken"), &awssecretsmanager.SecretAttributes{
			SecretCompleteArn: jsii.String(ExistingSecret),
			EncryptionKey:     awskms.Key_FromKeyArn(scope, jsii.String("LegacyKey"), jsii.String(ExistingKey)),
		}),
	}
}
