package database_test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

// Resource types the tests read.
const (
	dbInstance = "AWS::RDS::DBInstance"
	ingress    = "AWS::EC2::SecurityGroupIngress"
	secret     = "AWS::SecretsManager::Secret"
	policy     = "AWS::IAM::Policy"
)

// The isolated subnets of the test VPC: the database's subnet group must use exactly these.
var isolatedSubnets = []string{"subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"}

// importedVpc stands in for the network block's VPC: public, private and
// "Isolated" subnets in two AZs, imported by attributes (no VPC resources
// of its own to synthesize or nag).
func importedVpc(scope awscdk.Stack) awsec2.IVpc {
	return awsec2.Vpc_FromVpcAttributes(scope, jsii.String("Vpc"), &awsec2.VpcAttributes{
		VpcId:                       jsii.String("vpc-0123456789abcdef0"),
		VpcCidrBlock:                jsii.String("10.0.0.0/16"),
		AvailabilityZones:           jsii.Strings("us-east-1a", "us-east-1b"),
		PublicSubnetIds:             jsii.Strings("subnet-0eeeeeeeeeeeeeeee", "subnet-0ffffffffffffffff"),
		PublicSubnetRouteTableIds:   jsii.Strings("rtb-0eeeeeeeeeeeeeeee", "rtb-0ffffffffffffffff"),
		PrivateSubnetIds:            jsii.Strings("subnet-0cccccccccccccccc", "subnet-0dddddddddddddddd"),
		PrivateSubnetRouteTableIds:  jsii.Strings("rtb-0cccccccccccccccc", "rtb-0dddddddddddddddd"),
		IsolatedSubnetIds:           jsii.Strings(isolatedSubnets...),
		IsolatedSubnetRouteTableIds: jsii.Strings("rtb-0aaaaaaaaaaaaaaaa", "rtb-0bbbbbbbbbbbbbbbb"),
		IsolatedSubnetNames:         jsii.Strings("Isolated"),
	})
}

// fleetAndRole stand in for the fleet block: its security group and its instance role.
func fleetAndRole(stack awscdk.Stack, vpc awsec2.IVpc) (awsec2.SecurityGroup, awsiam.Role) {
	fleet := awsec2.NewSecurityGroup(stack, jsii.String("Fleet"), &awsec2.SecurityGroupProps{Vpc: vpc})
	role := awsiam.NewRole(stack, jsii.String("AppRole"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("ec2.amazonaws.com"), nil)})
	return fleet, role
}

// scratch returns a stack that is never synthesized, for props that need a construct.
func scratch(tb testing.TB) awscdk.Stack {
	tb.Helper()
	return awscdk.NewStack(awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(tb.TempDir())}), jsii.String("Scratch"), nil)
}

// props returns the Properties of a resource found with FindResources.
func props(r *map[string]any) map[string]any {
	p, _ := (*r)["Properties"].(map[string]any)
	return p
}
