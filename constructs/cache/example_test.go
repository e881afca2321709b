package cache_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/cache"
)

func ExampleNew() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Cloud"), nil)
	vpc := awsec2.NewVpc(stack, jsii.String("Network"), &awsec2.VpcProps{
		MaxAzs: jsii.Number(2),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
			{Name: jsii.String("Public"), SubnetType: awsec2.SubnetType_PUBLIC},
			{Name: jsii.String("Private"), SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS},
			{Name: jsii.String("Isolated"), SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED},
		},
	})
	fleet := awsec2.NewSecurityGroup(stack, jsii.String("Fleet"), &awsec2.SecurityGroupProps{Vpc: vpc})
	role := awsiam.NewRole(stack, jsii.String("FleetRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("ec2.amazonaws.com"), nil),
	})

	c := cache.New(stack, "Cache", &cache.Props{Vpc: vpc}) // Valkey 8.2, two nodes, port 6380
	c.AllowFrom(fleet)                                     // the fleet's security group, on the cache port only
	c.GrantSecretRead(role)                                // the servers read the AUTH token at boot
	_ = c.Endpoint()                                       // render into Nextcloud's 'redis' => ['host' => 'tls://' . endpoint, 'port' => c.Port()]
}
