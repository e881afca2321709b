package webtier_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/constructs/webtier"
)

// wordPress is a third application profile, as small as one gets: WordPress
// in Root on the golden server, its cron on one server, its debug log
// shipped. A real one would write wp-config.php's database settings from
// the tier's secret in its step, as the Laravel and Nextcloud profiles do.
type wordPress struct{ Root string }

func (w *wordPress) Profile() webtier.Profile {
	return webtier.Profile{
		Name:            "wordpress",
		HealthCheckPath: "/wp-login.php",
		LogFiles:        []webtier.LogFile{{ID: "WordPress", Path: w.Root + "/wp-content/debug.log"}},
		CronFiles:       []string{"/etc/cron.d/wordpress"},
		Job: &webtier.Job{
			Setting: "Cron", Step: "wp-cron", Description: "WordPress's cron",
			CronFile: "/etc/cron.d/tierkit-wp-cron", Schedule: "*/5 * * * *", Command: "cd " + w.Root + " && php wp-cron.php",
		},
	}
}

func (w *wordPress) Validate(webtier.Props) error { return nil }

func (w *wordPress) Attach(t webtier.Parts) []webtier.Step {
	return []webtier.Step{{Name: "wp-config", Body: "echo " + boot.Quote("configuring "+w.Root+" for "+t.Props().DomainName)}}
}

// ExampleNew serves a third PHP application with its own profile: every
// block, the boot, the alarms and the firewall come from the web tier.
func ExampleNew() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Blog"), &awscdk.StackProps{
		Env: &awscdk.Environment{Region: jsii.String("eu-west-1")},
	})
	zone := awsroute53.HostedZone_FromHostedZoneAttributes(stack, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
		HostedZoneId: jsii.String("Z0123456789ABCDEFGHIJ"),
		ZoneName:     jsii.String("example.com"),
	})
	blog := webtier.New(stack, "Blog", &webtier.Props{
		DomainName: "blog.example.com",
		Zone:       zone,
		Image:      awsec2.MachineImage_GenericLinux(&map[string]*string{"eu-west-1": jsii.String("ami-0123456789abcdef0")}, nil),
		Boot:       boot.Props{GoldenIP: "172.31.5.10", IPFiles: []string{"/etc/hosts", "/etc/apache2/sites-available/blog.conf"}},
	}, &wordPress{Root: "/var/www/wordpress"})
	// Every resource stays reachable, e.g. to let the fleet reach a cache.
	blog.Fleet().Connections()
	app.Synth(nil)
}
