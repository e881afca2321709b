// Package config reads the deployment environments a team describes in the
// context of cdk.json ("environments") and selects one with "-c env=NAME".
//
// Decoding is strict: unknown keys, wrong types, nulls, missing required
// values and malformed ids are all reported at once, each naming the field
// and what is allowed. With no "environments" in the context, an embedded
// default environment ("example", for example.com) is used, so a fresh clone
// synthesizes real templates without any configuration.
package config

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"net/netip"
	posix "path"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/tierkit/tierkit/constructs/laravel"
	"github.com/tierkit/tierkit/constructs/nextcloud"
	"github.com/tierkit/tierkit/constructs/webtier"
	"github.com/tierkit/tierkit/internal/check"
)

// Context keys read by Select.
const (
	// EnvironmentsKey holds the map of environment name to Environment.
	EnvironmentsKey = "environments"
	// EnvKey names the selected environment: "-c env=prod".
	EnvKey = "env"
)

// Tier names accepted in Environment.Tiers.
const (
	TierLaravel   = "laravel"
	TierNextcloud = "nextcloud"
)

// Fleet modes accepted in Fleet.Mode.
const (
	FleetAutoScaling = "autoscaling"
	FleetFixed       = "fixed"
)

// Scaling metrics accepted in Fleet.ScaleOn.
const (
	ScaleOnCPU      = "cpu"
	ScaleOnRequests = "requests"
)

// Database engines accepted in Database.Engine.
const (
	EngineMySQL    = "mysql"
	EngineMariaDB  = "mariadb"
	EnginePostgres = "postgres"
)

//go:embed default.json
var defaultEnvironments []byte

// Environment is one deployment target (dev, staging, prod, ...).
// After Select, every optional field holds its default.
type Environment struct {
	// Name is the key of the environment in "environments"; not part of the JSON.
	Name string `json:"-"`

	// Account is the 12-digit AWS account id. Optional: without it the stacks are
	// account-agnostic and deploy to the account of the credentials in use.
	Account string `json:"account"`
	// Region is the AWS region, e.g. "eu-west-1". Required: the load balancer's
	// access logs are delivered by the region's ELB service, which the
	// template has to name.
	Region string `json:"region"`
	// AvailabilityZones are the 2 or 3 zones to spread over, e.g. ["eu-west-1a", "eu-west-1b"].
	// Required when Account is set, since tierkit never looks zones up; otherwise
	// optional (default: the first two zones of the region at deploy time).
	AvailabilityZones []string `json:"availabilityZones"`

	// DomainName is the environment's base domain, e.g. "example.com". Required.
	DomainName string `json:"domainName"`
	// HostedZone is the Route53 public hosted zone that holds DomainName. Required.
	HostedZone HostedZone `json:"hostedZone"`
	// AMI maps a region to the id of the golden server's image there. Required; it
	// must hold Region when Region is set.
	AMI map[string]string `json:"ami"`
	// VPCCIDR is the IPv4 range of the new VPC, /16 to /24. Default: "10.0.0.0/16".
	VPCCIDR string `json:"vpcCidr"`
	// NATGateways is the number of NAT gateways, 1 to the number of zones; fewer
	// than one per zone is for throw-away environments (0 is refused: the
	// servers need one to boot). Default: one per zone.
	NATGateways *int `json:"natGateways"`
	// DualStack gives each tier's VPC IPv6 ranges and its load balancer an
	// IPv6 address (IPv6 ingress on 80 and 443, an AAAA record). Default: false.
	DualStack bool `json:"dualStack"`
	// Disposable marks a throw-away environment: deletion protection is off
	// on the load balancers and databases, so deleting the stacks deletes
	// them (a database still leaves a final snapshot; buckets, log groups,
	// keys, secrets and backup vaults are still retained). Default: false.
	Disposable bool `json:"disposable"`
	// VPC is the team's VPC, which the tiers then run in instead of a new
	// one (required with a tier's existingDatabase). Default: a new VPC.
	VPC *VPC `json:"vpc"`

	// Fleet is how many servers run the AMI, and of which type.
	Fleet Fleet `json:"fleet"`
	// Database is the RDS database of the tiers.
	Database Database `json:"database"`
	// Alarms says who is told when an alarm fires, and when alarms fire.
	Alarms Alarms `json:"alarms"`
	// Firewall is the AWS WAF web ACL in front of each tier's load balancer.
	Firewall Firewall `json:"firewall"`
	// Backup is each tier's AWS Backup plan of its database and uploads.
	Backup Backup `json:"backup"`
	// CustomerManagedKeys gives each tier one customer-managed KMS key for
	// its data, logs, secrets, backups and alarms topic, instead of AWS
	// managed keys: a first-deploy decision. Default: false.
	CustomerManagedKeys bool `json:"customerManagedKeys"`
	// Frontend is the environment's static site on S3 and CloudFront (article
	// 000's example.com). Default: none.
	Frontend *Frontend `json:"frontend"`
	// RawTiers are the tiers as written, decoded into Tiers once the name of
	// each says which application's settings it holds.
	RawTiers map[string]json.RawMessage `json:"tiers"`
	// Tiers selects the tiers to deploy by name ("laravel", "nextcloud"). Required, at least one.
	Tiers map[string]Tier `json:"-"`
}

// HostedZone identifies a Route53 hosted zone without a lookup.
type HostedZone struct {
	// ID is the zone id, e.g. "Z0123456789ABCDEFGHIJ". Required.
	ID string `json:"id"`
	// Name is the zone's domain name, e.g. "example.com". Required.
	Name string `json:"name"`
}

// Fleet is the mode and size of the servers built from the AMI.
type Fleet struct {
	// Mode is "autoscaling" (an Auto Scaling group) or "fixed" (instances spread
	// round-robin over the zones). Default: "autoscaling".
	Mode string `json:"mode"`
	// Instances is the number of fixed instances, 1 to 20. Only with mode "fixed". Default: 2.
	Instances *int `json:"instances"`
	// MinCapacity is the Auto Scaling group's minimum, 1 to 100. Only with mode "autoscaling". Default: 2.
	MinCapacity *int `json:"minCapacity"`
	// MaxCapacity is the Auto Scaling group's maximum, above MinCapacity (an instance
	// refresh adds a server before it removes one) and at most 100. Only with mode
	// "autoscaling". Default: 4, or MinCapacity+1 when that is more.
	MaxCapacity *int `json:"maxCapacity"`
	// InstanceType is the EC2 instance type. Default: "t3.small".
	InstanceType string `json:"instanceType"`
	// GoldenIP is the private IPv4 address of the server the AMI was made from;
	// at boot it is replaced by each server's own in IPFiles. Default: none.
	GoldenIP string `json:"goldenIp"`
	// IPFiles are the absolute paths holding GoldenIP, e.g. the Apache vhost.
	// Default: ["/etc/hosts"] when GoldenIP is set; only with GoldenIP.
	IPFiles []string `json:"ipFiles"`
	// ScaleOn is what the Auto Scaling group tracks: "cpu" or "requests"
	// (requests per server per minute). Only with mode "autoscaling". Default: "cpu".
	ScaleOn string `json:"scaleOn"`
	// TargetCPUPercent is the CPU utilization kept, 10 to 90. Only with scaleOn "cpu". Default: 50.
	TargetCPUPercent int `json:"targetCpuPercent"`
	// TargetRequestsPerMinute is the requests per server per minute kept, 1 to
	// 1000000. Only with scaleOn "requests". Default: 1000.
	TargetRequestsPerMinute int `json:"targetRequestsPerMinute"`
	// BootTimeoutMinutes is how long a new server's boot may take before
	// CloudFormation (or the group's launch hook) gives up on it, 5 to 60.
	// Default: 15.
	BootTimeoutMinutes int `json:"bootTimeoutMinutes"`
	// RefreshBakeMinutes is how long an instance refresh keeps watching its
	// alarms after the last server was replaced, 1 to 2880. Only with mode
	// "autoscaling". Default: 5.
	RefreshBakeMinutes int `json:"refreshBakeMinutes"`
	// RefreshCheckpoints are the percentages replaced at which a refresh
	// pauses, ascending, the last 100. Only with mode "autoscaling". Default: none.
	RefreshCheckpoints []int `json:"refreshCheckpoints"`
	// RefreshCheckpointMinutes is the pause at each checkpoint, 1 to 2880.
	// Only with refreshCheckpoints. Default: 60.
	RefreshCheckpointMinutes int `json:"refreshCheckpointMinutes"`
}

// Alarms are the recipients and thresholds of each tier's alarms. A zero
// threshold takes the monitoring block's default.
type Alarms struct {
	// Emails receive every alarm and Auto Scaling notification (each address
	// confirms its subscription once). Default: none; the topic can be
	// subscribed to later.
	Emails []string `json:"emails"`
	// UnhealthyHosts: alarm when this many targets are unhealthy. Default: 1.
	UnhealthyHosts int `json:"unhealthyHosts"`
	// Target5xxPerMinute: alarm above this many 5xx answers of the servers per minute. Default: 10.
	Target5xxPerMinute int `json:"target5xxPerMinute"`
	// LoadBalancer5xxPerMinute: alarm above this many 5xx answers of the load balancer per minute. Default: 10.
	LoadBalancer5xxPerMinute int `json:"loadBalancer5xxPerMinute"`
	// ResponseTimeMs: alarm when the 95th percentile response time exceeds it. Default: 2000.
	ResponseTimeMs int `json:"responseTimeMs"`
	// DatabaseCPUPercent: alarm above this database CPU utilization. Default: 80.
	DatabaseCPUPercent int `json:"databaseCpuPercent"`
	// DatabaseFreeStorageGiB: alarm below this free database storage. Default: 2.
	DatabaseFreeStorageGiB int `json:"databaseFreeStorageGiB"`
	// DatabaseFreeMemoryMiB: alarm below this freeable database memory. Default: 256.
	DatabaseFreeMemoryMiB int `json:"databaseFreeMemoryMiB"`
	// CacheCPUPercent: alarm above this cache engine CPU utilization (Nextcloud). Default: 90.
	CacheCPUPercent int `json:"cacheCpuPercent"`
	// CacheMemoryPercent: alarm above this cache memory usage (Nextcloud). Default: 90.
	CacheMemoryPercent int `json:"cacheMemoryPercent"`
}

// Frontend is a static site served by CloudFront from a private bucket.
type Frontend struct {
	// DomainName is the site's name, inside the hosted zone. Default: the
	// environment's domainName (the apex, e.g. example.com).
	DomainName string `json:"domainName"`
	// RedirectWWW also serves www.<domainName>, with a redirect to it. Default: false.
	RedirectWWW bool `json:"redirectWww"`
	// SPAFallback answers paths the bucket does not hold with /index.html, for
	// client-side routing (Nuxt, Vue Router). Default: true.
	SPAFallback *bool `json:"spaFallback"`
}

// Origin is the site's origin, as browsers send it in CORS requests.
func (f Frontend) Origin() string { return "https://" + f.DomainName }

// Firewall configures the AWS WAF web ACL.
type Firewall struct {
	// Enabled puts the web ACL in front of the load balancer. Default: true.
	Enabled *bool `json:"enabled"`
	// RateLimit is how many requests one IP address may send in 5 minutes
	// before it is blocked, 10 to 2000000000. Default: the tier profile's,
	// 20000 for both.
	RateLimit int `json:"rateLimit"`
}

// Backup is each tier's AWS Backup plan: its database and uploads bucket,
// daily with point-in-time restore and monthly, in a retained vault.
type Backup struct {
	// Enabled creates the plan. Default: true.
	Enabled *bool `json:"enabled"`
	// DailyDays is how long the daily recovery points (and the point-in-time
	// window) are kept, 1 to 35. Default: 35.
	DailyDays int `json:"dailyDays"`
	// MonthlyDays is how long the monthly ones are kept, 30 to 3650, more
	// than DailyDays. Default: 365.
	MonthlyDays int `json:"monthlyDays"`
	// VaultLock locks the vault in governance mode (recovery points cannot
	// be deleted before their retention by anyone without the governance
	// permission). Default: false.
	VaultLock bool `json:"vaultLock"`
	// CopyTo are vaults in another region or account (ARNs; each must exist
	// and, in another account, admit this account) that receive a copy of
	// every recovery point. Default: none.
	CopyTo []string `json:"copyTo"`
	// ReplicateUploadsTo is a versioned bucket in another region (its ARN)
	// that every new upload is replicated to; delete markers are not.
	// Default: none.
	ReplicateUploadsTo string `json:"replicateUploadsTo"`
	// ReplicaKMSKeyARN is the key, in the replica's region, that encrypts the
	// replicas; required with customerManagedKeys. Default: S3's.
	ReplicaKMSKeyARN string `json:"replicaKmsKeyArn"`
}

// Database is the engine and size of the RDS instance.
type Database struct {
	// Engine is "mysql", "mariadb" or "postgres". Default: "mysql".
	Engine string `json:"engine"`
	// InstanceType is the RDS instance class without the "db." prefix. Default: "t3.medium".
	InstanceType string `json:"instanceType"`
	// AllocatedStorageGiB is the initial storage, 20 to 65536 GiB. Default: 20.
	AllocatedStorageGiB *int `json:"allocatedStorageGiB"`
	// PerformanceInsights turns RDS Performance Insights on (7 days, the
	// free tier). Not available for MySQL or MariaDB on micro and small
	// classes. Default: true, or false on those classes.
	PerformanceInsights *bool `json:"performanceInsights"`
	// EnhancedMonitoringSeconds is the Enhanced Monitoring interval: 0 (off),
	// 1, 5, 10, 15, 30 or 60. Default: 60.
	EnhancedMonitoringSeconds *int `json:"enhancedMonitoringSeconds"`
}

// Tier holds the settings of one deployed tier, decoded by their types: a
// key is a json-tagged field of the web tier's props (domainName, webServer,
// phpFpmUnit, webUser, cronFiles, healthCheckPath) or of the application's
// profile (laravel.App, nextcloud.App), where each is documented. A field
// tagged there reaches cdk.json with no other change.
type Tier struct {
	// Props holds the tier's own web tier settings; the environment's
	// (fleet, database, alarms, ...) are added by the app.
	// DomainName defaults to "api.<domainName>" for laravel,
	// "cloud.<domainName>" for nextcloud.
	Props webtier.Props
	// App is the application profile with its settings.
	App webtier.App
	// Brought is what the tier brings from the team's account: an existing
	// database, a snapshot to restore, an uploads bucket.
	Brought Brought
}

// applications are the tiers a configuration can name: the default
// subdomain of each and its profile.
var applications = map[string]struct {
	subdomain string
	profile   func() webtier.App
}{
	TierLaravel:   {"api", func() webtier.App { return &laravel.App{} }},
	TierNextcloud: {"cloud", func() webtier.App { return &nextcloud.App{} }},
}

// tierKeys returns the keys a tier's object may hold, by the Go field they
// set: the json-tagged fields of the web tier's props, of app's profile and
// of Brought.
func tierKeys(app webtier.App) map[string]string {
	keys := map[string]string{}
	for _, t := range []reflect.Type{reflect.TypeOf(webtier.Props{}), reflect.TypeOf(app).Elem(), reflect.TypeOf(Brought{})} {
		for i := range t.NumField() {
			if key, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); key != "" && key != "-" {
				keys[t.Field(i).Name] = key
			}
		}
	}
	return keys
}

// decodeTier decodes the object of tier name into a Tier.
func decodeTier(path, name string, raw json.RawMessage, p *problems) (Tier, bool) {
	a, known := applications[name]
	if !known {
		p.add(path, "unknown tier; allowed: %s", strings.Join(sortedKeys(applications), ", "))
		return Tier{}, false
	}
	t := Tier{App: a.profile()}
	if isNull(raw) {
		p.add(path, "is null; allowed: an object ({} deploys the tier with its defaults), or leave the tier out not to deploy it")
		return t, true
	}
	var obj map[string]json.RawMessage
	if !isKind(raw, '{') || json.Unmarshal(raw, &obj) != nil {
		p.add(path, "must be an object, got %s", describe(raw))
		return t, true
	}
	holders := []reflect.Value{reflect.ValueOf(&t.Props).Elem(), reflect.ValueOf(t.App).Elem(), reflect.ValueOf(&t.Brought).Elem()}
	fields := map[string]reflect.Value{}
	for name, key := range tierKeys(t.App) {
		for _, holder := range holders {
			if f := holder.FieldByName(name); f.IsValid() {
				fields[key] = f
				break
			}
		}
	}
	for _, key := range sortedKeys(obj) {
		if field, ok := fields[key]; ok {
			decodeStrict(join(path, key), obj[key], field, p)
			continue
		}
		var owners []string
		for _, other := range sortedKeys(applications) {
			for _, theirs := range tierKeys(applications[other].profile()) {
				if theirs == key {
					owners = append(owners, other)
				}
			}
		}
		if len(owners) > 0 {
			p.add(join(path, key), "only applies to tier %s", strings.Join(owners, ", "))
		} else {
			p.add(join(path, key), "unknown key; allowed: %s", strings.Join(sortedKeys(fields), ", "))
		}
	}
	return t, true
}

// Refused returns the error of a tier whose props its constructs refuse,
// each problem under its configuration path: the key of a field set from
// the tier's object, or the tier's path and the field for the others.
func Refused(env Environment, name string, err error) error {
	path := join(join(join(EnvironmentsKey, env.Name), "tiers"), name)
	var e *check.Error
	if !errors.As(err, &e) {
		return fmt.Errorf("invalid configuration: %s: %v", path, err)
	}
	keys := tierKeys(env.Tiers[name].App)
	var list []string
	for _, pr := range e.Problems {
		head, rest := pr.Field, ""
		if i := strings.IndexAny(head, ".["); i >= 0 {
			head, rest = head[:i], head[i:]
		}
		if key, ok := keys[head]; ok {
			list = append(list, join(path, key)+mapKeys(rest)+": "+pr.Message)
		} else {
			list = append(list, path+": "+pr.Field+": "+pr.Message)
		}
	}
	return fmt.Errorf("invalid configuration: %s", strings.Join(list, "; "))
}

// TierNames returns the names of the tiers to deploy, sorted.
func (e Environment) TierNames() []string { return sortedKeys(e.Tiers) }

// Select decodes the environments in the app's context and returns the one
// named by the "env" context key. lookup is the context reader, e.g.
// app.Node().TryGetContext; it returns nil for an absent key.
//
// Every environment is validated, not only the selected one, so a broken
// environment fails every synth (and CI) rather than only its own deploy.
func Select(lookup func(key string) any) (Environment, error) {
	envs, p := decodeAll(lookup)
	names := sortedKeys(envs)
	var selected string
	switch v := lookup(EnvKey).(type) {
	case nil:
		if len(names) == 1 {
			selected = names[0]
		} else if len(names) > 1 {
			p.add(EnvKey, "choose an environment with -c env=NAME; configured: %s", strings.Join(names, ", "))
		}
	case string:
		if _, ok := envs[v]; !ok && len(names) > 0 {
			p.add(EnvKey, "unknown environment %q; configured: %s", v, strings.Join(names, ", "))
		}
		selected = v
	default:
		p.add(EnvKey, "must be an environment name, got %v", v)
	}
	if err := p.err(); err != nil {
		return Environment{}, err
	}
	return envs[selected], nil
}

// All decodes the environments in the app's context, validates them as Select
// does, and returns every one, sorted by name.
func All(lookup func(key string) any) ([]Environment, error) {
	envs, p := decodeAll(lookup)
	if err := p.err(); err != nil {
		return nil, err
	}
	var all []Environment
	for _, name := range sortedKeys(envs) {
		all = append(all, envs[name])
	}
	return all, nil
}

// decodeAll decodes and validates the configured environments, or the
// embedded example when none is configured, collecting every problem.
func decodeAll(lookup func(key string) any) (map[string]Environment, *problems) {
	p := &problems{}
	raw := defaultEnvironments
	if v := lookup(EnvironmentsKey); v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			p.add(EnvironmentsKey, "not readable as JSON: %v", err)
			return nil, p
		}
		raw = b
	}
	var envs map[string]Environment
	decodeStrict(EnvironmentsKey, raw, reflect.ValueOf(&envs).Elem(), p)
	if p.empty() && len(envs) == 0 {
		p.add(EnvironmentsKey, "must name at least one environment")
	}
	for _, name := range sortedKeys(envs) {
		env := envs[name]
		env.Name = name
		env.validate(join(EnvironmentsKey, name), p)
		envs[name] = env
	}
	return envs, p
}

// validate checks e, reporting each problem under path, and fills in defaults.
func (e *Environment) validate(path string, p *problems) {
	at := func(key string) string { return join(path, key) }
	set := e.explicitSettings()

	if !envName.MatchString(e.Name) {
		p.add(path, "environment names are 1 to 20 lower-case letters, digits and hyphens, starting with a letter")
	}
	if e.Account != "" && !account.MatchString(e.Account) {
		p.add(at("account"), "%q is not an AWS account id; expected 12 digits", e.Account)
	}
	if e.Region == "" {
		p.add(at("region"), "required: a region name such as eu-west-1 (the load balancer's access logs need a concrete region)")
	} else if !region.MatchString(e.Region) {
		p.add(at("region"), "%q is not an AWS region; expected a name such as eu-west-1", e.Region)
	}
	e.validateZones(at("availabilityZones"), p)

	checkDomain(at("domainName"), e.DomainName, p)
	checkRequired(at("hostedZone.id"), e.HostedZone.ID, "a Route53 hosted zone id such as Z0123456789ABCDEFGHIJ", p)
	if e.HostedZone.ID != "" && !zoneID.MatchString(e.HostedZone.ID) {
		p.add(at("hostedZone.id"), "%q is not a hosted zone id; expected Z followed by up to 31 upper-case letters and digits", e.HostedZone.ID)
	}
	checkDomain(at("hostedZone.name"), e.HostedZone.Name, p)
	if e.DomainName != "" && e.HostedZone.Name != "" && !check.InZone(e.DomainName, e.HostedZone.Name) {
		p.add(at("domainName"), "%q is not inside the hosted zone %q", e.DomainName, e.HostedZone.Name)
	}

	if len(e.AMI) == 0 {
		p.add(at("ami"), "required: a map of region to AMI id, e.g. {\"eu-west-1\": \"ami-0123456789abcdef0\"}")
	}
	for _, r := range sortedKeys(e.AMI) {
		if !region.MatchString(r) {
			p.add(at("ami."+r), "%q is not an AWS region; keys of ami are regions such as eu-west-1", r)
		}
		if !amiID.MatchString(e.AMI[r]) {
			p.add(at("ami."+r), "%q is not an AMI id; expected ami- followed by 8 or 17 hexadecimal digits", e.AMI[r])
		}
	}
	if _, ok := e.AMI[e.Region]; e.Region != "" && len(e.AMI) > 0 && !ok {
		p.add(at("ami"), "has no AMI id for the environment's region %s", e.Region)
	}

	if e.VPCCIDR == "" {
		e.VPCCIDR = "10.0.0.0/16"
	}
	checkCIDR(at("vpcCidr"), e.VPCCIDR, p)

	e.validateNATGateways(at("natGateways"), p)
	e.Fleet.validate(at("fleet"), p)
	e.Database.validate(at("database"), p)
	e.Alarms.validate(at("alarms"), p)

	e.Firewall.validate(at("firewall"), p)
	e.Backup.validate(at("backup"), p)
	if e.CustomerManagedKeys && e.Backup.ReplicateUploadsTo != "" && e.Backup.ReplicaKMSKeyARN == "" {
		p.add(at("backup.replicaKmsKeyArn"), "required with customerManagedKeys and replicateUploadsTo: S3 replicates objects encrypted with a customer key only to a key in the replica's region")
	}
	e.validateTiers(at("tiers"), p)
	e.validateLoadBalancers(at("tiers"), p)
	e.validateBrought(path, set, p)
	if e.Frontend != nil {
		// After the tiers: their default names are known then.
		e.validateFrontend(at("frontend"), p)
	}
}

func (e *Environment) validateZones(path string, p *problems) {
	if len(e.AvailabilityZones) == 0 {
		if e.Account != "" && e.Region != "" && e.VPC == nil {
			p.add(path, "required when account is set (tierkit never looks zones up): list 2 or 3 zones of %s, e.g. %sa, %sb", e.Region, e.Region, e.Region)
		}
		return
	}
	if n := len(e.AvailabilityZones); n < 2 || n > 3 {
		p.add(path, "must list 2 or 3 zones, got %d", n)
	}
	seen := map[string]bool{}
	for i, az := range e.AvailabilityZones {
		switch {
		case !zoneName.MatchString(az):
			p.add(fmt.Sprintf("%s[%d]", path, i), "%q is not an availability zone name; expected a region and a letter, e.g. eu-west-1a", az)
		case e.Region != "" && az[:len(az)-1] != e.Region:
			p.add(fmt.Sprintf("%s[%d]", path, i), "%q is not in the environment's region %s", az, e.Region)
		case seen[az]:
			p.add(fmt.Sprintf("%s[%d]", path, i), "%q is listed twice", az)
		}
		seen[az] = true
	}
}

func (f *Fleet) validate(path string, p *problems) {
	at := func(key string) string { return join(path, key) }
	if f.Mode == "" {
		f.Mode = FleetAutoScaling
	}
	switch f.Mode {
	case FleetFixed:
		const onlyAutoScaling = "only applies to mode %q; fixed fleets are sized by instances"
		if f.MinCapacity != nil {
			p.add(at("minCapacity"), onlyAutoScaling, FleetAutoScaling)
		}
		if f.MaxCapacity != nil {
			p.add(at("maxCapacity"), onlyAutoScaling, FleetAutoScaling)
		}
		f.Instances = orDefault(f.Instances, 2)
		checkRange(at("instances"), *f.Instances, 1, 20, p)
	case FleetAutoScaling:
		if f.Instances != nil {
			p.add(at("instances"), "only applies to mode %q; Auto Scaling fleets are sized by minCapacity and maxCapacity", FleetFixed)
		}
		f.MinCapacity = orDefault(f.MinCapacity, 2)
		f.MaxCapacity = orDefault(f.MaxCapacity, max(4, *f.MinCapacity+1))
		checkRange(at("minCapacity"), *f.MinCapacity, 1, 99, p)
		checkRange(at("maxCapacity"), *f.MaxCapacity, max(2, *f.MinCapacity+1), 100, p)
	default:
		p.add(at("mode"), "%q is not a fleet mode; allowed: %s, %s", f.Mode, FleetAutoScaling, FleetFixed)
	}
	if f.InstanceType == "" {
		f.InstanceType = "t3.small"
	}
	checkInstanceType(at("instanceType"), f.InstanceType, p)
	if f.GoldenIP != "" {
		if addr, err := netip.ParseAddr(f.GoldenIP); err != nil || !addr.Is4() || !addr.IsPrivate() {
			p.add(at("goldenIp"), "%q is not a private IPv4 address; expected the golden server's, e.g. 172.31.5.10", f.GoldenIP)
		}
	} else if len(f.IPFiles) > 0 {
		p.add(at("ipFiles"), "only applies with goldenIp: there is nothing to replace")
	}
	f.validateScaling(at, p)
	f.validateRollout(at, p)
	for i, file := range f.IPFiles {
		if !posix.IsAbs(file) || posix.Clean(file) != file {
			p.add(fmt.Sprintf("%s[%d]", at("ipFiles"), i), "%q is not a clean absolute path", file)
		}
	}
}

func (a *Alarms) validate(path string, p *problems) {
	at := func(key string) string { return join(path, key) }
	for i, email := range a.Emails {
		if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email || addr.Name != "" {
			p.add(fmt.Sprintf("%s[%d]", at("emails"), i), "%q is not an e-mail address; expected e.g. ops@example.com", email)
		}
	}
	for _, t := range []struct {
		key     string
		v, high int
	}{
		{"unhealthyHosts", a.UnhealthyHosts, 100}, {"target5xxPerMinute", a.Target5xxPerMinute, 1000000},
		{"loadBalancer5xxPerMinute", a.LoadBalancer5xxPerMinute, 1000000}, {"responseTimeMs", a.ResponseTimeMs, 60000},
		{"databaseCpuPercent", a.DatabaseCPUPercent, 100}, {"databaseFreeStorageGiB", a.DatabaseFreeStorageGiB, 65536},
		{"databaseFreeMemoryMiB", a.DatabaseFreeMemoryMiB, 1048576}, {"cacheCpuPercent", a.CacheCPUPercent, 100},
		{"cacheMemoryPercent", a.CacheMemoryPercent, 100},
	} {
		if t.v != 0 {
			checkRange(at(t.key), t.v, 1, t.high, p)
		}
	}
}

var vaultARN = regexp.MustCompile(`^arn:aws[a-z-]*:backup:[a-z0-9-]+:[0-9]{12}:backup-vault:[A-Za-z0-9_.-]{2,50}$`)

func (b *Backup) validate(path string, p *problems) {
	at := func(key string) string { return join(path, key) }
	if b.Enabled == nil {
		enabled := true
		b.Enabled = &enabled
	}
	if !*b.Enabled {
		for key, set := range map[string]bool{"dailyDays": b.DailyDays != 0, "monthlyDays": b.MonthlyDays != 0, "vaultLock": b.VaultLock, "copyTo": len(b.CopyTo) > 0,
			"replicateUploadsTo": b.ReplicateUploadsTo != "", "replicaKmsKeyArn": b.ReplicaKMSKeyARN != ""} {
			if set {
				p.add(at(key), "only applies with the backup plan enabled")
			}
		}
		return
	}
	if b.DailyDays != 0 {
		checkRange(at("dailyDays"), b.DailyDays, 1, 35, p)
	}
	if b.MonthlyDays != 0 {
		checkRange(at("monthlyDays"), b.MonthlyDays, max(30, b.DailyDays+1), 3650, p)
	}
	if b.ReplicateUploadsTo != "" && !regexp.MustCompile(`^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`).MatchString(b.ReplicateUploadsTo) {
		p.add(at("replicateUploadsTo"), "%q is not a bucket ARN; expected arn:aws:s3:::NAME", b.ReplicateUploadsTo)
	}
	if b.ReplicaKMSKeyARN != "" && b.ReplicateUploadsTo == "" {
		p.add(at("replicaKmsKeyArn"), "only applies with replicateUploadsTo")
	}
	seen := map[string]bool{}
	for i, arn := range b.CopyTo {
		key := fmt.Sprintf("%s[%d]", at("copyTo"), i)
		switch {
		case !vaultARN.MatchString(arn):
			p.add(key, "%q is not a backup vault ARN; expected arn:aws:backup:REGION:ACCOUNT:backup-vault:NAME", arn)
		case seen[arn]:
			p.add(key, "%q is listed twice", arn)
		}
		seen[arn] = true
	}
}

func (f *Firewall) validate(path string, p *problems) {
	if f.Enabled == nil {
		enabled := true
		f.Enabled = &enabled
	}
	if f.RateLimit != 0 {
		checkRange(join(path, "rateLimit"), f.RateLimit, 10, 2000000000, p)
	}
}

func (f *Fleet) validateRollout(at func(string) string, p *problems) {
	if f.BootTimeoutMinutes != 0 {
		checkRange(at("bootTimeoutMinutes"), f.BootTimeoutMinutes, 5, 60, p)
	}
	if f.Mode == FleetFixed {
		for key, set := range map[string]bool{"refreshBakeMinutes": f.RefreshBakeMinutes != 0, "refreshCheckpoints": len(f.RefreshCheckpoints) > 0, "refreshCheckpointMinutes": f.RefreshCheckpointMinutes != 0} {
			if set {
				p.add(at(key), "only applies to mode %q; a fixed fleet's servers are replaced by CloudFormation, each proven by its signal", FleetAutoScaling)
			}
		}
		return
	}
	if f.RefreshBakeMinutes != 0 {
		checkRange(at("refreshBakeMinutes"), f.RefreshBakeMinutes, 1, 2880, p)
	}
	for i, c := range f.RefreshCheckpoints {
		key := fmt.Sprintf("%s[%d]", at("refreshCheckpoints"), i)
		switch {
		case c < 1 || c > 100:
			p.add(key, "%d is not a percentage; allowed: 1 to 100", c)
		case i > 0 && c <= f.RefreshCheckpoints[i-1]:
			p.add(key, "%d does not follow %d; allowed: ascending, each once", c, f.RefreshCheckpoints[i-1])
		}
	}
	if n := len(f.RefreshCheckpoints); n > 0 && f.RefreshCheckpoints[n-1] != 100 {
		p.add(at("refreshCheckpoints"), "ends at %d; allowed: a list ending at 100 (every server replaced)", f.RefreshCheckpoints[n-1])
	}
	if f.RefreshCheckpointMinutes != 0 {
		if len(f.RefreshCheckpoints) == 0 {
			p.add(at("refreshCheckpointMinutes"), "only applies with refreshCheckpoints")
		} else {
			checkRange(at("refreshCheckpointMinutes"), f.RefreshCheckpointMinutes, 1, 2880, p)
		}
	}
}

func (f *Fleet) validateScaling(at func(string) string, p *problems) {
	if f.Mode == FleetFixed {
		for key, set := range map[string]bool{"scaleOn": f.ScaleOn != "", "targetCpuPercent": f.TargetCPUPercent != 0, "targetRequestsPerMinute": f.TargetRequestsPerMinute != 0} {
			if set {
				p.add(at(key), "only applies to mode %q; fixed fleets do not scale", FleetAutoScaling)
			}
		}
		return
	}
	switch f.ScaleOn {
	case "", ScaleOnCPU:
		if f.TargetRequestsPerMinute != 0 {
			p.add(at("targetRequestsPerMinute"), "only applies with scaleOn %q", ScaleOnRequests)
		}
	case ScaleOnRequests:
		if f.TargetCPUPercent != 0 {
			p.add(at("targetCpuPercent"), "only applies with scaleOn %q", ScaleOnCPU)
		}
	default:
		p.add(at("scaleOn"), "%q is not a scaling metric; allowed: %s, %s", f.ScaleOn, ScaleOnCPU, ScaleOnRequests)
	}
	if f.TargetCPUPercent != 0 {
		checkRange(at("targetCpuPercent"), f.TargetCPUPercent, 10, 90, p)
	}
	if f.TargetRequestsPerMinute != 0 {
		checkRange(at("targetRequestsPerMinute"), f.TargetRequestsPerMinute, 1, 1000000, p)
	}
}

func (d *Database) validate(path string, p *problems) {
	at := func(key string) string { return join(path, key) }
	if d.Engine == "" {
		d.Engine = EngineMySQL
	}
	if engines := []string{EngineMySQL, EngineMariaDB, EnginePostgres}; !slices.Contains(engines, d.Engine) {
		p.add(at("engine"), "%q is not a database engine; allowed: %s", d.Engine, strings.Join(engines, ", "))
	}
	if d.InstanceType == "" {
		d.InstanceType = "t3.medium"
	}
	if strings.HasPrefix(d.InstanceType, "db.") {
		p.add(at("instanceType"), "%q: leave out the db. prefix, e.g. t3.medium", d.InstanceType)
	} else {
		checkInstanceType(at("instanceType"), d.InstanceType, p)
	}
	d.AllocatedStorageGiB = orDefault(d.AllocatedStorageGiB, 20)
	checkRange(at("allocatedStorageGiB"), *d.AllocatedStorageGiB, 20, 65536, p)
	small := regexp.MustCompile(`^t[234]g?\.(micro|small)$`).MatchString(d.InstanceType) && d.Engine != EnginePostgres
	if d.PerformanceInsights == nil {
		on := !small
		d.PerformanceInsights = &on
	} else if *d.PerformanceInsights && small {
		p.add(at("performanceInsights"), "not available for %s on %s; allowed: false, or a larger instanceType (e.g. t3.medium)", d.Engine, d.InstanceType)
	}
	d.EnhancedMonitoringSeconds = orDefault(d.EnhancedMonitoringSeconds, 60)
	if s := *d.EnhancedMonitoringSeconds; !slices.Contains([]int{0, 1, 5, 10, 15, 30, 60}, s) {
		p.add(at("enhancedMonitoringSeconds"), "%d is not an interval; allowed: 0 (off), 1, 5, 10, 15, 30, 60", s)
	}
}

func (e *Environment) validateFrontend(path string, p *problems) {
	f := e.Frontend
	if f.DomainName == "" {
		f.DomainName = e.DomainName
	}
	if f.SPAFallback == nil {
		on := true
		f.SPAFallback = &on
	}
	at := join(path, "domainName")
	if f.DomainName == "" {
		return // the environment's domainName is reported missing
	}
	checkDomain(at, f.DomainName, p)
	if e.HostedZone.Name != "" && !check.InZone(f.DomainName, e.HostedZone.Name) {
		p.add(at, "%q is not inside the hosted zone %q", f.DomainName, e.HostedZone.Name)
	}
	for _, name := range sortedKeys(e.Tiers) {
		if d := e.Tiers[name].Props.DomainName; d == f.DomainName || (f.RedirectWWW && d == "www."+f.DomainName) {
			p.add(at, "%q is served by tier %s; the site needs its own name", d, name)
		}
	}
}

func (e *Environment) validateTiers(path string, p *problems) {
	if len(e.RawTiers) == 0 {
		p.add(path, "required: at least one of %s, e.g. {\"%s\": {}}", strings.Join(sortedKeys(applications), ", "), TierLaravel)
	}
	e.Tiers = map[string]Tier{}
	served := map[string]string{}
	for _, name := range sortedKeys(e.RawTiers) {
		tier, known := decodeTier(join(path, name), name, e.RawTiers[name], p)
		if !known {
			continue
		}
		at := join(join(path, name), "domainName")
		if tier.Props.DomainName == "" && e.DomainName != "" {
			tier.Props.DomainName = applications[name].subdomain + "." + e.DomainName
		}
		if d := tier.Props.DomainName; d != "" {
			checkDomain(at, d, p)
			if e.HostedZone.Name != "" && !check.InZone(d, e.HostedZone.Name) {
				p.add(at, "%q is not inside the hosted zone %q", d, e.HostedZone.Name)
			}
			if other, dup := served[d]; dup {
				p.add(at, "%q is already served by tier %s; each tier needs its own name", d, other)
			}
			served[d] = name
		}
		e.Tiers[name] = tier
	}
}

func orDefault(v *int, def int) *int {
	if v == nil {
		return &def
	}
	return v
}
