// Package webtier is the web tier: one PHP application served over HTTPS by
// a fleet of copies of its golden server, with a Multi-AZ database, a shared
// uploads bucket, central logs, alarms and a web firewall. It is the one
// place that composes and wires the blocks (network, logs, storage,
// database, fleet, edge, firewall, monitoring).
//
// What differs between applications is an App, a profile the tier is given:
// its boot steps, health path, log files, firewall exceptions, periodic job
// and data stores. laravel.App and nextcloud.App are two such profiles; a
// third PHP application is a third App (see the example of New).
package webtier

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbackup"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/backup"
	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/constructs/database"
	"github.com/tierkit/tierkit/constructs/edge"
	"github.com/tierkit/tierkit/constructs/firewall"
	"github.com/tierkit/tierkit/constructs/fleet"
	"github.com/tierkit/tierkit/constructs/logs"
	"github.com/tierkit/tierkit/constructs/monitoring"
	"github.com/tierkit/tierkit/constructs/network"
	"github.com/tierkit/tierkit/constructs/releases"
	"github.com/tierkit/tierkit/constructs/storage"
)

// BootOK is the file the boot script writes once every step succeeded; the
// application's job runs only where it exists.
const BootOK = "/var/lib/tierkit/boot-ok"

// Tier is one PHP application, A, on several servers behind a load balancer.
type Tier[A App] struct {
	constructs.Construct
	props      Props
	app        A
	network    *network.Network
	logs       *logs.Logs
	appLogs    map[string]awslogs.LogGroup
	logBucket  awss3.Bucket
	uploads    *storage.Uploads
	database   *database.Database
	backup     *backup.Backup
	key        awskms.Key
	fleet      *fleet.Fleet
	edge       *edge.Edge
	firewall   *firewall.Firewall
	topic      awssns.ITopic
	monitoring *monitoring.Monitoring
	releases   *releases.Releases
}

// App returns the application profile, with the resources it attached.
func (t *Tier[A]) App() A { return t.app }

// Props returns the tier's props with every default applied (the caller's,
// then the application's, then the tier's own).
func (t *Tier[A]) Props() Props { return t.props }

// Network returns the VPC block.
func (t *Tier[A]) Network() *network.Network { return t.network }

// Logs returns the log groups.
func (t *Tier[A]) Logs() *logs.Logs { return t.logs }

// AppLogGroup returns the log group of the application's log file with the
// given id (Profile.LogFiles), or of the caller's (Props.LogFiles), or nil.
func (t *Tier[A]) AppLogGroup(id string) awslogs.LogGroup { return t.appLogs[id] }

// AccessLogBucket returns the bucket receiving the ALB's and the uploads
// bucket's access logs.
func (t *Tier[A]) AccessLogBucket() awss3.Bucket { return t.logBucket }

// Uploads returns the uploads bucket block.
func (t *Tier[A]) Uploads() *storage.Uploads { return t.uploads }

// Database returns the database block.
func (t *Tier[A]) Database() *database.Database { return t.database }

// Key returns the tier's customer-managed key, or nil without
// CustomerManagedKey (AWS managed keys): an application encrypts what it
// adds with it.
func (t *Tier[A]) Key() awskms.IKey {
	if t.key == nil {
		return nil
	}
	return t.key
}

// Backup returns the AWS Backup plan of the tier's data, or nil with
// DisableBackup. An application adds what else it keeps (a file system) with
// Backup().Plan().AddSelection.
func (t *Tier[A]) Backup() *backup.Backup { return t.backup }

// Fleet returns the servers; Fleet().Boot() holds the boot steps.
func (t *Tier[A]) Fleet() *fleet.Fleet { return t.fleet }

// Edge returns the load balancer, its listeners, certificate and DNS records.
func (t *Tier[A]) Edge() *edge.Edge { return t.edge }

// LoadBalancer returns the Application Load Balancer (Edge().LoadBalancer()).
func (t *Tier[A]) LoadBalancer() awselasticloadbalancingv2.ApplicationLoadBalancer {
	return t.edge.LoadBalancer()
}

// MonitoringTopic returns the topic of the alarms and the Auto Scaling
// notifications.
func (t *Tier[A]) MonitoringTopic() awssns.ITopic { return t.topic }

// Monitoring returns the alarms and the dashboard.
func (t *Tier[A]) Monitoring() *monitoring.Monitoring { return t.monitoring }

// Firewall returns the web ACL in front of the load balancer, or nil when
// DisableFirewall is set.
func (t *Tier[A]) Firewall() *firewall.Firewall { return t.firewall }

// BootSteps returns the names of the boot steps the tier and the application
// added, in the order they run.
func (t *Tier[A]) BootSteps() []string { return t.fleet.Boot().Steps() }

// webServerLogs are the default access and error logs of the web servers the
// boot script knows by their systemd unit.
var webServerLogs = map[string][2]string{
	"apache2": {"/var/log/apache2/*access.log", "/var/log/apache2/*error.log"},
	"httpd":   {"/var/log/httpd/*access_log", "/var/log/httpd/*error_log"},
	"nginx":   {"/var/log/nginx/*access.log", "/var/log/nginx/*error.log"},
}

//go:embed job.sh.tmpl
var jobText string

var jobTemplate = boot.StepTemplate("job", jobText)

// caStep is the database block's step installing the RDS CA bundle at file.
// It is plain bash: as a template it renders to itself, without the
// indentation user data has no room for.
func caStep(file string) string {
	return boot.RenderStep(boot.StepTemplate("rds-ca", database.CABundleStepAt(file)), nil)
}

// New composes the blocks for app and attaches it. It panics, naming the
// application and id, when props are invalid (see Validate).
func New[A App](scope constructs.Construct, id string, props *Props, app A) *Tier[A] {
	var p Props
	if props != nil {
		p = *props
	}
	if err := Validate(&p, app); err != nil {
		name := "webtier"
		if any(app) != nil && !isNilPointer(app) {
			name = app.Profile().Name
		}
		panic(fmt.Sprintf("%s %s: %v", name, id, err))
	}
	profile := app.Profile().resolved()
	p = p.withProfile(profile)
	t := &Tier[A]{props: p, app: app, appLogs: map[string]awslogs.LogGroup{}}
	constructs.NewConstruct_Override(t, scope, jsii.String(id))
	t.compose()

	// The application's part, after the blocks: its log groups (linked
	// from the dashboard after the tier's own), its resources, its steps.
	for _, f := range append(slices.Clone(profile.LogFiles), p.LogFiles...) {
		t.appLogs[f.ID] = t.logs.AddFile(f.ID, f.Path)
		t.monitoring.LinkLogGroups(t.appLogs[f.ID])
	}
	script := t.fleet.Boot()
	// The AMI's cron entries go first: until the settings are written,
	// they would run against the golden server's.
	if len(p.CronFiles) > 0 {
		script.AddStep("cron-off", boot.DisableCronFilesStep(p.CronFiles))
	}
	// Every application reaches the database over TLS.
	script.AddStep("rds-ca", caStep(p.CABundleFile()))
	if p.Releases {
		t.addReleases(profile)
	}
	for _, s := range app.Attach(t) {
		script.AddStep(s.Name, s.Body)
	}
	if job := profile.Job; job != nil {
		script.AddStep(job.Step, boot.RenderStep(jobTemplate, struct {
			Job
			User, BootOK string
		}{*job, p.WebUser, BootOK}))
	}
	t.addOutputs()
	return t
}

// compose creates and wires the blocks.
func (t *Tier[A]) compose() {
	p := t.props
	// The blocks live under "Default", which drops out of logical IDs: the
	// tiers have always had them there, and the names some blocks derive
	// from construct paths (the firewall's log group, Name tags) stay.
	// The application's resources are the tier's own children.
	s := constructs.NewConstruct(t, jsii.String("Default"))
	// The construct ids below are part of every resource's logical ID:
	// renaming one replaces its resources, the database and buckets included.
	t.network = network.New(s, "Network", &p.Network)
	vpc := t.network.Vpc()

	if p.CustomerManagedKey {
		// "Key" is part of the key's logical ID: renaming it replaces the key
		// that everything of the tier is encrypted with.
		t.key = awskms.NewKey(s, jsii.String("Key"), &awskms.KeyProps{
			Description:       jsii.String("tierkit: encrypts the data, logs, secrets and backups of " + *t.Node().Path()),
			EnableKeyRotation: jsii.Bool(true),
			RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
		})
	}
	lp := p.Logs
	if lp.EncryptionKey == nil {
		lp.EncryptionKey = t.Key()
	}
	t.logs = logs.New(s, "Logs", &lp)
	bootProps := p.Boot
	bootProps.WebServer = p.WebServer
	// The boot checks the load balancer's health path itself before it
	// signals success.
	bootProps.HealthCheckPath, bootProps.Port = p.HealthCheckPath, p.Fleet.Port
	bootLog := t.logs.AddFile("Boot", bootLogFile(bootProps))
	if files, ok := webServerLogs[p.WebServer]; ok {
		t.logs.AddFile("WebAccess", files[0])
		t.logs.AddFile("WebError", files[1])
	}

	t.logBucket = storage.NewLogBucket(s, "AccessLogs", nil)
	uploads := p.Uploads
	if uploads.ExistingBucket == nil {
		uploads.AccessLogBucket = t.logBucket
		if uploads.EncryptionKey == nil {
			uploads.EncryptionKey = t.Key()
		}
	}
	t.uploads = storage.New(s, "Uploads", &uploads)
	if origins := t.app.Profile().resolved().CORSOrigins; uploads.ExistingBucket != nil && len(origins) > 0 {
		awscdk.Annotations_Of(t.uploads).AddWarningV2(jsii.String("tierkit-webtier:uploadsCors"), jsii.String(fmt.Sprintf(
			"the uploads bucket %s is an existing one, whose CORS the stack cannot set: allow GET, HEAD, PUT and POST from %s on it yourself, or the browser's direct uploads and downloads fail",
			*uploads.ExistingBucket.BucketName(), strings.Join(origins, ", "))), nil)
	}

	db := p.Database
	db.Vpc = vpc
	if db.EncryptionKey == nil && db.Existing == nil {
		db.EncryptionKey = t.Key()
	}
	t.database = database.New(s, "Database", &db)

	// "Backup" is part of the vault's logical ID: renaming it replaces the
	// vault (the old one is retained, with its recovery points).
	if !p.DisableBackup {
		bp := p.Backup
		bp.Resources = []awsbackup.BackupResource{
			awsbackup.BackupResource_FromRdsDatabaseInstance(t.database.Instance()),
			awsbackup.BackupResource_FromArn(t.uploads.Bucket().BucketArn()),
		}
		if bp.EncryptionKey == nil && t.key != nil {
			bp.EncryptionKey = t.key
		}
		t.backup = backup.New(s, "Backup", &bp)
	}

	// "Alerts" is part of the topic's logical ID (and ARN): renaming it drops
	// the subscriptions.
	t.topic = p.Monitoring.Topic
	if t.topic == nil {
		if t.key != nil {
			// The same topic (and subscriptions); the AWS managed setup's
			// own key stays, retained, until it is deleted by hand.
			t.topic = monitoring.NewTopicWithKey(s, "Alerts", p.AlarmEmails, t.key)
		} else {
			t.topic = monitoring.NewTopic(s, "Alerts", p.AlarmEmails)
		}
	}

	fp := p.Fleet
	if fp.NotificationTopic == nil && (fp.Mode == "" || fp.Mode == fleet.AutoScaling) {
		fp.NotificationTopic = t.topic
	}
	script := boot.New(&bootProps)
	// Rendered at synthesis, so the files added to Logs() later are shipped too.
	script.SetAgentConfig(t.logs.AgentConfig)
	fp.Vpc, fp.Image, fp.Boot = vpc, p.Image, script
	t.fleet = fleet.New(s, "Fleet", &fp)

	ep := p.Edge
	ep.Vpc, ep.DomainName, ep.Zone = vpc, p.DomainName, p.Zone
	ep.Targets, ep.TargetConnections = t.fleet.Targets(), t.fleet
	ep.TargetPort = t.fleet.Port()
	ep.HealthCheckPath = p.HealthCheckPath
	ep.AccessLogBucket = t.logBucket
	t.edge = edge.New(s, "Edge", &ep)
	// Now that the group is a target of the edge's target group.
	t.fleet.ScaleOnRequestCount()

	if !p.DisableFirewall {
		fw := p.Firewall
		fw.LoadBalancer = t.edge.LoadBalancer()
		t.firewall = firewall.New(s, "Firewall", &fw)
	}

	mp := p.Monitoring
	mp.Topic, mp.LoadBalancer, mp.TargetGroup, mp.Database = t.topic, t.edge.LoadBalancer(), t.edge.TargetGroup(), t.database.Instance()
	if group := t.fleet.AutoScalingGroup(); group != nil {
		mp.AutoScalingGroup = group
		if single := t.fleet.SingletonGroup(); single != nil {
			mp.SingletonGroup = single
		}
	} else {
		mp.Instances = len(t.fleet.Instances())
		if p.Fleet.Singleton {
			mp.SingletonInstance = t.fleet.Instances()[0].Ref()
		}
	}
	mp.BootLog = bootLog
	for _, g := range t.logs.Groups() {
		mp.LogGroups = append(mp.LogGroups, g)
	}
	if t.firewall != nil {
		mp.LogGroups = append(mp.LogGroups, t.firewall.LogGroup())
	}
	t.monitoring = monitoring.New(s, "Monitoring", &mp)
	if t.app.Profile().RolloutMaintenance {
		t.fleet.WatchRefresh(t.monitoring.BootAlarms()...)
	} else {
		t.fleet.WatchRefresh(t.monitoring.RolloutAlarms()...)
	}

	role := t.fleet.Role()
	t.database.AllowFrom(t.fleet)
	t.database.GrantSecretRead(role)
	t.uploads.GrantObjectAccess(role)
	t.logs.GrantWrite(role)
}

// addOutputs exports what a team looks up after a deploy, as
// aws-ecs-patterns does (ServiceURL, LoadBalancerDNS).
func (t *Tier[A]) addOutputs() {
	var groups []*string
	for _, g := range t.logs.Groups() {
		groups = append(groups, g.LogGroupName())
	}
	dashboard := awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("https://console.aws.amazon.com/cloudwatch/home?region="), awscdk.Aws_REGION(),
		jsii.String("#dashboards:name="), t.monitoring.Dashboard().DashboardName(),
	})
	for _, o := range []struct {
		id, description string
		value           *string
	}{
		{"ServiceURL", "The URL the tier serves", jsii.String("https://" + t.props.DomainName)},
		{"LoadBalancerDNS", "The load balancer's DNS name", t.edge.LoadBalancer().LoadBalancerDnsName()},
		{"UploadsBucket", "The uploads bucket", t.uploads.Bucket().BucketName()},
		{"DashboardURL", "The tier's CloudWatch dashboard", dashboard},
		{"LogGroups", "The tier's log groups, comma-separated", awscdk.Fn_Join(jsii.String(","), &groups)},
	} {
		awscdk.NewCfnOutput(t, jsii.String(o.id), &awscdk.CfnOutputProps{Description: jsii.String(o.description), Value: o.value})
	}
}

func bootLogFile(p boot.Props) string {
	if p.LogFile != "" {
		return p.LogFile
	}
	return "/var/log/tierkit-boot.log"
}
