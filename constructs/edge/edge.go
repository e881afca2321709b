// Package edge is the internet-facing block of a web tier: the Application
// Load Balancer that spreads requests over the fleet's servers, ends TLS with
// an ACM certificate, redirects HTTP to HTTPS, takes a server out of rotation
// within about 20 seconds of its health check failing, logs every request,
// and answers at the tier's domain name through Route53 alias records. It
// can also be internal, or open to a list of source ranges only.
package edge

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53targets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/tierkit/tierkit/constructs/storage"
	"github.com/tierkit/tierkit/internal/check"
)

// Health check timing, fixed because it is the reliability control: a target
// that stops answering is out of rotation after 2 failed checks 10 s apart
// (about 20 s, against 60 s with the AWS defaults), and back after 2 good
// ones. TargetGroup().ConfigureHealthCheck can still change it.
const (
	healthCheckInterval     = 10 * time.Second
	healthCheckTimeout      = 5 * time.Second
	healthyThresholdCount   = 2
	unhealthyThresholdCount = 2
)

// Defaults of the optional props.
const (
	defaultTargetPort          = 80
	defaultDeregistrationDelay = 30 * time.Second
	defaultIdleTimeout         = 60 * time.Second
	defaultHealthCheckPath     = "/"
	defaultHealthyHTTPCodes    = "200"
	defaultAccessLogPrefix     = "alb"
)

// Props configures an Edge.
type Props struct {
	// Vpc holds the load balancer, in its public subnets (SubnetType PUBLIC),
	// or its private subnets (PRIVATE_WITH_EGRESS) when Internal, which must
	// span at least two Availability Zones. Required.
	Vpc awsec2.IVpc

	// DomainName is the public name served, e.g. "api.example.com": the
	// certificate's name and the alias records' name. It must be Zone's name or
	// a name under it. Required.
	DomainName string

	// Zone is the public hosted zone that holds DomainName: the certificate is
	// validated in it and the alias records are written to it. Pass it by id
	// and name (awsroute53.HostedZone_FromHostedZoneAttributes), never by
	// lookup. Required.
	Zone awsroute53.IHostedZone

	// Certificate is served by the HTTPS listener instead of issuing a new one;
	// it must cover DomainName.
	//
	// Default: a new ACM certificate for DomainName, validated by DNS in Zone
	// (renewed by ACM as long as the validation record stays in the zone).
	Certificate awscertificatemanager.ICertificate

	// SSLPolicy is the HTTPS listener's TLS policy; only the TLS 1.3 policies
	// (ELBSecurityPolicy-TLS13-*: SslPolicy_TLS13_*, SslPolicy_FIPS_TLS13_*,
	// SslPolicy_RECOMMENDED_TLS) are accepted.
	//
	// Default: SslPolicy_TLS13_12_RES_PQ (ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09:
	// TLS 1.3 and 1.2, restricted ciphers, post-quantum key exchange).
	SSLPolicy awselasticloadbalancingv2.SslPolicy

	// Targets are the fleet the load balancer forwards to: an Auto Scaling
	// group, or instance-id targets for fixed instances. All must be of one
	// target type. Required, at least one.
	Targets []awselasticloadbalancingv2.IApplicationLoadBalancerTarget

	// TargetPort is the port the servers listen on, plain HTTP (TLS ends at
	// the load balancer), 1 to 65535.
	//
	// Default: 80.
	TargetPort int

	// TargetConnections is the fleet (its security group, or the Auto Scaling
	// group). When set, the fleet's group accepts TargetPort from the load
	// balancer's group only, and the load balancer's group may reach it on
	// that port. An Auto Scaling group target gets the same single rule from
	// CDK; it is not duplicated.
	//
	// Default: nil: the caller opens the fleet to the load balancer, e.g.
	// fleetSG.Connections().AllowFrom(edge.LoadBalancer(), port, ...). Until then
	// instance-id targets are unreachable: the load balancer's group has no
	// egress rule.
	TargetConnections awsec2.IConnectable

	// HealthCheckPath is the path the load balancer requests on each server,
	// e.g. "/up" (Laravel) or "/status.php" (Nextcloud). It must start with "/".
	//
	// Default: "/".
	HealthCheckPath string

	// HealthyHTTPCodes are the response codes that count as healthy: codes
	// 200 to 499, ranges or a comma-separated list, e.g. "200", "200-299",
	// "200,302".
	//
	// Default: "200".
	HealthyHTTPCodes string

	// DeregistrationDelay is how long a server taken out of rotation keeps
	// serving its in-flight requests, 1 s to 3600 s in whole seconds.
	//
	// Default: 30 s (the AWS default of 300 s slows every deploy).
	DeregistrationDelay time.Duration

	// Stickiness, when positive, pins a client to one server for that long with
	// a load-balancer-generated cookie (AWSALB), 1 s to 7 days in whole seconds.
	//
	// Default: 0, no stickiness.
	Stickiness time.Duration

	// DualStack makes the load balancer answer on IPv6 as well as IPv4
	// (IpAddressType dualstack), opens 80 and 443 to ::/0 too, and adds an AAAA
	// alias record. The VPC must have IPv6: an IPv6 CIDR block and IPv6 CIDRs
	// on its public subnets (awsec2.VpcProps IpProtocol DUAL_STACK).
	//
	// Default: false, IPv4 only, A record only.
	DualStack bool

	// IdleTimeout is how long a connection may stay idle before the load
	// balancer closes it, 1 s to 4000 s in whole seconds. Raise it for large
	// uploads.
	//
	// Default: 60 s.
	IdleTimeout time.Duration

	// DisableDeletionProtection lets CloudFormation delete the load balancer,
	// for throw-away environments.
	//
	// Default: false, deletion protection on.
	DisableDeletionProtection bool

	// Internal makes the load balancer internal (scheme internal) in the
	// VPC's private subnets (PRIVATE_WITH_EGRESS): reachable only from the
	// VPC and the networks routed into it (VPN, Direct Connect, peering,
	// Transit Gateway). The certificate is still validated by DNS in Zone and
	// the alias records are still written there, so the public name resolves
	// to the load balancer's private addresses.
	//
	// Default: false, internet-facing in the public subnets.
	Internal bool `json:"internal"`

	// AllowedSourceCIDRs are the only source ranges the load balancer accepts
	// HTTP and HTTPS from (e.g. an office's addresses): network addresses
	// such as "203.0.113.0/24", IPv6 ones such as "2001:db8::/56" only with
	// DualStack, each once, at most 30 (two rules each, within a security
	// group's 60 inbound rules).
	//
	// Default: none, 80 and 443 from anywhere (0.0.0.0/0, and ::/0 with DualStack).
	AllowedSourceCIDRs []string `json:"allowedSourceCidrs"`

	// AccessLogBucket receives the load balancer's access logs, under
	// AccessLogPrefix. It must be encrypted with SSE-S3 (ALB log delivery does
	// not support KMS keys). A bucket created in the same app gets the
	// log-delivery bucket policy; an imported one must already have it.
	//
	// Default: a new log bucket (storage.NewLogBucket) in this construct.
	AccessLogBucket awss3.IBucket

	// AccessLogPrefix is the key prefix of the access logs: no leading or
	// trailing "/", and not containing "AWSLogs".
	//
	// Default: "alb".
	AccessLogPrefix string
}

// publicSubnets are where an internet-facing load balancer goes, and
// privateSubnets an internal one: an ALB takes one subnet per Availability Zone.
var (
	publicSubnets  = &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PUBLIC, OnePerAz: jsii.Bool(true)}
	privateSubnets = &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS, OnePerAz: jsii.Bool(true)}
)

// MaxSourceCIDRs is how many ranges AllowedSourceCIDRs may hold: two rules
// each, within a security group's default quota of 60 inbound rules.
const MaxSourceCIDRs = 30

// subnets returns where the load balancer goes.
func (p Props) subnets() *awsec2.SubnetSelection {
	if p.Internal {
		return privateSubnets
	}
	return publicSubnets
}

var healthyCodesRE = regexp.MustCompile(`^[2-4][0-9][0-9](-[2-4][0-9][0-9])?(,[2-4][0-9][0-9](-[2-4][0-9][0-9])?)*$`)

// Validate reports what is wrong with p, naming the field and what is allowed.
func (p Props) Validate() error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if p.Vpc == nil {
		add("Vpc: missing; required: the VPC whose public subnets hold the load balancer")
	} else {
		problems = append(problems, checkSubnets(p.Vpc, p.Internal, p.DualStack)...)
	}
	problems = append(problems, checkSourceCIDRs(p.AllowedSourceCIDRs, p.DualStack)...)

	domain := strings.TrimSuffix(p.DomainName, ".")
	switch {
	case domain == "":
		add(`DomainName: missing; required: the name served, e.g. "api.example.com"`)
	case !check.HostName(domain):
		add("DomainName: %q is not a host name; allowed: lower-case labels of letters, digits and hyphens separated by dots, e.g. \"api.example.com\"", p.DomainName)
	case p.Certificate == nil && len(domain) > 64:
		add("DomainName: %q is %d characters; allowed: at most 64 for a new ACM certificate (or pass Certificate)", p.DomainName, len(domain))
	}
	if p.Zone == nil {
		add("Zone: missing; required: the hosted zone of DomainName, from awsroute53.HostedZone_FromHostedZoneAttributes")
	} else if name, ok := check.ZoneName(p.Zone); ok && domain != "" {
		if !check.InZone(domain, name) {
			add("DomainName: %q is outside the hosted zone %q; allowed: the zone's name or a name under it", p.DomainName, name)
		}
	}

	if p.SSLPolicy != "" && !isTLS13Policy(p.SSLPolicy) {
		add("SSLPolicy: SslPolicy_%s is not a TLS 1.3 policy; allowed: SslPolicy_TLS13_*, SslPolicy_FIPS_TLS13_* or SslPolicy_RECOMMENDED_TLS (the ELBSecurityPolicy-TLS13-* policies)", p.SSLPolicy)
	}
	if len(p.Targets) == 0 {
		add("Targets: none; required: at least one target (the fleet's Auto Scaling group or instance-id targets)")
	}
	for i, t := range p.Targets {
		if t == nil {
			add("Targets[%d]: nil; allowed: an Auto Scaling group or an instance-id target", i)
		}
	}
	if p.TargetPort != 0 && (p.TargetPort < 1 || p.TargetPort > 65535) {
		add("TargetPort: %d is out of range; allowed: 1 to 65535 (0 for the default, 80)", p.TargetPort)
	}
	if p.HealthCheckPath != "" && (!strings.HasPrefix(p.HealthCheckPath, "/") || len(p.HealthCheckPath) > 1024 || strings.ContainsAny(p.HealthCheckPath, " \t\r\n")) {
		add(`HealthCheckPath: %q is not an absolute path; allowed: a path starting with "/", without spaces, at most 1024 characters, e.g. "/up"`, p.HealthCheckPath)
	}
	if p.HealthyHTTPCodes != "" && !healthyCodesRE.MatchString(p.HealthyHTTPCodes) {
		add(`HealthyHTTPCodes: %q is not a list of codes; allowed: codes 200 to 499, ranges or comma-separated, e.g. "200", "200-299", "200,302"`, p.HealthyHTTPCodes)
	}
	if msg := checkSeconds(p.DeregistrationDelay, time.Second, 3600*time.Second); msg != "" {
		add("DeregistrationDelay: %v %s; allowed: 1s to 3600s in whole seconds (0 for the default, 30s)", p.DeregistrationDelay, msg)
	}
	if msg := checkSeconds(p.Stickiness, time.Second, 7*24*time.Hour); msg != "" {
		add("Stickiness: %v %s; allowed: 1s to 168h (7 days) in whole seconds (0 for no stickiness)", p.Stickiness, msg)
	}
	if msg := checkSeconds(p.IdleTimeout, time.Second, 4000*time.Second); msg != "" {
		add("IdleTimeout: %v %s; allowed: 1s to 4000s in whole seconds (0 for the default, 60s)", p.IdleTimeout, msg)
	}
	if p.AccessLogPrefix != "" && (strings.HasPrefix(p.AccessLogPrefix, "/") || strings.HasSuffix(p.AccessLogPrefix, "/") || strings.Contains(p.AccessLogPrefix, "AWSLogs")) {
		add(`AccessLogPrefix: %q is not allowed by ALB access logs; allowed: a key prefix without a leading or trailing "/" and without "AWSLogs", e.g. "alb"`, p.AccessLogPrefix)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// checkSubnets reports a VPC whose public subnets (private ones when
// internal) cannot hold the load balancer: fewer than two Availability Zones,
// or, for dual-stack, subnets created without IPv6 (imported subnets are
// trusted).
func checkSubnets(vpc awsec2.IVpc, internal, dualStack bool) (problems []string) {
	kind, subnetType, selection := "public", "PUBLIC", publicSubnets
	if internal {
		kind, subnetType, selection = "private", "PRIVATE_WITH_EGRESS", privateSubnets
	}
	defer func() {
		// SelectSubnets throws when the VPC has no subnet group of the type.
		if r := recover(); r != nil {
			if !strings.Contains(fmt.Sprint(r), "subnet") {
				panic(r)
			}
			problems = []string{fmt.Sprintf("Vpc: has no %s subnets; required: %s subnets (SubnetType %s) in at least two Availability Zones", kind, kind, subnetType)}
		}
	}()
	selected := vpc.SelectSubnets(selection)
	azs := map[string]bool{}
	for _, az := range *selected.AvailabilityZones {
		azs[*az] = true
	}
	if len(azs) < 2 {
		problems = append(problems, fmt.Sprintf("Vpc: %s subnets span %d Availability Zone(s); required: at least two (ELB.13)", kind, len(azs)))
	}
	if dualStack {
		for _, s := range *selected.Subnets {
			if cfn, ok := s.Node().DefaultChild().(awsec2.CfnSubnet); ok && cfn.Ipv6CidrBlock() == nil && cfn.Ipv6IpamPoolId() == nil {
				problems = append(problems, fmt.Sprintf("DualStack: %s subnet %s has no IPv6 CIDR; required: a VPC with IPv6 (awsec2.VpcProps IpProtocol DUAL_STACK)", kind, *s.Node().Path()))
				break
			}
		}
	}
	return problems
}

// checkSourceCIDRs reports the entries of AllowedSourceCIDRs that are not
// network addresses, repeat, or are IPv6 on an IPv4-only load balancer.
func checkSourceCIDRs(cidrs []string, dualStack bool) (problems []string) {
	if len(cidrs) > MaxSourceCIDRs {
		problems = append(problems, fmt.Sprintf("AllowedSourceCIDRs: %d ranges; allowed: at most %d (two rules each, within a security group's 60 inbound rules)", len(cidrs), MaxSourceCIDRs))
	}
	for i, c := range cidrs {
		if problem := SourceCIDRProblem(c, dualStack, cidrs[:i]); problem != "" {
			problems = append(problems, fmt.Sprintf("AllowedSourceCIDRs[%d]: %s", i, problem))
		}
	}
	return problems
}

// SourceCIDRProblem returns what is wrong with cidr as an entry of
// AllowedSourceCIDRs after the entries before it, or "": the configuration
// reports it under its own key.
func SourceCIDRProblem(cidr string, dualStack bool, before []string) string {
	prefix, err := netip.ParsePrefix(cidr)
	switch {
	case err != nil:
		return fmt.Sprintf("%q is not a CIDR range; allowed: an IPv4 or IPv6 network such as 203.0.113.0/24 or 2001:db8::/56", cidr)
	case prefix.Masked() != prefix:
		return fmt.Sprintf("%q has host bits set; allowed: the network address, %s", cidr, prefix.Masked())
	case prefix.Addr().Is4In6():
		return fmt.Sprintf("%q is an IPv4-mapped IPv6 range; allowed: the IPv4 range itself", cidr)
	case prefix.Addr().Is6() && !dualStack:
		return fmt.Sprintf("%q is an IPv6 range, but the load balancer is IPv4 only; allowed: IPv4 ranges, or IPv6 ones with DualStack", cidr)
	}
	for _, b := range before {
		if other, err := netip.ParsePrefix(b); err == nil && other == prefix {
			return fmt.Sprintf("%q is listed twice", cidr)
		}
	}
	return ""
}

// checkSeconds returns what is wrong with an optional duration d (0 means the
// default): "" when it is whole seconds within [lo, hi].
func checkSeconds(d, lo, hi time.Duration) string {
	switch {
	case d == 0:
		return ""
	case d < lo || d > hi:
		return "is out of range"
	case d%time.Second != 0:
		return "is not a whole number of seconds"
	}
	return ""
}

// isTLS13Policy reports whether policy is one of the ELBSecurityPolicy-TLS13-*
// policies. Go holds jsii enums by member name (TLS13_12_RES_PQ), not by the
// policy name CloudFormation receives.
func isTLS13Policy(policy awselasticloadbalancingv2.SslPolicy) bool {
	name := string(policy)
	return strings.HasPrefix(name, "TLS13_") || strings.HasPrefix(name, "FIPS_TLS13_") ||
		policy == awselasticloadbalancingv2.SslPolicy_RECOMMENDED_TLS
}

// Edge is the client-facing side of a web tier: an ALB in the public
// subnets (private ones when internal) with an HTTPS listener forwarding to the fleet's target group, an
// HTTP listener that only redirects to HTTPS, access logs, and alias records.
type Edge struct {
	constructs.Construct
	lb            awselasticloadbalancingv2.ApplicationLoadBalancer
	https         awselasticloadbalancingv2.ApplicationListener
	http          awselasticloadbalancingv2.ApplicationListener
	targetGroup   awselasticloadbalancingv2.ApplicationTargetGroup
	certificate   awscertificatemanager.ICertificate
	logBucket     awss3.IBucket
	securityGroup awsec2.SecurityGroup
	records       []awsroute53.RecordSet
	subnets       []awsec2.ISubnet
	vpc           awsec2.IVpc
}

// LoadBalancer returns the ALB, for metrics, a WAF association and escape
// hatches.
func (e *Edge) LoadBalancer() awselasticloadbalancingv2.ApplicationLoadBalancer { return e.lb }

// HTTPSListener returns the HTTPS:443 listener that forwards to TargetGroup.
func (e *Edge) HTTPSListener() awselasticloadbalancingv2.ApplicationListener { return e.https }

// HTTPListener returns the HTTP:80 listener, which only redirects to HTTPS.
func (e *Edge) HTTPListener() awselasticloadbalancingv2.ApplicationListener { return e.http }

// TargetGroup returns the fleet's target group, for health metrics and alarms.
func (e *Edge) TargetGroup() awselasticloadbalancingv2.ApplicationTargetGroup {
	return e.targetGroup
}

// Certificate returns the certificate the HTTPS listener serves: the one
// given in Props, or the one created.
func (e *Edge) Certificate() awscertificatemanager.ICertificate { return e.certificate }

// AccessLogBucket returns the bucket that receives the access logs.
func (e *Edge) AccessLogBucket() awss3.IBucket { return e.logBucket }

// SecurityGroup returns the load balancer's security group: the only source
// the fleet should accept web traffic from.
func (e *Edge) SecurityGroup() awsec2.ISecurityGroup { return e.securityGroup }

// SubnetCIDRs returns the IPv4 ranges of the subnets the load balancer is in
// (public, or private when Internal), one per Availability Zone: the
// addresses its requests reach the servers from, which is what an
// application should trust X-Forwarded-For from. The load balancer reaches
// instance targets over IPv4 also when DualStack, so no IPv6 range is
// returned. A range may be a token (an imported subnet's); an imported
// subnet given without its range contributes the VPC's range instead.
func (e *Edge) SubnetCIDRs() []string {
	var cidrs []string
	for _, s := range e.subnets {
		cidr := subnetCIDR(s)
		if cidr == "" {
			cidr = *e.vpc.VpcCidrBlock()
		}
		if !slices.Contains(cidrs, cidr) {
			cidrs = append(cidrs, cidr)
		}
	}
	return cidrs
}

// subnetCIDR returns s's IPv4 range, or "" for an imported subnet given
// without one (CDK throws when it is read).
func subnetCIDR(s awsec2.ISubnet) (cidr string) {
	defer func() {
		if r := recover(); r != nil {
			if !strings.Contains(fmt.Sprint(r), "CIDR") {
				panic(r)
			}
			cidr = ""
		}
	}()
	return *s.Ipv4CidrBlock()
}

// AliasRecords returns the alias records of DomainName: the A record, and the
// AAAA record when DualStack is set.
func (e *Edge) AliasRecords() []awsroute53.RecordSet {
	return append([]awsroute53.RecordSet(nil), e.records...)
}

// New creates the load balancer, its listeners, target group, certificate,
// access logs and alias records. It panics, naming id, when props are invalid
// or the stack's region is not concrete (access logs need it).
func New(scope constructs.Construct, id string, props *Props) *Edge {
	p := Props{}
	if props != nil {
		p = *props
		p.Targets = append([]awselasticloadbalancingv2.IApplicationLoadBalancerTarget(nil), props.Targets...)
	}
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("edge %s: %v", id, err))
	}
	if stack := awscdk.Stack_Of(scope); *awscdk.Token_IsUnresolved(stack.Region()) {
		panic(fmt.Sprintf("edge %s: the region of stack %s is not concrete (an environment-agnostic stack); required: a concrete region, as the load balancer's access logs are delivered by that region's ELB account. "+
			"Set it in the stack's props, awscdk.StackProps{Env: &awscdk.Environment{Region: jsii.String(\"eu-west-1\")}} (with tierkit's app: the environment's \"region\" in cdk.json)", id, *stack.Node().Path()))
	}
	if p.SSLPolicy == "" {
		p.SSLPolicy = awselasticloadbalancingv2.SslPolicy_TLS13_12_RES_PQ
	}
	if p.TargetPort == 0 {
		p.TargetPort = defaultTargetPort
	}
	if p.HealthCheckPath == "" {
		p.HealthCheckPath = defaultHealthCheckPath
	}
	if p.HealthyHTTPCodes == "" {
		p.HealthyHTTPCodes = defaultHealthyHTTPCodes
	}
	if p.DeregistrationDelay == 0 {
		p.DeregistrationDelay = defaultDeregistrationDelay
	}
	if p.IdleTimeout == 0 {
		p.IdleTimeout = defaultIdleTimeout
	}
	if p.AccessLogPrefix == "" {
		p.AccessLogPrefix = defaultAccessLogPrefix
	}
	domain := strings.TrimSuffix(p.DomainName, ".")

	e := &Edge{}
	constructs.NewConstruct_Override(e, scope, jsii.String(id))

	e.certificate = p.Certificate
	if e.certificate == nil {
		e.certificate = awscertificatemanager.NewCertificate(e, jsii.String("Certificate"), &awscertificatemanager.CertificateProps{
			DomainName: jsii.String(domain),
			Validation: awscertificatemanager.CertificateValidation_FromDns(p.Zone),
		})
	}

	e.logBucket = p.AccessLogBucket
	if e.logBucket == nil {
		// "AccessLogs" is part of the log bucket's logical ID: renaming it replaces the bucket.
		e.logBucket = storage.NewLogBucket(e, "AccessLogs", nil)
	}

	e.securityGroup = newSecurityGroup(e, p)

	ipType := awselasticloadbalancingv2.IpAddressType_IPV4
	if p.DualStack {
		ipType = awselasticloadbalancingv2.IpAddressType_DUAL_STACK
	}
	// "LoadBalancer" is part of the logical IDs of the ALB and its listeners:
	// renaming it replaces the ALB and its DNS name.
	e.lb = awselasticloadbalancingv2.NewApplicationLoadBalancer(e, jsii.String("LoadBalancer"), &awselasticloadbalancingv2.ApplicationLoadBalancerProps{
		Vpc:                     p.Vpc,
		VpcSubnets:              p.subnets(),
		InternetFacing:          jsii.Bool(!p.Internal),
		SecurityGroup:           e.securityGroup,
		IpAddressType:           ipType,
		DeletionProtection:      jsii.Bool(!p.DisableDeletionProtection),
		DropInvalidHeaderFields: jsii.Bool(true),
		DesyncMitigationMode:    awselasticloadbalancingv2.DesyncMitigationMode_DEFENSIVE,
		IdleTimeout:             awscdk.Duration_Seconds(jsii.Number(p.IdleTimeout.Seconds())),
	})
	e.lb.LogAccessLogs(e.logBucket, jsii.String(p.AccessLogPrefix))
	e.vpc, e.subnets = p.Vpc, *p.Vpc.SelectSubnets(p.subnets()).Subnets

	var stickiness awscdk.Duration
	if p.Stickiness > 0 {
		stickiness = awscdk.Duration_Seconds(jsii.Number(p.Stickiness.Seconds()))
	}
	// The target type follows the targets (instance for an Auto Scaling group
	// or instance ids, ip for IP targets).
	e.targetGroup = awselasticloadbalancingv2.NewApplicationTargetGroup(e, jsii.String("TargetGroup"), &awselasticloadbalancingv2.ApplicationTargetGroupProps{
		Vpc:                      p.Vpc,
		Protocol:                 awselasticloadbalancingv2.ApplicationProtocol_HTTP,
		Port:                     jsii.Number(p.TargetPort),
		Targets:                  &p.Targets,
		DeregistrationDelay:      awscdk.Duration_Seconds(jsii.Number(p.DeregistrationDelay.Seconds())),
		StickinessCookieDuration: stickiness,
		HealthCheck: &awselasticloadbalancingv2.HealthCheck{
			Enabled:                 jsii.Bool(true),
			Protocol:                awselasticloadbalancingv2.Protocol_HTTP,
			Path:                    jsii.String(p.HealthCheckPath),
			HealthyHttpCodes:        jsii.String(p.HealthyHTTPCodes),
			Interval:                awscdk.Duration_Seconds(jsii.Number(healthCheckInterval.Seconds())),
			Timeout:                 awscdk.Duration_Seconds(jsii.Number(healthCheckTimeout.Seconds())),
			HealthyThresholdCount:   jsii.Number(healthyThresholdCount),
			UnhealthyThresholdCount: jsii.Number(unhealthyThresholdCount),
		},
	})

	// Open: false on both listeners: the group's rules are set above.
	e.https = e.lb.AddListener(jsii.String("HTTPS"), &awselasticloadbalancingv2.BaseApplicationListenerProps{
		Port:                jsii.Number(443),
		Protocol:            awselasticloadbalancingv2.ApplicationProtocol_HTTPS,
		Certificates:        &[]awselasticloadbalancingv2.IListenerCertificate{awselasticloadbalancingv2.ListenerCertificate_FromCertificateManager(e.certificate)},
		SslPolicy:           p.SSLPolicy,
		DefaultTargetGroups: &[]awselasticloadbalancingv2.IApplicationTargetGroup{e.targetGroup},
		Open:                jsii.Bool(false),
	})
	e.http = e.lb.AddListener(jsii.String("HTTP"), &awselasticloadbalancingv2.BaseApplicationListenerProps{
		Port:     jsii.Number(80),
		Protocol: awselasticloadbalancingv2.ApplicationProtocol_HTTP,
		DefaultAction: awselasticloadbalancingv2.ListenerAction_Redirect(&awselasticloadbalancingv2.RedirectOptions{
			Protocol:  jsii.String("HTTPS"),
			Port:      jsii.String("443"),
			Permanent: jsii.Bool(true),
		}),
		Open: jsii.Bool(false),
	})
	// Packs beyond AwsSolutions (HIPAA, NIST 800-53 R5, PCI DSS) require an
	// ACM certificate on every listener, including one that only redirects.
	var certRules []*cdknag.NagPackSuppression
	for _, pack := range []string{"HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321"} {
		certRules = append(certRules, &cdknag.NagPackSuppression{
			Id:     jsii.String(pack + "-ELBv2ACMCertificateRequired"),
			Reason: jsii.String("This HTTP:80 listener only answers with a permanent redirect to HTTPS:443 and never forwards; HTTP listeners take no certificate. The HTTPS:443 listener serves the ACM certificate."),
		})
	}
	cdknag.NagSuppressions_AddResourceSuppressions(e.http, &certRules, jsii.Bool(false))

	if p.TargetConnections != nil {
		// The same call CDK makes for an Auto Scaling group target: the rule ids
		// match, so it yields one ingress rule (fleet from this group) and one
		// egress rule (this group to the fleet), never a duplicate.
		p.TargetConnections.Connections().AllowFrom(e.lb, awsec2.Port_Tcp(jsii.Number(p.TargetPort)), jsii.String("Load balancer to target"))
	}

	target := awsroute53.RecordTarget_FromAlias(awsroute53targets.NewLoadBalancerTarget(e.lb, nil))
	// "ARecord" and "AAAARecord" are part of the records' logical IDs.
	e.records = append(e.records, awsroute53.NewARecord(e, jsii.String("ARecord"), &awsroute53.ARecordProps{
		Zone:       p.Zone,
		RecordName: jsii.String(domain + "."),
		Target:     target,
	}))
	if p.DualStack {
		e.records = append(e.records, awsroute53.NewAaaaRecord(e, jsii.String("AAAARecord"), &awsroute53.AaaaRecordProps{
			Zone:       p.Zone,
			RecordName: jsii.String(domain + "."),
			Target:     target,
		}))
	}
	return e
}

// newSecurityGroup returns the load balancer's own group, so that its rules
// are exactly these: 80 and 443 in from anywhere or from AllowedSourceCIDRs
// only, and (added later) only the fleet's port out.
func newSecurityGroup(e *Edge, p Props) awsec2.SecurityGroup {
	scheme := "Internet-facing"
	if p.Internal {
		scheme = "Internal"
	}
	from, peers := "anywhere", []awsec2.IPeer{awsec2.Peer_AnyIpv4()}
	if p.DualStack {
		peers = append(peers, awsec2.Peer_AnyIpv6())
	}
	if len(p.AllowedSourceCIDRs) > 0 {
		from, peers = "the allowed sources", nil
		for _, c := range p.AllowedSourceCIDRs {
			if netip.MustParsePrefix(c).Addr().Is4() {
				peers = append(peers, awsec2.Peer_Ipv4(jsii.String(c)))
			} else {
				peers = append(peers, awsec2.Peer_Ipv6(jsii.String(c)))
			}
		}
	}
	sg := awsec2.NewSecurityGroup(e, jsii.String("SecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc: p.Vpc,
		// The description cannot change in place: a new one replaces the group.
		Description:      jsii.String(scheme + " load balancer: HTTP and HTTPS from " + from),
		AllowAllOutbound: jsii.Bool(false),
	})
	for _, peer := range peers {
		sg.AddIngressRule(peer, awsec2.Port_Tcp(jsii.Number(443)), jsii.String("HTTPS from "+from), nil)
		sg.AddIngressRule(peer, awsec2.Port_Tcp(jsii.Number(80)), jsii.String("HTTP from "+from+", redirected to HTTPS"), nil)
	}
	if len(p.AllowedSourceCIDRs) == 0 {
		cdknag.NagSuppressions_AddResourceSuppressions(sg, &[]*cdknag.NagPackSuppression{{
			Id:     jsii.String("AwsSolutions-EC23"),
			Reason: jsii.String(scheme + " load balancer: its group accepts HTTP (80, redirected to HTTPS) and HTTPS (443) from anywhere, and no other port; the fleet accepts traffic from this group only."),
		}}, jsii.Bool(false))
	}
	return sg
}
