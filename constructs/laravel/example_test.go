package laravel_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/constructs/laravel"
)

// ExampleNewAPITier deploys article 000's API from another project's own
// CDK app: the golden server's AMI behind api.example.com, for a Nuxt
// frontend at https://example.com, with database sessions, S3 uploads and
// the scheduler on one server.
func ExampleNewAPITier() {
	app := awscdk.NewApp(nil)
	// A concrete region: the load balancer's access logs need one.
	region := "ap-northeast-1"
	stack := awscdk.NewStack(app, jsii.String("Api"), &awscdk.StackProps{Env: &awscdk.Environment{Region: &region}})

	api := laravel.NewAPITier(stack, "Api", &laravel.APIProps{
		DomainName: "api.example.com",
		// The hosted zone by id and name: no lookup, no credentials at synth time.
		Zone: awsroute53.HostedZone_FromHostedZoneAttributes(stack, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
			HostedZoneId: jsii.String("Z0123456789ABCDEFGHIJ"), ZoneName: jsii.String("example.com"),
		}),
		// The AMI made from the working server, per region.
		Image: awsec2.MachineImage_GenericLinux(&map[string]*string{region: jsii.String("ami-0123456789abcdef0")}, nil),
		// The copy keeps server 1's private IP in the vhost and /etc/hosts:
		// each server rewrites it to its own at boot.
		Boot: boot.Props{
			GoldenIP: "172.31.5.10",
			IPFiles:  []string{"/etc/hosts", "/etc/apache2/sites-available/api.example.com.conf"},
		},
		FrontendOrigins: []string{"https://example.com"},
		// Defaults: an Auto Scaling group of 2 to 4 t3.small plus the
		// scheduler's server, MySQL 8.4 Multi-AZ, SESSION_DRIVER=database,
		// CACHE_STORE=database, Laravel in /var/www/html served by apache2.
	})

	// The tier outputs its URL, load balancer, uploads bucket, dashboard and
	// log groups itself. Its resources stay reachable for what the project
	// adds, e.g. a metric of the errors in Laravel's log.
	api.AppLogGroup(laravel.LogID).AddMetricFilter(jsii.String("LaravelErrors"), &awslogs.MetricFilterOptions{
		FilterPattern:   awslogs.FilterPattern_AnyTerm(jsii.String("production.ERROR")),
		MetricNamespace: jsii.String("Api"),
		MetricName:      jsii.String("LaravelErrors"),
	})
	app.Synth(nil)
}
