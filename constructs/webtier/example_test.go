package webtier_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/constructs/fleet"
	"github.com/tierkit/tierkit/constructs/webtier"
)

func ExampleNew() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Web"), &awscdk.StackProps{
		Env: &awscdk.Environment{Region: jsii.String("eu-west-1")},
	})
	zone := awsroute53.HostedZone_FromHostedZoneAttributes(stack, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
		HostedZoneId: jsii.String("Z0123456789ABCDEFGHIJ"),
		ZoneName:     jsii.String("example.com"),
	})
	tier := webtier.New(stack, "Tier", &webtier.Props{
		DomainName:      "app.example.com",
		Zone:            zone,
		Image:           awsec2.MachineImage_GenericLinux(&map[string]*string{"eu-west-1": jsii.String("ami-0123456789abcdef0")}, nil),
		HealthCheckPath: "/health",
		Boot:            boot.Props{GoldenIP: "172.31.5.10", IPFiles: []string{"/etc/hosts", "/etc/apache2/sites-available/app.example.com.conf"}},
		Fleet:           fleet.Props{Mode: fleet.Fixed, Instances: 2},
	})
	// The application's own part: its logs, and a boot step.
	tier.Logs().AddFile("App", "/var/www/app/logs/*.log")
	tier.Fleet().Boot().AddStep("app-settings", "echo configuring the app")
}
