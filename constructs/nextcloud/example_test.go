package nextcloud_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/constructs/nextcloud"
)

// ExampleNewTier deploys article 004's Nextcloud from another project's own
// CDK app: the golden server's AMI (nginx, Nextcloud in /var/www/nextcloud)
// behind cloud.example.com, with files in S3, a shared Valkey cache and
// background jobs on one server. The tier exports ServiceURL,
// LoadBalancerDNS, UploadsBucket, DashboardURL and LogGroups itself.
func ExampleNewTier() {
	app := awscdk.NewApp(nil)
	// A concrete region: the load balancer's access logs need one.
	stack := awscdk.NewStack(app, jsii.String("Files"), &awscdk.StackProps{Env: &awscdk.Environment{Region: jsii.String("ap-northeast-1")}})

	files := nextcloud.NewTier(stack, "Nextcloud", &nextcloud.Props{
		DomainName: "cloud.example.com",
		// The hosted zone by id and name: no lookup, no credentials at synth time.
		Zone: awsroute53.HostedZone_FromHostedZoneAttributes(stack, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
			HostedZoneId: jsii.String("Z0123456789ABCDEFGHIJ"), ZoneName: jsii.String("example.com"),
		}),
		// The AMI made from the working server, per region.
		Image: awsec2.MachineImage_GenericLinux(&map[string]*string{"ap-northeast-1": jsii.String("ami-0123456789abcdef0")}, nil),
		// The copy keeps server 1's private IP in /etc/hosts: each server
		// rewrites it to its own at boot.
		Boot:       boot.Props{GoldenIP: "172.31.5.10"},
		WebServer:  "nginx",
		PHPFPMUnit: "php8.3-fpm",
		// The article's cron file, disabled on every copy.
		CronFiles: []string{"/etc/cron.d/nextcloud-cron-php"},
		// Defaults: an Auto Scaling group of 2 to 4 t3.small plus the
		// background jobs' server, MySQL 8.4 Multi-AZ, Valkey with TLS,
		// S3 primary storage, a 300 s idle timeout for upload chunks.
	})

	// What the Nextcloud profile adds is reachable from the tier, e.g. the
	// shared cache for a team's own tooling on the fleet's network.
	awscdk.NewCfnOutput(stack, jsii.String("CacheEndpoint"), &awscdk.CfnOutputProps{
		Value: jsii.String(files.App().SharedCache().Endpoint()),
	})
	app.Synth(nil)
}
