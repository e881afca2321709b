// Package edge is the internet-facing block of a web tier: the Application
// Load Balancer that spreads requests over the fleet's servers, ends TLS with
// an ACM certificate, redirects HTTP to HTTPS, takes a server out of rotation
// within about 20 seconds of its health check failing, logs every request,
// and answers at the tier's domain name through Route53 alias records.
package edge

import (
	"fmt"
	"regexp"
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
	// which must span at least two Availability Zones. Required.
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

// publicSubnets are where the load balancer goes: an ALB takes one subnet per
// Availability Zone.
var publicSubnets = &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PUBLIC, OnePerAz: jsii.Bool(true)}

var healthyCodesRE = regexp.MustCompile(`^[2-4][0-9][0-9](-[2-4][0-9][0-9])?(,[2-4][0-9][0-9](-[2-4][0-9][0-9])?)*$`)

// Validate reports what is wrong with p, naming the field and what is allowed.
func (p Props) Validate() error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if p.Vpc == nil {
		add("Vpc: missing; required: the VPC whose public subnets hold the load balancer")
	} else {
		problems = append(problems, checkPublicSubnets(p.Vpc, p.DualStack)...)
	}

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

// checkPublicSubnets reports a VPC whose public subnets cannot hold an
// internet-facing load balancer: fewer than two Availability Zones, or, for
// dual-stack, subnets created without IPv6 (imported subnets are trusted).
func checkPublicSubnets(vpc awsec2.IVpc, dualStack bool) (problems []string) {
	defer func() {
		// SelectSubnets throws when the VPC has no public subnet group.
		if r := recover(); r != nil {
			if !strings.Contains(fmt.Sprint(r), "subnet") {
				panic(r)
			}
			problems = []string{"Vpc: has no public subnets; required: public subnets (SubnetType PUBLIC) in at least two Availability Zones"}
		}
	}()
	selected := vpc.SelectSubnets(publicSubnets)
	azs := map[string]bool{}
	for _, az := range *selected.AvailabilityZones {
		azs[*az] = true
	}
	if len(azs) < 2 {
		problems = append(problems, fmt.Sprintf("Vpc: public subnets span %d Availability Zone(s); required: at least two (ELB.13)", len(azs)))
	}
	if dualStack {
		for _, s := range *selected.Subnets {
			if cfn, ok := s.Node().DefaultChild().(awsec2.CfnSubnet); ok && cfn.Ipv6CidrBlock() == nil && cfn.Ipv6IpamPoolId() == nil {
				problems = append(problems, fmt.Sprintf("DualStack: public subnet %s has no IPv6 CIDR; required: a VPC with IPv6 (awsec2.VpcProps IpProtocol DUAL_STACK)", *s.Node().Path()))
				break
			}
		}
	}
	return problems
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

// Edge is the internet-facing side of a web tier: an ALB in the public
// subnets with an HTTPS listener forwarding to the fleet's target group, an
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
	if region := awscdk.Stack_Of(scope).Region(); *awscdk.Token_IsUnresolved(region) {
		panic(fmt.Sprintf("edge %s: the stack's region is not concrete, and ALB access logs need it (the log-delivery account differs per region); set Env.Region in the stack's awscdk.StackProps", id))
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

	// The load balancer's own group, so that its rules are exactly the ones
	// below: 80 and 443 from anywhere in, and only the fleet's port out.
	e.securityGroup = awsec2.NewSecurityGroup(e, jsii.String("SecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              p.Vpc,
		Description:      jsii.String("Internet-facing load balancer: HTTP and HTTPS from anywhere"),
		AllowAllOutbound: jsii.Bool(false),
	})
	peers := []awsec2.IPeer{awsec2.Peer_AnyIpv4()}
	if p.DualStack {
		peers = append(peers, awsec2.Peer_AnyIpv6())
	}
	for _, peer := range peers {
		e.securityGroup.AddIngressRule(peer, awsec2.Port_Tcp(jsii.Number(443)), jsii.String("HTTPS from anywhere"), nil)
		e.securityGroup.AddIngressRule(peer, awsec2.Port_Tcp(jsii.Number(80)), jsii.String("HTTP from anywhere, redirected to HTTPS"), nil)
	}
	cdknag.NagSuppressions_AddResourceSuppressions(e.securityGroup, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-EC23"),
		Reason: jsii.String("Internet-facing load balancer: its group accepts HTTP (80, redirected to HTTPS) and HTTPS (443) from anywhere, and no other port; the fleet accepts traffic from this group only."),
	}}, jsii.Bool(false))

	ipType := awselasticloadbalancingv2.IpAddressType_IPV4
	if p.DualStack {
		ipType = awselasticloadbalancingv2.IpAddressType_DUAL_STACK
	}
	// "LoadBalancer" is part of the logical IDs of the ALB and its listeners:
	// renaming it replaces the ALB and its DNS name.
	e.lb = awselasticloadbalancingv2.NewApplicationLoadBalancer(e, jsii.String("LoadBalancer"), &awselasticloadbalancingv2.ApplicationLoadBalancerProps{
		Vpc:                     p.Vpc,
		VpcSubnets:              publicSubnets,
		InternetFacing:          jsii.Bool(true),
		SecurityGroup:           e.securityGroup,
		IpAddressType:           ipType,
		DeletionProtection:      jsii.Bool(!p.DisableDeletionProtection),
		DropInvalidHeaderFields: jsii.Bool(true),
		DesyncMitigationMode:    awselasticloadbalancingv2.DesyncMitigationMode_DEFENSIVE,
		IdleTimeout:             awscdk.Duration_Seconds(jsii.Number(p.IdleTimeout.Seconds())),
	})
	e.lb.LogAccessLogs(e.logBucket, jsii.String(p.AccessLogPrefix))

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
