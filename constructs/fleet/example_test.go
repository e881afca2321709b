package fleet_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/constructs/fleet"
)

func ExampleNew() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Web"), &awscdk.StackProps{Env: &awscdk.Environment{Region: jsii.String("ap-northeast-1")}})
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{MaxAzs: jsii.Number(2)})

	script := boot.New(&boot.Props{
		GoldenIP: "10.0.1.25",
		IPFiles:  []string{"/etc/hosts", "/etc/apache2/sites-available/api.example.com.conf"},
	})
	servers := fleet.New(stack, "Fleet", &fleet.Props{
		Vpc:   vpc,
		Image: awsec2.MachineImage_GenericLinux(&map[string]*string{"ap-northeast-1": jsii.String("ami-0123456789abcdef0")}, nil),
		Boot:  script,
	})
	// Steps may be added until the stack is synthesized.
	servers.Boot().AddStep("cache", "sudo -u www-data php /var/www/api/artisan config:cache")

	// The database block admits the fleet; the edge block registers its targets.
	database := awsec2.NewSecurityGroup(stack, jsii.String("Database"), &awsec2.SecurityGroupProps{Vpc: vpc})
	database.Connections().AllowFrom(servers, awsec2.Port_Tcp(jsii.Number(3306)), jsii.String("MySQL from the fleet"))
	targets := servers.Targets()
	awselasticloadbalancingv2.NewApplicationTargetGroup(stack, jsii.String("Targets"), &awselasticloadbalancingv2.ApplicationTargetGroupProps{
		Vpc: vpc, Port: jsii.Number(80), Protocol: awselasticloadbalancingv2.ApplicationProtocol_HTTP, Targets: &targets,
	})
}
