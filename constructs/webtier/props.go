package webtier

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"

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
	"github.com/tierkit/tierkit/internal/check"
)

// Props configures a Tier: what every PHP application on a fleet needs. The
// application's own settings are its App's. The block props are the caller's
// settings for each block; the fields that wire the blocks together (noted
// on each) are set by the tier and must stay empty.
//
// The merge order, field by field: what the tier requires (the wiring), then
// the caller's props, then the application's defaults (its Profile), then
// each block's defaults.
//
// A field with a json tag is also a key of a tier in cdk.json.
type Props struct {
	// DomainName is the name the tier serves, e.g. "api.example.com". Required.
	DomainName string `json:"domainName"`

	// Zone is the Route53 hosted zone that holds DomainName, e.g. from
	// awsroute53.HostedZone_FromHostedZoneAttributes (no lookup). Required.
	Zone awsroute53.IHostedZone

	// Image is the golden server's AMI, e.g. awsec2.MachineImage_GenericLinux
	// with its id per region: the application, the web server, PHP, curl
	// 7.75 or later and a cron daemon. Required.
	Image awsec2.IMachineImage

	// HealthCheckPath is the path the load balancer checks.
	//
	// Default: the application's (Profile.HealthCheckPath), or "/".
	HealthCheckPath string `json:"healthCheckPath"`

	// Platform is the golden server's Linux family: PlatformDebian ("debian":
	// Debian, Ubuntu) or PlatformRHEL ("rhel": RHEL, Rocky, AlmaLinux,
	// CentOS Stream, Amazon Linux). It sets the defaults of WebServer,
	// WebUser and PHPFPMUnit, and where the RDS CA bundle is installed
	// (CABundleFile). The other platform's names (httpd or apache with
	// debian, apache2 or www-data with rhel) are refused.
	//
	// Default: "debian".
	Platform string `json:"platform"`

	// WebServer is the systemd unit serving the application: "apache2"
	// (Debian, Ubuntu), "httpd" (Amazon Linux, RHEL) or "nginx". The boot
	// stops it first and starts it last; its logs are shipped.
	//
	// Default: the platform's, "apache2" (debian) or "httpd" (rhel).
	WebServer string `json:"webServer"`

	// PHPFPMUnit is the PHP-FPM systemd unit restarted once the application's
	// settings are written, e.g. "php8.3-fpm" (Ubuntu) or "php-fpm" (Amazon
	// Linux): needed with nginx, and with Apache through proxy_fcgi, so that
	// no worker keeps the AMI's settings in its opcache. NoPHPFPM ("none")
	// restarts none.
	//
	// Default: the platform's, "" (debian: none, Apache's mod_php restarts
	// with Apache) or "php-fpm" (rhel, whose Apache runs PHP through PHP-FPM).
	PHPFPMUnit string `json:"phpFpmUnit"`

	// WebUser is the user PHP runs as: it reads the settings the boot writes
	// (0640, root:WebUser), owns the application's writable directories and
	// runs the application's job.
	//
	// Default: the platform's, "www-data" (debian) or "apache" (rhel, PHP-FPM's
	// user there also behind nginx).
	WebUser string `json:"webUser"`

	// CronFiles are the AMI's own cron entries for the application (the
	// golden server's job), disabled at boot on every server: each is renamed
	// to a hidden name ending in boot.DisabledCronSuffix, which neither
	// Debian's cron nor cronie reads, so that the golden server's job never
	// runs on a copy. A listed file that does not exist is skipped. Clean
	// absolute paths, each once. An empty non-nil slice disables nothing.
	//
	// Default: the application's (Profile.CronFiles).
	CronFiles []string `json:"cronFiles"`

	// LogFiles are more files the servers write, each shipped to a log group
	// of its own like the tier's (same retention and encryption, retained,
	// linked from the dashboard), e.g. Virtualmin's per-domain logs
	// {ID: "SiteAccess", Path: "/var/log/virtualmin/example.com_access_log"}.
	// ID is part of the log group's logical ID (renaming it replaces the
	// group): a letter, then up to 63 letters and digits, each once, none of
	// the tier's own (Boot, WebAccess, WebError, AgentPolicy and the
	// application's, e.g. Laravel, Nextcloud). Path is a clean absolute path,
	// or a glob with * and ?, shipped once.
	//
	// Default: none.
	LogFiles []LogFile `json:"logFiles"`

	// Network configures the VPC, or passes an existing one.
	//
	// Default: a new VPC with network's defaults.
	Network network.Props

	// Logs configures the log groups.
	//
	// Default: logs' defaults (one year of retention).
	Logs logs.Props

	// Boot configures the servers' boot script: GoldenIP and IPFiles for the
	// article's vhost and /etc/hosts fix. WebServer and AgentConfig are set
	// by the tier.
	//
	// Default: no golden IP rewrite.
	Boot boot.Props

	// Fleet configures the servers; Vpc, Image and Boot are set by the tier,
	// and Singleton when the application's job runs on one server.
	//
	// Default: fleet's defaults (an Auto Scaling group of 2 to 4 t3.small).
	Fleet fleet.Props

	// Edge configures the load balancer; Vpc, DomainName, Zone, Targets,
	// TargetPort, TargetConnections, HealthCheckPath and AccessLogBucket are
	// set by the tier.
	//
	// Default: edge's defaults (a new DNS-validated certificate, TLS 1.3),
	// with the application's IdleTimeout.
	//
	// In cdk.json it is the tier's "loadBalancer" object, with the edge
	// fields that have a json tag (internal, allowedSourceCidrs).
	Edge edge.Props `json:"loadBalancer"`

	// Backup configures the AWS Backup plan of the tier's data: the database
	// and the uploads bucket (and what the application adds); Resources is
	// set by the tier.
	//
	// Default: backup's defaults (daily, kept 35 days, with point-in-time
	// restore; monthly, kept a year; a retained vault).
	Backup backup.Props

	// DisableBackup leaves the tier without an AWS Backup plan: the
	// database's automated backups and the bucket's versions remain.
	DisableBackup bool

	// Database configures the database, or passes an existing one whose
	// secret holds username and password; Vpc is set by the tier.
	//
	// Default: database's defaults (MySQL 8.4, Multi-AZ, database "app").
	Database database.Props

	// Uploads configures the uploads bucket; AccessLogBucket is set by the
	// tier, and the application's CORS origins come first in CORSOrigins.
	// With Uploads.ExistingBucket the tier uses that bucket in place: it sets
	// neither the access log bucket nor its customer managed key on it, the
	// backup plan still selects it, and the application's CORS origins become
	// a synth warning naming what to allow on the bucket.
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
	// Default: firewall's rules (AWS managed common, known bad inputs, SQL
	// injection and PHP rules, 2000 requests per IP per 5 minutes), with the
	// application's CountOnlyRules, ScopedRules and RateLimit.
	Firewall firewall.Props

	// CustomerManagedKey gives the tier one customer-managed KMS key (rotated
	// yearly, retained), which then encrypts its log groups, uploads bucket
	// (with an S3 bucket key), database and its secret, the application's
	// cache and secrets, the backup vault and the alarms topic, instead of
	// the AWS managed keys. A first-deploy decision: changing the key of an
	// existing database or cache replaces it (restore from a backup).
	//
	// Default: false, AWS managed keys.
	CustomerManagedKey bool

	// DisableFirewall leaves the load balancer without a web ACL, e.g. when
	// one is managed elsewhere (AWS Firewall Manager).
	//
	// Default: false, the web ACL protects the load balancer.
	DisableFirewall bool

	// Releases gives the tier a release bucket (releases.New: versioned,
	// encrypted with the tier's key when it has one, TLS only, retained,
	// logged to the access log bucket) and the boot step that installs
	// Release: the application's directory (Profile.AppPath) becomes a
	// symbolic link into releases/ beside it, the AMI's code releases/ami.
	// Code then ships with scripts/release, without a new AMI. Allowed
	// only for an application that names its AppPath.
	//
	// Default: false, the AMI's code serves in place.
	Releases bool `json:"releases"`

	// Release is the release the servers run: its id and the SHA-256 of
	// releases/<id>.tar.gz in the release bucket. The app takes it from the
	// tier's record that scripts/release writes (releases/<env>-<tier>, not
	// a cdk.json key).
	// It is part of the boot script, so a new release changes the launch
	// template and the servers are replaced as for a new AMI (instance
	// refresh with its alarms and rollback, or one fixed server at a time).
	// Allowed only with Releases.
	//
	// Default: nil, the AMI's code serves (from releases/ami).
	Release *releases.Release
}

// Defaults of the optional props.
const (
	defaultHealthCheckPath = "/"
)

var (
	webServers  = []string{"apache2", "httpd", "nginx"}
	unitPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9@._-]{0,99}$`)
	userPattern = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)
)

// OneServer reports whether exactly one server can ever serve: a Fixed fleet
// of one. An Auto Scaling group always can have more (its maximum is above
// its minimum). Settings that keep data on one server are refused otherwise.
func (p Props) OneServer() bool {
	return p.Fleet.Mode == fleet.Fixed && p.Fleet.Instances == 1
}

// Servers describes how many servers can serve, for error messages.
func (p Props) Servers() string {
	if p.Fleet.Mode == fleet.Fixed {
		n := p.Fleet.Instances
		if n == 0 {
			n = 2
		}
		return fmt.Sprintf("Fleet Mode fixed with %d instances", n)
	}
	return "an Auto Scaling group always can scale to more than one"
}

// withProfile returns p with the application's defaults under the caller's
// settings, and the web tier's own defaults under both; pr is resolved.
func (p Props) withProfile(pr Profile) Props {
	p.CronFiles = slices.Clone(p.CronFiles)
	if p.CronFiles == nil {
		p.CronFiles = slices.Clone(pr.CronFiles)
	}
	p.HealthCheckPath = cmp.Or(p.HealthCheckPath, cmp.Or(pr.HealthCheckPath, defaultHealthCheckPath))
	p = p.withPlatform()
	if p.Edge.IdleTimeout == 0 {
		p.Edge.IdleTimeout = pr.IdleTimeout
	}
	if p.Firewall.CountOnlyRules == nil {
		p.Firewall.CountOnlyRules = slices.Clone(pr.CountOnlyRules)
	}
	if p.Firewall.ScopedRules == nil {
		p.Firewall.ScopedRules = pr.scopedRules(p.Firewall.CountOnlyRules)
	}
	if p.Firewall.RateLimit == 0 {
		p.Firewall.RateLimit = pr.RateLimit
	}
	// An existing bucket's CORS is the team's: the application's origins
	// become a synth warning (compose), the caller's are refused by storage.
	origins := slices.Clone(pr.CORSOrigins)
	if p.Uploads.ExistingBucket != nil {
		origins = nil
	}
	for _, o := range p.Uploads.CORSOrigins {
		if !slices.Contains(origins, o) {
			origins = append(origins, o)
		}
	}
	p.Uploads.CORSOrigins = origins
	if pr.Job != nil && pr.Job.Mode == JobSingleNode {
		p.Fleet.Singleton = true
	}
	return p
}

// validate records what is wrong with p's own fields and the wiring fields
// the tier sets; Validate adds the profile's. Each block validates its own
// settings when it is created.
func (p Props) validate(pr *check.Problems) {
	if p.DomainName == "" {
		pr.Add("DomainName", "required, e.g. api.example.com")
	}
	if p.Zone == nil {
		pr.Add("Zone", "required, the hosted zone that holds DomainName")
	}
	if p.Image == nil {
		pr.Add("Image", "required, the golden server's AMI")
	}
	if p.HealthCheckPath != "" && !strings.HasPrefix(p.HealthCheckPath, "/") {
		pr.Add("HealthCheckPath", "%q must start with /", p.HealthCheckPath)
	}
	pr.OneOf("WebServer", p.WebServer, webServers, p.platform().webServer)
	p.validatePlatform(pr)
	if p.PHPFPMUnit != "" {
		if !unitPattern.MatchString(p.PHPFPMUnit) {
			pr.Add("PHPFPMUnit", "%q is not a systemd unit name; allowed: letters, digits and @._-, e.g. php8.3-fpm", p.PHPFPMUnit)
		} else if p.PHPFPMUnit == cmp.Or(p.WebServer, p.platform().webServer) {
			pr.Add("PHPFPMUnit", "%q is the web server; allowed: the PHP-FPM unit, e.g. php8.3-fpm", p.PHPFPMUnit)
		}
	}
	if p.WebUser != "" && !userPattern.MatchString(p.WebUser) {
		pr.Add("WebUser", "%q is not a user name; allowed: a lower-case letter or _, then up to 31 lower-case letters, digits, _ or -, e.g. www-data", p.WebUser)
	}
	seen := map[string]bool{}
	for i, f := range p.CronFiles {
		field := fmt.Sprintf("CronFiles[%d]", i)
		switch {
		case !check.Path(f):
			pr.Add(field, "%q is not a clean absolute file path; allowed: /, letters, digits and @+=:,._-, e.g. /etc/cron.d/app", f)
		case seen[f]:
			pr.Add(field, "%q is listed twice", f)
		}
		seen[f] = true
	}
	if p.Monitoring.Topic != nil && len(p.AlarmEmails) > 0 {
		pr.Add("AlarmEmails", "set with Monitoring.Topic; subscribe the addresses to that topic instead")
	}
	wired := []struct {
		set   bool
		field string
	}{
		{p.Boot.WebServer != "", "Boot.WebServer"}, {p.Boot.AgentConfig != "", "Boot.AgentConfig"},
		{p.Boot.HealthCheckPath != "", "Boot.HealthCheckPath"}, {p.Boot.Port != 0, "Boot.Port"},
		{len(p.Backup.Resources) > 0, "Backup.Resources"},
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
	for _, w := range wired {
		if w.set {
			pr.Add(w.field, "set by the tier; leave it empty (use the top-level field or the block's accessor)")
		}
	}
}
