// Package network is the VPC block of a web tier: public subnets for the load
// balancer and the NAT gateways, private subnets with egress for the PHP
// servers, isolated subnets for the database and cache, spread over two or
// three Availability Zones so that losing a zone leaves servers running.
package network

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/internal/check"
)

// Subnet group names of a new VPC. They are part of the subnets' construct
// paths, hence of their logical IDs: renaming one replaces every subnet in it.
const (
	PublicSubnets   = "Public"
	PrivateSubnets  = "Private"
	IsolatedSubnets = "Isolated"
)

// Props configures a Network.
type Props struct {
	// Vpc is an existing VPC to use instead of creating one. It must already
	// have public, private-with-egress and isolated subnets (in CDK's terms:
	// PublicSubnets, PrivateSubnets and IsolatedSubnets are not empty) in at
	// least two Availability Zones, as the ALB, the fleet and the database each
	// go in one of these tiers. Nothing is created for it: no flow logs, no S3
	// endpoint, no default security group restriction; it keeps whatever its
	// owner configured. The other fields must then stay empty.
	//
	// Default: a new VPC.
	Vpc awsec2.IVpc

	// CIDR is the new VPC's IPv4 range, a /16 to /24 network address such as
	// "10.0.0.0/16".
	//
	// Default: "10.0.0.0/16".
	CIDR string

	// AvailabilityZones are the zone names the new VPC spans, 2 or 3 of the
	// stack's region, e.g. "eu-west-1a", "eu-west-1b".
	//
	// CDK's VPC reads the stack's zones even when it is given them; in a stack
	// with a concrete account and region that is a context lookup (AWS
	// credentials at synth time) unless the app has the answer in its context:
	// set context ZoneContextKey(account, region) to these zones before any
	// stack is created, and no lookup happens.
	//
	// Default: none, MaxAZs zones of the stack's region.
	AvailabilityZones []string

	// MaxAZs is how many of the region's zones the new VPC spans when
	// AvailabilityZones is not set, 2 or 3. A stack without a concrete account
	// and region knows only 2 zones; with both, the zones are looked up.
	//
	// Default: 2.
	MaxAZs int

	// NATGateways is how many NAT gateways give the private subnets their
	// outbound internet access, 1 to the number of zones. With fewer than one
	// per zone, a zone's outage also cuts the egress of the servers in other
	// zones that route through it: fewer is for throw-away environments.
	//
	// Default: one per zone.
	NATGateways int

	// FlowLogRetention is how long the VPC flow logs are kept.
	//
	// Default: awslogs.RetentionDays_ONE_YEAR.
	FlowLogRetention awslogs.RetentionDays

	// DualStack gives the new VPC an Amazon-provided IPv6 block and every
	// subnet an IPv6 range, as a dual-stack ALB needs; private subnets reach
	// the IPv6 internet through an egress-only internet gateway.
	//
	// Default: false, IPv4 only.
	DualStack bool
}

const defaultCIDR = "10.0.0.0/16"

// maxSubnetMask is the smallest subnet an ALB accepts (a /27 with 8 free
// addresses); every tier is held to it so any subnet can take any role.
const maxSubnetMask = 27

// Validate reports what is wrong with p, naming the field and what is allowed.
func (p Props) Validate() error {
	var problems []string
	if p.Vpc != nil {
		for _, f := range []struct {
			name string
			set  bool
		}{
			{"CIDR", p.CIDR != ""}, {"AvailabilityZones", len(p.AvailabilityZones) > 0}, {"MaxAZs", p.MaxAZs != 0},
			{"NATGateways", p.NATGateways != 0}, {"FlowLogRetention", p.FlowLogRetention != ""}, {"DualStack", p.DualStack},
		} {
			if f.set {
				problems = append(problems, fmt.Sprintf("%s: configures a new VPC, but Vpc is set; allowed: leave it empty with an existing Vpc", f.name))
			}
		}
		return joined(problems)
	}

	zones := p.MaxAZs
	if len(p.AvailabilityZones) > 0 {
		zones = len(p.AvailabilityZones)
		if p.MaxAZs != 0 {
			problems = append(problems, "MaxAZs: set AvailabilityZones or MaxAZs, not both")
		}
		if zones < 2 || zones > 3 {
			problems = append(problems, fmt.Sprintf("AvailabilityZones: %d zones; allowed: 2 or 3", zones))
		}
		for i, z := range p.AvailabilityZones {
			if strings.TrimSpace(z) == "" {
				problems = append(problems, fmt.Sprintf("AvailabilityZones[%d]: empty; allowed: a zone name such as eu-west-1a", i))
			} else if slices.Index(p.AvailabilityZones, z) < i {
				problems = append(problems, fmt.Sprintf("AvailabilityZones[%d]: %q is listed twice; allowed: distinct zones", i, z))
			}
		}
	} else if zones == 0 {
		zones = 2
	} else if zones < 2 || zones > 3 {
		problems = append(problems, fmt.Sprintf("MaxAZs: %d; allowed: 2 or 3 (0 for the default, 2)", p.MaxAZs))
	}

	if p.NATGateways != 0 && (p.NATGateways < 1 || p.NATGateways > zones) {
		problems = append(problems, fmt.Sprintf("NATGateways: %d; allowed: 1 to %d, the number of zones (0 for the default, one per zone)", p.NATGateways, zones))
	}

	cidr := p.CIDR
	if cidr == "" {
		cidr = defaultCIDR
	}
	if prefix, err := netip.ParsePrefix(cidr); err != nil || !prefix.Addr().Is4() {
		problems = append(problems, fmt.Sprintf("CIDR: %q is not an IPv4 CIDR block; allowed: a /16 to /24 network such as 10.0.0.0/16", cidr))
	} else if prefix.Bits() < 16 || prefix.Bits() > 24 {
		problems = append(problems, fmt.Sprintf("CIDR: %q is a /%d; allowed: /16 to /24 (VPC limits)", cidr, prefix.Bits()))
	} else if prefix.Masked() != prefix {
		problems = append(problems, fmt.Sprintf("CIDR: %q has host bits set; allowed: the network address, %s", cidr, prefix.Masked()))
	} else if zones >= 2 && zones <= 3 && subnetMask(prefix.Bits(), zones) > maxSubnetMask {
		problems = append(problems, fmt.Sprintf("CIDR: a /%d is too small for 3 tiers of subnets in %d zones (each would be a /%d, an ALB needs a /%d); allowed: /16 to /%d with %d zones",
			prefix.Bits(), zones, subnetMask(prefix.Bits(), zones), maxSubnetMask, largestPrefix(zones), zones))
	}

	if problem := check.Retention("FlowLogRetention", p.FlowLogRetention); problem != "" {
		problems = append(problems, problem)
	}
	return joined(problems)
}

// subnetMask is the mask of each of the 3 x zones subnets of a /prefix VPC:
// a /24 (251 addresses, room for a large fleet) where the VPC holds them,
// otherwise the VPC split evenly into the 8 or 16 blocks that hold them.
func subnetMask(prefix, zones int) int {
	bits := 3 // 8 blocks hold 3 tiers x 2 zones
	if 3*zones > 8 {
		bits = 4
	}
	return max(24, prefix+bits)
}

// largestPrefix is the smallest VPC (largest prefix) whose subnets are at
// least a /27 with zones zones.
func largestPrefix(zones int) int {
	for prefix := 24; ; prefix-- {
		if subnetMask(prefix, zones) <= maxSubnetMask {
			return prefix
		}
	}
}

func joined(problems []string) error {
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// ZoneContextKey is the context key under which CDK looks for the zones of
// account and region. An app that sets it (app.Node().SetContext, before
// creating any stack, or AppProps.Context) to the zones it passes as
// AvailabilityZones synthesizes with no AWS lookup.
func ZoneContextKey(account, region string) string {
	return fmt.Sprintf("availability-zones:account=%s:region=%s", account, region)
}

// Network is the VPC of a web tier.
type Network struct {
	constructs.Construct
	vpc          awsec2.IVpc
	cidr         string
	flowLogGroup awslogs.ILogGroup
	flowLog      awsec2.FlowLog
	s3Endpoint   awsec2.GatewayVpcEndpoint
}

// Vpc returns the VPC: the new one, or the existing one from Props.
func (n *Network) Vpc() awsec2.IVpc { return n.vpc }

// CIDR returns the VPC's IPv4 range (the proxies an application behind the
// ALB trusts are the load balancer's subnets: edge's SubnetCIDRs). For a new
// VPC it is the configured string (usable where a token is not, such as a
// file rendered at synth time); for an
// existing VPC it is its VpcCidrBlock, possibly a token, and CDK panics if
// the VPC was imported without one.
func (n *Network) CIDR() string {
	if n.cidr == "" {
		return *n.vpc.VpcCidrBlock()
	}
	return n.cidr
}

// FlowLogGroup returns the log group that receives the VPC flow logs, or nil
// for an existing VPC.
func (n *Network) FlowLogGroup() awslogs.ILogGroup { return n.flowLogGroup }

// FlowLog returns the VPC flow log (all traffic), or nil for an existing VPC.
func (n *Network) FlowLog() awsec2.FlowLog { return n.flowLog }

// S3Endpoint returns the S3 gateway endpoint of the private and isolated
// subnets, or nil for an existing VPC. Servers reach the uploads bucket
// through it without NAT gateway charges; endpoint policies attach here.
func (n *Network) S3Endpoint() awsec2.GatewayVpcEndpoint { return n.s3Endpoint }

// New creates the VPC, or wraps the existing one. It panics, naming id, when
// props are invalid or do not fit the stack (zones of another region, more
// zones than the stack knows, an existing VPC without the three tiers).
func New(scope constructs.Construct, id string, props *Props) *Network {
	p := Props{}
	if props != nil {
		p = *props
		p.AvailabilityZones = slices.Clone(props.AvailabilityZones)
	}
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("network %s: %v", id, err))
	}

	n := &Network{}
	constructs.NewConstruct_Override(n, scope, jsii.String(id))
	if p.Vpc != nil {
		n.vpc = p.Vpc
		checkExisting(id, p.Vpc)
		return n
	}

	if p.CIDR == "" {
		p.CIDR = defaultCIDR
	}
	if p.FlowLogRetention == "" {
		p.FlowLogRetention = awslogs.RetentionDays_ONE_YEAR
	}
	zones := len(p.AvailabilityZones)
	if zones == 0 {
		if p.MaxAZs == 0 {
			p.MaxAZs = 2
		}
		zones = p.MaxAZs
	}
	if p.NATGateways == 0 {
		p.NATGateways = zones
	}
	n.cidr = p.CIDR
	stack := awscdk.Stack_Of(n)
	checkZones(n, id, stack, p)

	protocol := awsec2.IpProtocol_IPV4_ONLY
	var ipv6 awsec2.IIpv6Addresses
	var noPublicIPv6 *bool
	if p.DualStack {
		protocol = awsec2.IpProtocol_DUAL_STACK
		ipv6 = awsec2.Ipv6Addresses_AmazonProvided()
		// IPv6 addresses are public: nothing in the public subnets needs one
		// assigned at launch (the ALB and NAT gateways get their own).
		noPublicIPv6 = jsii.Bool(false)
	}
	mask := jsii.Number(subnetMask(netip.MustParsePrefix(p.CIDR).Bits(), zones))
	var azs *[]*string
	var maxAZs *float64
	if len(p.AvailabilityZones) > 0 {
		azs = jsii.Strings(p.AvailabilityZones...)
	} else {
		maxAZs = jsii.Number(p.MaxAZs)
	}
	// "Vpc" is part of the logical ID of the VPC and of every subnet, route
	// and gateway in it: renaming it replaces the network under the fleet.
	vpc := awsec2.NewVpc(n, jsii.String("Vpc"), &awsec2.VpcProps{
		IpAddresses:       awsec2.IpAddresses_Cidr(jsii.String(p.CIDR)),
		IpProtocol:        protocol,
		Ipv6Addresses:     ipv6,
		AvailabilityZones: azs,
		MaxAzs:            maxAZs,
		NatGateways:       jsii.Number(p.NATGateways),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
			// Nothing in the public subnets needs a public IP at launch: the
			// ALB and the NAT gateways have their own (EC2.15).
			{Name: jsii.String(PublicSubnets), SubnetType: awsec2.SubnetType_PUBLIC, CidrMask: mask,
				MapPublicIpOnLaunch: jsii.Bool(false), Ipv6AssignAddressOnCreation: noPublicIPv6},
			{Name: jsii.String(PrivateSubnets), SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS, CidrMask: mask},
			{Name: jsii.String(IsolatedSubnets), SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED, CidrMask: mask},
		},
		// Explicit, so EC2.2 holds whatever feature flags the consuming app
		// has. CDK implements it with a custom resource whose provider (role
		// and Lambda function) is a stack-level singleton at
		// "Custom::VpcRestrictDefaultSGCustomResourceProvider"; cdk-nag does
		// not evaluate it (its parts are plain CfnResources), so there is
		// nothing to suppress; the README records what it would have said.
		RestrictDefaultSecurityGroup: jsii.Bool(true),
	})
	n.vpc = vpc

	// "FlowLogs" is part of the log group's logical ID: renaming it replaces
	// the group (the retained old one is orphaned with its logs).
	group := awslogs.NewLogGroup(n, jsii.String("FlowLogs"), &awslogs.LogGroupProps{
		Retention:     p.FlowLogRetention,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	n.flowLogGroup = group
	n.flowLog = vpc.AddFlowLog(jsii.String("FlowLog"), &awsec2.FlowLogOptions{
		Destination: awsec2.FlowLogDestination_ToCloudWatchLogs(group, nil),
		TrafficType: awsec2.FlowLogTrafficType_ALL,
	})
	n.s3Endpoint = vpc.AddGatewayEndpoint(jsii.String("S3"), &awsec2.GatewayVpcEndpointOptions{
		Service: awsec2.GatewayVpcEndpointAwsService_S3(),
		Subnets: &[]*awsec2.SubnetSelection{
			{SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS},
			{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED},
		},
	})
	return n
}

// checkZones fails early where CDK would silently build something else than
// asked: zones of another region, or fewer zones than MaxAZs. It also warns
// when the zones will be looked up although the caller named them.
func checkZones(n *Network, id string, stack awscdk.Stack, p Props) {
	region, account := *stack.Region(), *stack.Account()
	concreteRegion := !*awscdk.Token_IsUnresolved(region)
	concreteEnv := concreteRegion && !*awscdk.Token_IsUnresolved(account)
	if len(p.AvailabilityZones) > 0 {
		if concreteRegion {
			for i, z := range p.AvailabilityZones {
				if !strings.HasPrefix(z, region) || len(z) != len(region)+1 {
					panic(fmt.Sprintf("network %s: AvailabilityZones[%d]: %q is not a zone of the stack's region %s; allowed: a zone name such as %sa", id, i, z, region, region))
				}
			}
		}
		if concreteEnv && stack.Node().TryGetContext(jsii.String(ZoneContextKey(account, region))) == nil {
			awscdk.Annotations_Of(n).AddWarningV2(jsii.String("tierkit-network:zoneLookup"), jsii.String(fmt.Sprintf(
				"CDK's VPC looks up the zones of %s/%s although AvailabilityZones are given: set context %q to them to synthesize without AWS credentials",
				account, region, ZoneContextKey(account, region))), nil)
		}
		return
	}
	if !concreteEnv {
		if known := len(*stack.AvailabilityZones()); known < p.MaxAZs {
			panic(fmt.Sprintf("network %s: MaxAZs: %d zones asked for, but a stack without a concrete account and region knows %d; allowed: set AvailabilityZones instead", id, p.MaxAZs, known))
		}
	}
}

// checkExisting fails early when an existing VPC lacks a tier the web tier
// places something in, or spans a single zone.
func checkExisting(id string, vpc awsec2.IVpc) {
	var missing []string
	if len(*vpc.PublicSubnets()) == 0 {
		missing = append(missing, "public")
	}
	if len(*vpc.PrivateSubnets()) == 0 {
		missing = append(missing, "private-with-egress")
	}
	if len(*vpc.IsolatedSubnets()) == 0 {
		missing = append(missing, "isolated")
	}
	if len(missing) > 0 {
		panic(fmt.Sprintf("network %s: Vpc: has no %s subnets; allowed: a VPC with public, private-with-egress and isolated subnets", id, strings.Join(missing, ", ")))
	}
	if zones := len(*vpc.AvailabilityZones()); zones < 2 {
		panic(fmt.Sprintf("network %s: Vpc: spans %d zone; allowed: 2 or more zones", id, zones))
	}
}
