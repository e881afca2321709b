package network_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/network"
)

func ExampleNew() {
	app := awscdk.NewApp(nil)
	// Naming the zones, and giving CDK the answer to its zone lookup before
	// any stack exists, lets the app synthesize without AWS credentials.
	zones := []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}
	app.Node().SetContext(jsii.String(network.ZoneContextKey("123456789012", "eu-west-1")), zones)
	stack := awscdk.NewStack(app, jsii.String("Web"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("eu-west-1")},
	})

	net := network.New(stack, "Network", &network.Props{AvailabilityZones: zones, DualStack: true})

	// The ALB goes in the public subnets, the fleet in the private ones, the
	// database in the isolated ones.
	_ = net.Vpc().SelectSubnets(&awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS})
}

func ExampleNew_existingVPC() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Web"), nil)
	vpc := awsec2.Vpc_FromVpcAttributes(stack, jsii.String("Shared"), &awsec2.VpcAttributes{
		VpcId:             jsii.String("vpc-0123456789abcdef0"),
		VpcCidrBlock:      jsii.String("10.1.0.0/16"),
		AvailabilityZones: jsii.Strings("eu-west-1a", "eu-west-1b"),
		PublicSubnetIds:   jsii.Strings("subnet-0000000000000000a", "subnet-0000000000000000b"),
		PrivateSubnetIds:  jsii.Strings("subnet-0000000000000000c", "subnet-0000000000000000d"),
		IsolatedSubnetIds: jsii.Strings("subnet-0000000000000000e", "subnet-0000000000000000f"),
	})
	net := network.New(stack, "Network", &network.Props{Vpc: vpc})
	_ = net.CIDR() // "10.1.0.0/16"
}
