package firewall_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/firewall"
)

func ExampleNew() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Web"), nil)

	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), nil)
	lb := awselasticloadbalancingv2.NewApplicationLoadBalancer(stack, jsii.String("LoadBalancer"), &awselasticloadbalancingv2.ApplicationLoadBalancerProps{
		Vpc:            vpc,
		InternetFacing: jsii.Bool(true),
	})
	firewall.New(stack, "Firewall", &firewall.Props{
		LoadBalancer: lb,
		// Nextcloud: uploads are larger than 8 KB, and WebDAV clients send PROPFIND.
		CountOnlyRules: []string{"SizeRestrictions_BODY", "PROPFIND_METHOD"},
	})
}
