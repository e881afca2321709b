package edge_test

import (
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/edge"
)

func ExampleNew() {
	app := awscdk.NewApp(nil)
	// Access logs need a concrete region.
	stack := awscdk.NewStack(app, jsii.String("Api"), &awscdk.StackProps{
		Env: &awscdk.Environment{Region: jsii.String("eu-west-1")},
	})
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{MaxAzs: jsii.Number(2)})
	zone := awsroute53.HostedZone_FromHostedZoneAttributes(stack, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
		HostedZoneId: jsii.String("Z0123456789ABCDEFGHIJ"),
		ZoneName:     jsii.String("example.com"),
	})
	fleet := awsautoscaling.NewAutoScalingGroup(stack, jsii.String("Fleet"), &awsautoscaling.AutoScalingGroupProps{
		Vpc:          vpc,
		InstanceType: awsec2.NewInstanceType(jsii.String("t3.small")),
		MachineImage: awsec2.MachineImage_GenericLinux(&map[string]*string{"eu-west-1": jsii.String("ami-0123456789abcdef0")}, nil),
	})

	web := edge.New(stack, "Edge", &edge.Props{
		Vpc:               vpc,
		DomainName:        "api.example.com",
		Zone:              zone,
		Targets:           []awselasticloadbalancingv2.IApplicationLoadBalancerTarget{fleet},
		TargetConnections: fleet, // the fleet accepts port 80 from the load balancer only
		HealthCheckPath:   "/up",
		IdleTimeout:       120 * time.Second,
	})
	awscdk.NewCfnOutput(stack, jsii.String("LoadBalancerDNS"), &awscdk.CfnOutputProps{
		Value: web.LoadBalancer().LoadBalancerDnsName(),
	})
}
