package filesystem_test

import (
	"path/filepath"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/tierkit/tierkit/internal/cdktest"
	"github.com/tierkit/tierkit/internal/fakeaws"
)

// Resource types the tests read.
const (
	fileSystem  = "AWS::EFS::FileSystem"
	mountTarget = "AWS::EFS::MountTarget"
	ingress     = "AWS::EC2::SecurityGroupIngress"
	policy      = "AWS::IAM::Policy"
	selection   = "AWS::Backup::BackupSelection"
)

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

// cdktestWrite writes an empty file at rel below the machine's root.
func cdktestWrite(t *testing.T, m *fakeaws.Machine, rel string) {
	t.Helper()
	cdktest.WriteFile(t, filepath.Join(m.Root, rel), "", 0o640)
}
