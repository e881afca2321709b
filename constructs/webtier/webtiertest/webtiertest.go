// Package webtiertest builds the web tier's test fixtures: tiers of the test
// profile App that the package's own tests assert on (and boot), which
// internal/conformance also builds, with every block's, into one app checked
// by aws-cdk-lib's CloudFormation validation and cdk-nag (one validation
// engine for all the blocks, instead of one per test process).
package webtiertest

import (
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/constructs/fleet"
	"github.com/tierkit/tierkit/constructs/releases"
	"github.com/tierkit/tierkit/constructs/webtier"
	"github.com/tierkit/tierkit/internal/cdktest"
	"github.com/tierkit/tierkit/internal/fakeaws"
)

// App is the profile of the tests: an application in /var/www/app with a
// log file, a boot step and a job on one server (Mode from Job).
type App struct {
	// AppPath is the profile's AppPath; "" names none.
	AppPath string
	// Job is the job's Mode; "" is the default (one server).
	Job string
	// CORS are the profile's CORSOrigins.
	CORS []string
	// Attached is what Attach was given, nil before.
	Attached webtier.Parts
}

// Profile returns the test application's profile: health path /health, one
// shared file, one log file, one AMI cron file and a job.
func (a *App) Profile() webtier.Profile {
	return webtier.Profile{
		Name:            "testapp",
		HealthCheckPath: "/health",
		CORSOrigins:     a.CORS,
		AppPath:         a.AppPath,
		Shared:          []string{"settings"},
		LogFiles:        []webtier.LogFile{{ID: "App", Path: "/var/www/app/storage/logs/*.log"}},
		CronFiles:       []string{"/etc/cron.d/app"},
		Job: &webtier.Job{
			Setting: "Jobs", Mode: a.Job, Step: "app-job", Description: "the app's job", CronFile: "/etc/cron.d/tierkit-app",
			Schedule: "* * * * *", Command: "cd /var/www/app && php job.php", Requires: "/var/www/app/job.php", RequiresWhy: "not the app's root",
		},
	}
}

// Validate accepts every setting.
func (a *App) Validate(webtier.Props) error { return nil }

// Attach records t and returns one step that writes the app's settings.
func (a *App) Attach(t webtier.Parts) []webtier.Step {
	a.Attached = t
	return []webtier.Step{{Name: "app-settings", Body: "echo app settings >\"$ROOT/var/www/app/settings\""}}
}

// Props returns the tests' tier props in stack: app.example.com in the zone
// example.com, the tests' AMI in us-east-1, health path /up.
func Props(stack awscdk.Stack) *webtier.Props {
	return &webtier.Props{
		DomainName: "app.example.com",
		Zone: awsroute53.HostedZone_FromHostedZoneAttributes(stack, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
			HostedZoneId: jsii.String("Z0123456789ABCDEFGHIJ"), ZoneName: jsii.String("example.com"),
		}),
		Image:           awsec2.MachineImage_GenericLinux(&map[string]*string{"us-east-1": jsii.String("ami-0123456789abcdef0")}, nil),
		HealthCheckPath: "/up",
	}
}

// VariantProps takes the other branches: a fixed fleet of one, nginx with
// PHP-FPM, no health path of the caller's (the profile's), another web user,
// the shortest wait for the health path.
func VariantProps(stack awscdk.Stack) *webtier.Props {
	p := Props(stack)
	p.HealthCheckPath, p.WebServer, p.PHPFPMUnit, p.WebUser = "", "nginx", "php8.3-fpm", "nginx"
	p.Fleet = fleet.Props{Mode: fleet.Fixed, Instances: 1}
	p.Boot = boot.Props{GoldenIP: fakeaws.GoldenIP, IPFiles: []string{"/etc/hosts", Vhost}, HealthCheckWait: 2 * time.Second}
	return p
}

// Vhost is the golden server's Apache vhost, whose IP the boot rewrites.
const Vhost = "/etc/apache2/sites-available/app.example.com.conf"

// TeamBucket is the team's uploads bucket of the "Brought" tier.
const TeamBucket = "team-uploads"

// VirtualminLogs are article 000's Virtualmin logs of its domain, shipped by
// the "Keyed" tier.
var VirtualminLogs = []webtier.LogFile{
	{ID: "SiteAccess", Path: "/var/log/virtualmin/example.com_access_log"},
	{ID: "SiteError", Path: "/var/log/virtualmin/example.com_error_log"},
}

// CurrentRelease is the release the "Released" tier runs.
var CurrentRelease = releases.Release{ID: "20261203-1612-a1b2c3d", SHA256: strings.Repeat("5e", 32)}

// ReleasedProps are Props with the tier's own key and releases on, running
// CurrentRelease.
func ReleasedProps(stack awscdk.Stack) *webtier.Props {
	p := Props(stack)
	p.CustomerManagedKey, p.Releases = true, true
	r := CurrentRelease
	p.Release = &r
	return p
}

// Fixtures are the web tier's test stacks, by name, and what the tests read
// of them.
type Fixtures struct {
	// Stacks are "Test" (a tier with defaults and the test profile, its
	// boot rewriting the golden IP in /etc/hosts and Vhost), "Variant"
	// (VariantProps, the job on every server), "Keyed" (the tier's own
	// customer managed key, shipping VirtualminLogs), "Brought" (its own
	// key, the team's uploads bucket TeamBucket and a database restored
	// from their snapshot, with an application that adds a CORS origin)
	// and "Released" (ReleasedProps, the profile naming its AppPath).
	Stacks map[string]awscdk.Stack
	// BroughtWarnings are the warnings on the "Brought" tier's uploads
	// block, recorded before they are acknowledged.
	BroughtWarnings []string
	// Released is the tier of "Released".
	Released *webtier.Tier[*App]
}

// New builds the fixtures' stacks in scope, an app or a construct of one.
func New(scope constructs.Construct) *Fixtures {
	f := &Fixtures{Stacks: map[string]awscdk.Stack{}}
	stack := cdktest.NewStack(scope, "Test")
	p := Props(stack)
	p.Boot = boot.Props{GoldenIP: fakeaws.GoldenIP, IPFiles: []string{"/etc/hosts", Vhost}}
	webtier.New(stack, "Tier", p, &App{})
	f.Stacks["Test"] = stack

	variantStack := cdktest.NewStack(scope, "Variant")
	webtier.New(variantStack, "Tier", VariantProps(variantStack), &App{Job: webtier.JobEveryNode})
	f.Stacks["Variant"] = variantStack

	keyedStack := cdktest.NewStack(scope, "Keyed")
	kp := Props(keyedStack)
	kp.CustomerManagedKey = true
	kp.LogFiles = VirtualminLogs
	webtier.New(keyedStack, "Tier", kp, &App{})
	f.Stacks["Keyed"] = keyedStack

	broughtStack := cdktest.NewStack(scope, "Brought")
	bp := Props(broughtStack)
	bp.CustomerManagedKey = true
	bp.Uploads.ExistingBucket = awss3.Bucket_FromBucketName(broughtStack, jsii.String("TeamUploads"), jsii.String(TeamBucket))
	bp.Database.SnapshotIdentifier, bp.Database.Username = "app-final", "admin"
	tier := webtier.New(broughtStack, "Tier", bp, &App{CORS: []string{"https://example.com"}})
	// Recorded, then acknowledged as a team does once its bucket allows
	// the origins: unacknowledged warnings fail validation.
	for _, m := range *tier.Uploads().Node().Metadata() {
		if *m.Type == "aws:cdk:warning" {
			f.BroughtWarnings = append(f.BroughtWarnings, fmt.Sprint(m.Data))
		}
	}
	awscdk.Annotations_Of(tier.Uploads()).AcknowledgeWarning(jsii.String("tierkit-webtier:uploadsCors"), nil)
	f.Stacks["Brought"] = broughtStack

	releasedStack := cdktest.NewStack(scope, "Released")
	f.Released = webtier.New(releasedStack, "Tier", ReleasedProps(releasedStack), &App{AppPath: "/var/www/app"})
	f.Stacks["Released"] = releasedStack
	return f
}
