// Package webtier is the base both tiers share: it composes the blocks into
// one web application served over HTTPS by a fleet built from an AMI, with a
// Multi-AZ database, a shared uploads bucket and central logs. The Laravel
// and Nextcloud tiers add only their application's part (settings rendered at
// boot, health path, scheduler, log files) through its accessors.
package webtier

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/constructs/database"
	"github.com/tierkit/tierkit/constructs/edge"
	"github.com/tierkit/tierkit/constructs/firewall"
	"github.com/tierkit/tierkit/constructs/fleet"
	"github.com/tierkit/tierkit/constructs/logs"
	"github.com/tierkit/tierkit/constructs/monitoring"
	"github.com/tierkit/tierkit/constructs/network"
	"github.com/tierkit/tierkit/constructs/storage"
)

// Props configures a Tier. The block props are the caller's settings for
// each block; the fields that wire the blocks together (noted on each) are
// set by the tier and must stay empty: the tier's wiring comes first, then
// the caller's settings, then each block's defaults.
type Props struct {
	// DomainName is the name the tier serves, e.g. "api.example.com". Required.
	DomainName string

	// Zone is the Route53 hosted zone that holds DomainName, e.g. from
	// awsroute53.HostedZone_FromHostedZoneAttributes (no lookup). Required.
	Zone awsroute53.IHostedZone

	// Image is the golden server's AMI, e.g. awsec2.MachineImage_GenericLinux
	// with its id per region. Required.
	Image awsec2.IMachineImage

	// HealthCheckPath is the application's health path the load balancer
	// checks, e.g. "/up".
	//
	// Default: "/".
	HealthCheckPath string

	// Network configures the VPC, or passes an existing one.
	//
	// Default: a new VPC with network's defaults.
	Network network.Props

	// Logs configures the log groups.
	//
	// Default: logs' defaults (one year of retention).
	Logs logs.Props

	// Boot configures the servers' boot script; the agent configuration is
	// set by the tier from Logs.
	//
	// Default: boot's defaults (apache2, no golden IP rewrite).
	Boot boot.Props

	// Fleet configures the servers; Vpc, Image and Boot are set by the tier.
	//
	// Default: fleet's defaults (an Auto Scaling group of 2 to 4 t3.small).
	Fleet fleet.Props

	// Edge configures the load balancer; Vpc, DomainName, Zone, Targets,
	// TargetPort, TargetConnections, HealthCheckPath and AccessLogBucket are
	// set by the tier.
	//
	// Default: edge's defaults (a new DNS-validated certificate, TLS 1.3).
	Edge edge.Props

	// Database configures the database; Vpc is set by the tier.
	//
	// Default: database's defaults (MySQL 8.4, Multi-AZ).
	Database database.Props

	// Uploads configures the uploads bucket; AccessLogBucket is set by the tier.
	//
	// Default: storage's defaults.
	Uploads storage.Props

	// AlarmEmails receive the tier's alarms and, in AutoScaling mode, the
	// group's launch and terminate notifications (each address confirms its
	// subscription once).
	//
	// Default: none; subscribe to MonitoringTopic() later.
	AlarmEmails []string

	// Monitoring configures the alarms (Thresholds) or brings the topic they
	// notify (Topic; then AlarmEmails stays empty). LoadBalancer, TargetGroup,
	// Database, AutoScalingGroup, Instances and LogGroups are set by the tier.
	//
	// Default: monitoring's thresholds, and a new topic encrypted with a
	// customer managed KMS key.
	Monitoring monitoring.Props

	// Firewall configures the AWS WAF web ACL in front of the load balancer;
	// LoadBalancer is set by the tier.
	//
	// Default: firewall's defaults (AWS managed common, known bad inputs, SQL
	// injection and PHP rules, 2000 requests per IP per 5 minutes).
	Firewall firewall.Props

	// DisableFirewall leaves the load balancer without a web ACL, e.g. when
	// one is managed elsewhere (AWS Firewall Manager).
	//
	// Default: false, the web ACL protects the load balancer.
	DisableFirewall bool
}

// Validate reports what is wrong with p, naming the field and what is
// allowed: the tier's own fields and the wiring fields the tier sets. Each
// block validates its own settings when it is created.
func (p Props) Validate() error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if p.DomainName == "" {
		add("DomainName: required, e.g. api.example.com")
	}
	if p.Zone == nil {
		add("Zone: required, the hosted zone that holds DomainName")
	}
	if p.Image == nil {
		add("Image: required, the golden server's AMI")
	}
	if p.HealthCheckPath != "" && !strings.HasPrefix(p.HealthCheckPath, "/") {
		add("HealthCheckPath: %q must start with /", p.HealthCheckPath)
	}
	wired := []struct {
		set   bool
		field string
	}{
		{p.Boot.AgentConfig != "", "Boot.AgentConfig"},
		{p.Fleet.Vpc != nil, "Fleet.Vpc"}, {p.Fleet.Image != nil, "Fleet.Image"}, {p.Fleet.Boot != nil, "Fleet.Boot"},
		{p.Edge.Vpc != nil, "Edge.Vpc"}, {p.Edge.DomainName != "", "Edge.DomainName"}, {p.Edge.Zone != nil, "Edge.Zone"},
		{len(p.Edge.Targets) > 0, "Edge.Targets"}, {p.Edge.TargetPort != 0, "Edge.TargetPort"},
		{p.Edge.TargetConnections != nil, "Edge.TargetConnections"}, {p.Edge.HealthCheckPath != "", "Edge.HealthCheckPath"},
		{p.Edge.AccessLogBucket != nil, "Edge.AccessLogBucket"},
		{p.Database.Vpc != nil, "Database.Vpc"},
		{p.Uploads.AccessLogBucket != nil, "Uploads.AccessLogBucket"},
		{p.Firewall.LoadBalancer != nil, "Firewall.LoadBalancer"},
		{p.Monitoring.LoadBalancer != nil, "Monitoring.LoadBalancer"}, {p.Monitoring.TargetGroup != nil, "Monitoring.TargetGroup"},
		{p.Monitoring.Database != nil, "Monitoring.Database"}, {p.Monitoring.AutoScalingGroup != nil, "Monitoring.AutoScalingGroup"},
		{p.Monitoring.Instances != 0, "Monitoring.Instances"}, {len(p.Monitoring.LogGroups) > 0, "Monitoring.LogGroups"},
	}
	if p.Monitoring.Topic != nil && len(p.AlarmEmails) > 0 {
		add("AlarmEmails: set with Monitoring.Topic; subscribe the addresses to that topic instead")
	}
	for _, w := range wired {
		if w.set {
			add("%s: set by the tier; leave it empty (use the top-level field or the block's accessor)", w.field)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// Tier is one web application on several servers behind a load balancer.
type Tier struct {
	constructs.Construct
	network    *network.Network
	logs       *logs.Logs
	logBucket  awss3.Bucket
	uploads    *storage.Uploads
	database   *database.Database
	fleet      *fleet.Fleet
	edge       *edge.Edge
	firewall   *firewall.Firewall
	topic      awssns.ITopic
	monitoring *monitoring.Monitoring
}

// Network returns the VPC block.
func (t *Tier) Network() *network.Network { return t.network }

// Logs returns the log groups; tiers add their application's files with AddFile.
func (t *Tier) Logs() *logs.Logs { return t.logs }

// AccessLogBucket returns the bucket receiving the ALB's and the uploads
// bucket's access logs.
func (t *Tier) AccessLogBucket() awss3.Bucket { return t.logBucket }

// Uploads returns the uploads bucket block.
func (t *Tier) Uploads() *storage.Uploads { return t.uploads }

// Database returns the database block.
func (t *Tier) Database() *database.Database { return t.database }

// Fleet returns the servers; tiers add boot steps with Fleet().Boot().AddStep.
func (t *Tier) Fleet() *fleet.Fleet { return t.fleet }

// Edge returns the load balancer, its listeners, certificate and DNS records.
func (t *Tier) Edge() *edge.Edge { return t.edge }

// MonitoringTopic returns the topic of the alarms and the Auto Scaling
// notifications.
func (t *Tier) MonitoringTopic() awssns.ITopic { return t.topic }

// Monitoring returns the alarms and the dashboard; tiers add their log groups
// with LinkLogGroups and their cache with WatchCache.
func (t *Tier) Monitoring() *monitoring.Monitoring { return t.monitoring }

// Firewall returns the web ACL in front of the load balancer, or nil when
// DisableFirewall is set.
func (t *Tier) Firewall() *firewall.Firewall { return t.firewall }

// webServerLogs are the default access and error logs of the web servers the
// boot script knows by their systemd unit.
var webServerLogs = map[string][2]string{
	"apache2": {"/var/log/apache2/*access.log", "/var/log/apache2/*error.log"},
	"httpd":   {"/var/log/httpd/*access_log", "/var/log/httpd/*error_log"},
	"nginx":   {"/var/log/nginx/*access.log", "/var/log/nginx/*error.log"},
}

// New composes the blocks. It panics, naming id, when props are invalid.
func New(scope constructs.Construct, id string, props *Props) *Tier {
	p := Props{}
	if props != nil {
		p = *props
	}
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("webtier %s: %v", id, err))
	}
	t := &Tier{}
	constructs.NewConstruct_Override(t, scope, jsii.String(id))

	// The construct ids below are part of every resource's logical ID:
	// renaming one replaces its resources, the database and buckets included.
	t.network = network.New(t, "Network", &p.Network)
	vpc := t.network.Vpc()

	t.logs = logs.New(t, "Logs", &p.Logs)
	bootProps := p.Boot
	t.logs.AddFile("Boot", bootLogFile(bootProps))
	web := bootProps.WebServer
	if web == "" {
		web = "apache2"
	}
	if files, ok := webServerLogs[web]; ok {
		t.logs.AddFile("WebAccess", files[0])
		t.logs.AddFile("WebError", files[1])
	}

	t.logBucket = storage.NewLogBucket(t, "AccessLogs", nil)
	uploads := p.Uploads
	uploads.AccessLogBucket = t.logBucket
	t.uploads = storage.New(t, "Uploads", &uploads)

	db := p.Database
	db.Vpc = vpc
	t.database = database.New(t, "Database", &db)

	// "Alerts" is part of the topic's logical ID (and ARN): renaming it drops
	// the subscriptions.
	t.topic = p.Monitoring.Topic
	if t.topic == nil {
		t.topic = monitoring.NewTopic(t, "Alerts", p.AlarmEmails)
	}

	fp := p.Fleet
	if fp.NotificationTopic == nil && (fp.Mode == "" || fp.Mode == fleet.AutoScaling) {
		fp.NotificationTopic = t.topic
	}
	script := boot.New(&bootProps)
	// Rendered at synthesis, so the files tiers add to Logs() later are shipped too.
	script.SetAgentConfig(t.logs.AgentConfig)
	fp.Vpc, fp.Image, fp.Boot = vpc, p.Image, script
	t.fleet = fleet.New(t, "Fleet", &fp)

	ep := p.Edge
	ep.Vpc, ep.DomainName, ep.Zone = vpc, p.DomainName, p.Zone
	ep.Targets, ep.TargetConnections = t.fleet.Targets(), t.fleet
	ep.TargetPort = t.fleet.Port()
	ep.HealthCheckPath = p.HealthCheckPath
	ep.AccessLogBucket = t.logBucket
	t.edge = edge.New(t, "Edge", &ep)
	// Now that the group is a target of the edge's target group.
	t.fleet.ScaleOnRequestCount()

	if !p.DisableFirewall {
		fw := p.Firewall
		fw.LoadBalancer = t.edge.LoadBalancer()
		t.firewall = firewall.New(t, "Firewall", &fw)
	}

	mp := p.Monitoring
	mp.Topic, mp.LoadBalancer, mp.TargetGroup, mp.Database = t.topic, t.edge.LoadBalancer(), t.edge.TargetGroup(), t.database.Instance()
	if group := t.fleet.AutoScalingGroup(); group != nil {
		mp.AutoScalingGroup = group
	} else {
		mp.Instances = len(t.fleet.Instances())
	}
	for _, g := range t.logs.Groups() {
		mp.LogGroups = append(mp.LogGroups, g)
	}
	if t.firewall != nil {
		mp.LogGroups = append(mp.LogGroups, t.firewall.LogGroup())
	}
	t.monitoring = monitoring.New(t, "Monitoring", &mp)

	role := t.fleet.Role()
	t.database.AllowFrom(t.fleet)
	t.database.GrantSecretRead(role)
	t.uploads.GrantObjectAccess(role)
	t.logs.GrantWrite(role)
	return t
}

func bootLogFile(p boot.Props) string {
	if p.LogFile != "" {
		return p.LogFile
	}
	return "/var/log/tierkit-boot.log"
}
