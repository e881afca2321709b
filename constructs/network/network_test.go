package network_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/network"
	"github.com/tierkit/tierkit/constructs/network/networktest"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// variant builds the fixtures' stacks (networktest) in one app, whose
// context holds the dual-stack variant's zones, synthesized once in strict
// mode (validation warnings fail); internal/conformance checks the same
// stacks with CloudFormation validation and cdk-nag.
var variant = cdktest.Variants(func(tb testing.TB) map[string]awscdk.Stack {
	f := networktest.New(cdktest.NewApp(tb, cdktest.Strict(), cdktest.WithContext(networktest.ZoneContext())))
	defaultNetwork, dualStack = f.Default, f.DualStack
	return f.Stacks
})

var (
	// template is the default network (2 zones, a NAT gateway per zone) in a
	// stack with a region and no account.
	template = variant("default")
	// dualTemplate is the production-like variant: a stack with a concrete
	// account and region whose app holds the zones in its context (no
	// lookup), 3 named zones, a single NAT gateway and IPv6.
	dualTemplate = variant("dual")
)

var (
	defaultNetwork *network.Network
	dualStack      awscdk.Stack
)

// The dual-stack variant's environment and zones.
const (
	account = networktest.Account
	region  = networktest.Region
)

var zones = networktest.Zones

// existingTemplate wraps an existing VPC. It is neither validated nor nagged:
// it creates nothing, and CloudFormation rejects a template without
// resources (F0001), which is not this block's finding.
var existingTemplate = cdktest.Shared(func(tb testing.TB) awscdk.Stack {
	stack := cdktest.NewStack(cdktest.NewApp(tb), "Test")
	existingVpc = existing(stack)
	existingNetwork = network.New(stack, "Network", &network.Props{Vpc: existingVpc})
	return stack
})

var (
	existingVpc     awsec2.IVpc
	existingNetwork *network.Network
)

func existing(scope constructs.Construct) awsec2.IVpc {
	return awsec2.Vpc_FromVpcAttributes(scope, jsii.String("Existing"), &awsec2.VpcAttributes{
		VpcId:                       jsii.String("vpc-0123456789abcdef0"),
		VpcCidrBlock:                jsii.String("10.1.0.0/16"),
		AvailabilityZones:           jsii.Strings("us-east-1a", "us-east-1b"),
		PublicSubnetIds:             jsii.Strings("subnet-0000000000000000a", "subnet-0000000000000000b"),
		PublicSubnetRouteTableIds:   jsii.Strings("rtb-0000000000000000a", "rtb-0000000000000000b"),
		PrivateSubnetIds:            jsii.Strings("subnet-0000000000000000c", "subnet-0000000000000000d"),
		PrivateSubnetRouteTableIds:  jsii.Strings("rtb-0000000000000000c", "rtb-0000000000000000d"),
		IsolatedSubnetIds:           jsii.Strings("subnet-0000000000000000e", "subnet-0000000000000000f"),
		IsolatedSubnetRouteTableIds: jsii.Strings("rtb-0000000000000000e", "rtb-0000000000000000f"),
	})
}

const (
	vpcType      = "AWS::EC2::VPC"
	subnetType   = "AWS::EC2::Subnet"
	natType      = "AWS::EC2::NatGateway"
	routeType    = "AWS::EC2::Route"
	flowLogGroup = "NetworkFlowLogs2BEC3212"
	vpcID        = "NetworkVpc7FB7348F"
)

func TestFlowLogGroupKeepsItsLogicalIDAndIsRetained(t *testing.T) {
	groups := template(t).Resources("AWS::Logs::LogGroup")
	g, ok := groups[flowLogGroup]
	if !ok {
		t.Fatalf("no log group with logical ID %s (got %v): renaming a construct would orphan the flow logs", flowLogGroup, keys(groups))
	}
	if g["DeletionPolicy"] != "Retain" || g["UpdateReplacePolicy"] != "Retain" {
		t.Errorf("%s: DeletionPolicy %v, UpdateReplacePolicy %v; want Retain", flowLogGroup, g["DeletionPolicy"], g["UpdateReplacePolicy"])
	}
	if _, ok := template(t).Resources(vpcType)[vpcID]; !ok {
		t.Errorf("no VPC with logical ID %s: renaming a construct would replace the network under the fleet", vpcID)
	}
}

func TestDefaultVPCIsASlash16SplitIntoSlash24s(t *testing.T) {
	tpl := template(t)
	tpl.HasResourceProperties(t, vpcType, map[string]any{"CidrBlock": "10.0.0.0/16", "EnableDnsHostnames": true, "EnableDnsSupport": true})
	for id, s := range tpl.Resources(subnetType) {
		if cidr, _ := props(s)["CidrBlock"].(string); !strings.HasPrefix(cidr, "10.0.") || !strings.HasSuffix(cidr, "/24") {
			t.Errorf("%s: CidrBlock %v; want a /24 of 10.0.0.0/16", id, props(s)["CidrBlock"])
		}
	}
	if got := defaultNetwork.CIDR(); got != "10.0.0.0/16" {
		t.Errorf("CIDR() = %q; want 10.0.0.0/16", got)
	}
}

func TestEachTierHasASubnetInEachZone(t *testing.T) {
	for name, c := range map[string]struct {
		tpl   func(testing.TB) *cdktest.Template
		zones int
	}{"default": {template, 2}, "three zones": {dualTemplate, 3}} {
		tiers := subnetsByTier(t, c.tpl(t))
		if len(tiers) != 3 {
			t.Errorf("%s: tiers %v; want Public, Private, Isolated", name, keys(tiers))
		}
		for _, tier := range []string{network.PublicSubnets, network.PrivateSubnets, network.IsolatedSubnets} {
			zones := map[string]bool{}
			for _, s := range tiers[tier] {
				zones[cdktest.JSON(props(s)["AvailabilityZone"])] = true
			}
			if len(tiers[tier]) != c.zones || len(zones) != c.zones {
				t.Errorf("%s: %s: %d subnets in %d zones; want one in each of %d zones", name, tier, len(tiers[tier]), len(zones), c.zones)
			}
		}
	}
}

func TestNamedZonesAreUsed(t *testing.T) {
	got := map[string]bool{}
	for _, s := range dualTemplate(t).Resources(subnetType) {
		got[cdktest.JSON(props(s)["AvailabilityZone"])] = true
	}
	for _, z := range zones {
		if !got[cdktest.JSON(z)] {
			t.Errorf("no subnet in %s; subnets are in %v", z, keys(got))
		}
	}
}

func TestNamedZonesInTheAppContextNeedNoLookup(t *testing.T) {
	dualTemplate(t)
	// The app's assembly is cached by the synthesis above: this reads it.
	// Its manifest.json is read as JSON: since jsii-runtime-go v1.142.0,
	// CloudAssembly.Manifest() panics on an asset-manifest artifact (jsii
	// decodes its properties as a stack's and wants templateFile).
	dir := awscdk.Stage_Of(dualStack).Synth(nil).Directory()
	b, err := os.ReadFile(filepath.Join(*dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		Missing []struct{ Key string } `json:"missing"`
	}
	if err := json.Unmarshal(b, &manifest); err != nil {
		t.Fatal(err)
	}
	for _, m := range manifest.Missing {
		t.Errorf("the assembly asks the CLI to look up %s: cdk synth would need AWS credentials", m.Key)
	}
}

func TestNamedZonesWithoutAppContextWarnOfALookup(t *testing.T) {
	stack := awscdk.NewStack(cdktest.NewApp(t), jsii.String("Test"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)},
	})
	network.New(stack, "Network", &network.Props{AvailabilityZones: zones})
	cdktest.Check(t, func() {
		assertions.Annotations_FromStack(stack).HasWarning(jsii.String("/Test/Network"),
			assertions.Match_StringLikeRegexp(jsii.String(`looks up the zones.*availability-zones:account=123456789012:region=eu-west-1`)))
	})
}

func TestNoSubnetAssignsPublicIPv4AtLaunch(t *testing.T) {
	for name, tpl := range map[string]func(testing.TB) *cdktest.Template{"default": template, "dual-stack": dualTemplate} {
		for id, s := range tpl(t).Resources(subnetType) {
			if props(s)["MapPublicIpOnLaunch"] != false {
				t.Errorf("%s: %s: MapPublicIpOnLaunch %v; want false (EC2.15)", name, id, props(s)["MapPublicIpOnLaunch"])
			}
		}
	}
}

func TestNATGatewayInEachZoneByDefault(t *testing.T) {
	tpl := template(t)
	tpl.ResourceCountIs(t, natType, 2)
	public := subnetsByTier(t, tpl)[network.PublicSubnets]
	natSubnets := map[string]bool{}
	for _, n := range tpl.Resources(natType) {
		natSubnets[cdktest.JSON(props(n)["SubnetId"])] = true
	}
	for id := range public {
		if !natSubnets[cdktest.JSON(map[string]any{"Ref": id})] {
			t.Errorf("public subnet %s has no NAT gateway: its zone's servers would depend on another zone", id)
		}
	}
}

func TestPrivateSubnetsReachTheInternetOnlyThroughNAT(t *testing.T) {
	for name, c := range map[string]struct {
		tpl  func(testing.TB) *cdktest.Template
		nats int
	}{"default": {template, 2}, "one NAT gateway": {dualTemplate, 1}} {
		tpl := c.tpl(t)
		tpl.ResourceCountIs(t, natType, c.nats)
		private := routeTablesOf(t, tpl, subnetsByTier(t, tpl)[network.PrivateSubnets])
		viaNAT := map[string]bool{}
		for _, r := range tpl.Resources(routeType) {
			p := props(r)
			if !private[cdktest.JSON(p["RouteTableId"])] || p["DestinationCidrBlock"] != "0.0.0.0/0" {
				continue
			}
			if p["NatGatewayId"] == nil {
				t.Errorf("%s: private route %v goes out without NAT", name, cdktest.JSON(p))
			}
			viaNAT[cdktest.JSON(p["RouteTableId"])] = true
		}
		if len(viaNAT) != len(private) || len(private) == 0 {
			t.Errorf("%s: %d of %d private route tables route 0.0.0.0/0 through NAT", name, len(viaNAT), len(private))
		}
	}
}

func TestIsolatedSubnetsHaveNoRouteOut(t *testing.T) {
	for name, tpl := range map[string]func(testing.TB) *cdktest.Template{"default": template, "dual-stack": dualTemplate} {
		isolated := routeTablesOf(t, tpl(t), subnetsByTier(t, tpl(t))[network.IsolatedSubnets])
		if len(isolated) == 0 {
			t.Fatalf("%s: no isolated route tables", name)
		}
		for id, r := range tpl(t).Resources(routeType) {
			if isolated[cdktest.JSON(props(r)["RouteTableId"])] {
				t.Errorf("%s: isolated subnets have route %s: %s", name, id, cdktest.JSON(props(r)))
			}
		}
	}
}

func TestFlowLogsCaptureAllTrafficToTheLogGroup(t *testing.T) {
	template(t).HasResourceProperties(t, "AWS::EC2::FlowLog", map[string]any{
		"ResourceType":       "VPC",
		"ResourceId":         map[string]any{"Ref": vpcID},
		"TrafficType":        "ALL",
		"LogDestinationType": "cloud-watch-logs",
		"LogGroupName":       map[string]any{"Ref": flowLogGroup},
	})
	got := awscdk.Stack_Of(defaultNetwork).Resolve(defaultNetwork.FlowLogGroup().LogGroupName())
	if cdktest.JSON(got) != cdktest.JSON(map[string]any{"Ref": flowLogGroup}) {
		t.Errorf("FlowLogGroup() is %s; want the flow logs' group %s", cdktest.JSON(got), flowLogGroup)
	}
}

func TestFlowLogsAreKeptOneYear(t *testing.T) {
	template(t).HasResource(t, "AWS::Logs::LogGroup", map[string]any{
		"Properties":     map[string]any{"RetentionInDays": 365},
		"DeletionPolicy": "Retain",
	})
}

func TestS3GatewayEndpointServesPrivateAndIsolatedSubnets(t *testing.T) {
	tpl := template(t)
	tiers := subnetsByTier(t, tpl)
	want := map[string]bool{}
	for _, tier := range []string{network.PrivateSubnets, network.IsolatedSubnets} {
		for rt := range routeTablesOf(t, tpl, tiers[tier]) {
			want[rt] = true
		}
	}
	endpoints := tpl.Resources("AWS::EC2::VPCEndpoint")
	if len(endpoints) != 1 {
		t.Fatalf("%d endpoints; want the S3 gateway endpoint", len(endpoints))
	}
	for id, e := range endpoints {
		p := props(e)
		if p["VpcEndpointType"] != "Gateway" || !strings.HasSuffix(cdktest.JSON(p["ServiceName"]), `".s3"]]}`) {
			t.Errorf("%s: %v %s; want an S3 gateway endpoint", id, p["VpcEndpointType"], cdktest.JSON(p["ServiceName"]))
		}
		got := map[string]bool{}
		for _, rt := range p["RouteTableIds"].([]any) {
			got[cdktest.JSON(rt)] = true
		}
		if cdktest.JSON(keys(got)) != cdktest.JSON(keys(want)) {
			t.Errorf("%s: route tables %v; want the private and isolated ones %v", id, keys(got), keys(want))
		}
	}
}

func TestDefaultSecurityGroupIsRestricted(t *testing.T) {
	for name, tpl := range map[string]func(testing.TB) *cdktest.Template{"default": template, "dual-stack": dualTemplate} {
		t.Run(name, func(t *testing.T) {
			tpl(t).HasResourceProperties(t, "Custom::VpcRestrictDefaultSG", map[string]any{
				"DefaultSecurityGroupId": map[string]any{"Fn::GetAtt": []any{vpcID, "DefaultSecurityGroup"}},
			})
		})
	}
}

func TestDualStackVPCHasAnAmazonIPv6Block(t *testing.T) {
	tpl := dualTemplate(t)
	tpl.HasResourceProperties(t, "AWS::EC2::VPCCidrBlock", map[string]any{
		"AmazonProvidedIpv6CidrBlock": true, "VpcId": map[string]any{"Ref": vpcID},
	})
	tiers := subnetsByTier(t, tpl)
	for tier, subnets := range tiers {
		for id, s := range subnets {
			if props(s)["Ipv6CidrBlock"] == nil {
				t.Errorf("%s subnet %s has no IPv6 range", tier, id)
			}
			if tier == network.PublicSubnets && props(s)["AssignIpv6AddressOnCreation"] != false {
				t.Errorf("public subnet %s: AssignIpv6AddressOnCreation %v; want false (IPv6 addresses are public)", id, props(s)["AssignIpv6AddressOnCreation"])
			}
		}
	}
	private := routeTablesOf(t, tpl, tiers[network.PrivateSubnets])
	n := 0
	for _, r := range tpl.Resources(routeType) {
		if p := props(r); private[cdktest.JSON(p["RouteTableId"])] && p["DestinationIpv6CidrBlock"] == "::/0" {
			if p["EgressOnlyInternetGatewayId"] == nil {
				t.Errorf("private IPv6 route %s does not go through the egress-only gateway", cdktest.JSON(p))
			}
			n++
		}
	}
	if n != len(private) {
		t.Errorf("%d of %d private route tables have an IPv6 default route", n, len(private))
	}
	template(t).ResourceCountIs(t, "AWS::EC2::VPCCidrBlock", 0)
}

func TestExistingVPCCreatesNothing(t *testing.T) {
	tpl := existingTemplate(t)
	for _, typ := range []string{vpcType, subnetType, natType, "AWS::EC2::FlowLog", "AWS::Logs::LogGroup", "AWS::EC2::VPCEndpoint", "Custom::VpcRestrictDefaultSG"} {
		tpl.ResourceCountIs(t, typ, 0)
	}
	if existingNetwork.Vpc() != existingVpc {
		t.Errorf("Vpc() is not the existing VPC")
	}
	if existingNetwork.FlowLogGroup() != nil || existingNetwork.FlowLog() != nil || existingNetwork.S3Endpoint() != nil {
		t.Errorf("an existing VPC has accessors of created resources set")
	}
	if got := existingNetwork.CIDR(); got != "10.1.0.0/16" {
		t.Errorf("CIDR() = %q; want the existing VPC's 10.1.0.0/16", got)
	}
}

func TestSubnetsFitSmallVPCs(t *testing.T) {
	cases := []struct {
		cidr  string
		zones []string
		want  string
	}{
		{"10.0.0.0/20", zones, "/24"},
		{"10.0.0.0/22", zones[:2], "/25"},
		{"10.0.0.0/23", zones, "/27"},
		{"10.0.0.0/24", zones[:2], "/27"},
	}
	for _, c := range cases {
		stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Test"), &awscdk.StackProps{Env: &awscdk.Environment{Region: jsii.String(region)}})
		vpc := network.New(stack, "Network", &network.Props{CIDR: c.cidr, AvailabilityZones: c.zones}).Vpc()
		all := append(append(*vpc.PublicSubnets(), *vpc.PrivateSubnets()...), *vpc.IsolatedSubnets()...)
		if len(all) != 3*len(c.zones) {
			t.Errorf("%s: %d subnets; want %d", c.cidr, len(all), 3*len(c.zones))
		}
		for _, s := range all {
			if !strings.HasSuffix(*s.Ipv4CidrBlock(), c.want) {
				t.Errorf("%s with %d zones: subnet %s; want %s subnets", c.cidr, len(c.zones), *s.Ipv4CidrBlock(), c.want)
			}
		}
	}
}

func TestInvalidProps(t *testing.T) {
	cases := []struct {
		name  string
		props network.Props
		want  string
	}{
		{"not a CIDR", network.Props{CIDR: "10.0.0.0"}, `CIDR: "10.0.0.0" is not an IPv4 CIDR block; allowed: a /16 to /24 network`},
		{"IPv6 CIDR", network.Props{CIDR: "fd00::/56"}, `CIDR: "fd00::/56" is not an IPv4 CIDR block`},
		{"too large", network.Props{CIDR: "10.0.0.0/8"}, `CIDR: "10.0.0.0/8" is a /8; allowed: /16 to /24`},
		{"too small", network.Props{CIDR: "10.0.0.0/25"}, `CIDR: "10.0.0.0/25" is a /25; allowed: /16 to /24`},
		{"host bits", network.Props{CIDR: "10.0.1.0/16"}, `CIDR: "10.0.1.0/16" has host bits set; allowed: the network address, 10.0.0.0/16`},
		{"/24 for 3 zones", network.Props{CIDR: "10.0.0.0/24", MaxAZs: 3}, "CIDR: a /24 is too small for 3 tiers of subnets in 3 zones (each would be a /28, an ALB needs a /27); allowed: /16 to /23 with 3 zones"},
		{"one zone", network.Props{AvailabilityZones: []string{"eu-west-1a"}}, "AvailabilityZones: 1 zones; allowed: 2 or 3"},
		{"four zones", network.Props{AvailabilityZones: []string{"a", "b", "c", "d"}}, "AvailabilityZones: 4 zones; allowed: 2 or 3"},
		{"duplicate zone", network.Props{AvailabilityZones: []string{"eu-west-1a", "eu-west-1a"}}, `AvailabilityZones[1]: "eu-west-1a" is listed twice; allowed: distinct zones`},
		{"empty zone", network.Props{AvailabilityZones: []string{"eu-west-1a", ""}}, "AvailabilityZones[1]: empty"},
		{"zones and MaxAZs", network.Props{AvailabilityZones: zones[:2], MaxAZs: 2}, "MaxAZs: set AvailabilityZones or MaxAZs, not both"},
		{"one AZ", network.Props{MaxAZs: 1}, "MaxAZs: 1; allowed: 2 or 3"},
		{"four AZs", network.Props{MaxAZs: 4}, "MaxAZs: 4; allowed: 2 or 3"},
		{"NAT per zone exceeded", network.Props{NATGateways: 3}, "NATGateways: 3; allowed: 1 to 2, the number of zones"},
		{"NAT for named zones", network.Props{AvailabilityZones: zones, NATGateways: 4}, "NATGateways: 4; allowed: 1 to 3"},
		{"negative NAT", network.Props{NATGateways: -1}, "NATGateways: -1; allowed: 1 to 2"},
		{"infinite retention", network.Props{FlowLogRetention: awslogs.RetentionDays_INFINITE}, "FlowLogRetention: INFINITE keeps logs forever"},
		{"unknown retention", network.Props{FlowLogRetention: "FOREVER"}, `FlowLogRetention: "FOREVER" is not an awslogs.RetentionDays`},
		{"existing VPC with CIDR", network.Props{Vpc: awsec2.NewVpc(awscdk.NewStack(nil, nil, nil), jsii.String("V"), nil), CIDR: "10.0.0.0/16", DualStack: true},
			"CIDR: configures a new VPC, but Vpc is set; allowed: leave it empty with an existing Vpc; DualStack: configures a new VPC"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.props.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Validate() = %v; want %q", err, c.want)
			}
		})
	}
}

func TestAllProblemsAreReportedAtOnce(t *testing.T) {
	err := network.Props{CIDR: "10.0.0.0/8", MaxAZs: 5, FlowLogRetention: "x"}.Validate()
	for _, want := range []string{"CIDR:", "MaxAZs:", "FlowLogRetention:"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v; want it to name %s", err, want)
		}
	}
}

func TestValidPropsPass(t *testing.T) {
	for _, p := range []network.Props{{}, {CIDR: "172.16.0.0/20", MaxAZs: 3, NATGateways: 1}, {AvailabilityZones: zones, NATGateways: 3, DualStack: true}, {CIDR: "10.0.0.0/24"}} {
		if err := p.Validate(); err != nil {
			t.Errorf("%+v: %v", p, err)
		}
	}
}

func TestNewPanicsNamingTheID(t *testing.T) {
	regional := func() awscdk.Stack {
		return awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Test"), &awscdk.StackProps{Env: &awscdk.Environment{Region: jsii.String(region)}})
	}
	cases := []struct {
		name  string
		build func()
		want  string
	}{
		{"invalid props", func() { network.New(regional(), "Net", &network.Props{MaxAZs: 7}) }, "network Net: MaxAZs: 7"},
		{"zone of another region", func() {
			network.New(regional(), "Net", &network.Props{AvailabilityZones: []string{"eu-west-1a", "us-east-1b"}})
		},
			`network Net: AvailabilityZones[1]: "us-east-1b" is not a zone of the stack's region eu-west-1`},
		{"3 zones in a stack that knows 2", func() { network.New(regional(), "Net", &network.Props{MaxAZs: 3}) },
			"network Net: MaxAZs: 3 zones asked for, but a stack without a concrete account and region knows 2; allowed: set AvailabilityZones instead"},
		{"existing VPC without isolated subnets", func() {
			stack := regional()
			vpc := awsec2.NewVpc(stack, jsii.String("Other"), &awsec2.VpcProps{MaxAzs: jsii.Number(2)})
			network.New(stack, "Net", &network.Props{Vpc: vpc})
		}, "network Net: Vpc: has no isolated subnets"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.HasPrefix(s, c.want) {
					t.Errorf("got %v; want a panic starting %q", r, c.want)
				}
			}()
			c.build()
		})
	}
}

func TestNetworkBehavesAsAConstruct(t *testing.T) {
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Test"), nil)
	n := network.New(stack, "Network", nil)
	child := constructs.NewConstruct(n, jsii.String("Child"))
	if *child.Node().Path() != "Test/Network/Child" {
		t.Errorf("child path %s; want Test/Network/Child", *child.Node().Path())
	}
	awscdk.Tags_Of(n).Add(jsii.String("tier"), jsii.String("web"), nil)
	other := constructs.NewConstruct(stack, jsii.String("Other"))
	other.Node().AddDependency(n)
	if len(*other.Node().Dependencies()) != 1 {
		t.Errorf("a construct cannot depend on the network")
	}
}
