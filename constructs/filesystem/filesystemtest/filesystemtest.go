// Package filesystemtest builds the file system block's test fixtures: the
// stacks the block's own tests assert on, which internal/conformance also
// builds, with every other block's, into one app checked by aws-cdk-lib's
// CloudFormation validation and cdk-nag (one validation engine for all the
// blocks, instead of one per test process).
package filesystemtest

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbackup"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/tierkit/tierkit/constructs/backup"
	"github.com/tierkit/tierkit/constructs/filesystem"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// Fixtures are the block's test stacks, by name, and the file system the
// tests read.
type Fixtures struct {
	// Stacks are "Test" (stack "Test": the default file system opened to a
	// fleet security group, mounted by an instance role and in a backup
	// plan) and "Keyed" (stack "Keyed": the same with a customer managed
	// key).
	Stacks map[string]awscdk.Stack
	// Created is the file system of "Test".
	Created *filesystem.FileSystem
}

// New builds the fixtures' stacks in scope, an app or a construct of one.
func New(scope constructs.Construct) *Fixtures {
	f := &Fixtures{Stacks: map[string]awscdk.Stack{}}
	for _, name := range []string{"Test", "Keyed"} {
		stack := cdktest.NewStack(scope, name)
		vpc := newVpc(stack)
		p := &filesystem.Props{Vpc: vpc}
		if name == "Keyed" {
			p.EncryptionKey = awskms.NewKey(stack, jsii.String("TierKey"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true), RemovalPolicy: awscdk.RemovalPolicy_RETAIN})
		}
		fs := filesystem.New(stack, "Files", p)
		fleet, role := fleetAndRole(stack, vpc)
		fs.AllowFrom(fleet)
		fs.GrantMount(role)
		backup.New(stack, "Backup", &backup.Props{Resources: []awsbackup.BackupResource{fs.BackupResource()}})
		if name == "Test" {
			f.Created = fs
		}
		f.Stacks[name] = stack
	}
	return f
}

// newVpc returns a VPC like the network block's: public, private and
// "Isolated" subnets in two AZs, one NAT gateway. A test fixture, so its
// flow logs are not this block's.
func newVpc(stack awscdk.Stack) awsec2.Vpc {
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{
		MaxAzs:      jsii.Number(2),
		NatGateways: jsii.Number(1),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
			{Name: jsii.String("Public"), SubnetType: awsec2.SubnetType_PUBLIC, CidrMask: jsii.Number(24)},
			{Name: jsii.String("Private"), SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS, CidrMask: jsii.Number(24)},
			{Name: jsii.String("Isolated"), SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED, CidrMask: jsii.Number(24)},
		},
		RestrictDefaultSecurityGroup: jsii.Bool(false),
	})
	cdknag.NagSuppressions_AddResourceSuppressions(vpc, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-VPC7"),
		Reason: jsii.String("Test fixture: flow logs belong to the network block, not to the file system block under test."),
	}}, jsii.Bool(false))
	return vpc
}

// fleetAndRole stand in for the fleet block: its security group and its instance role.
func fleetAndRole(stack awscdk.Stack, vpc awsec2.IVpc) (awsec2.SecurityGroup, awsiam.Role) {
	fleet := awsec2.NewSecurityGroup(stack, jsii.String("Fleet"), &awsec2.SecurityGroupProps{Vpc: vpc})
	role := awsiam.NewRole(stack, jsii.String("AppRole"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("ec2.amazonaws.com"), nil)})
	return fleet, role
}
