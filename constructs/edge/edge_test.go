package edge_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2targets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/edge"
	"github.com/tierkit/tierkit/constructs/edge/edgetest"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// built is the Edge of the default template, for the accessor tests.
var built *edge.Edge

// fixtures are the block's test stacks (edgetest), synthesized once in
// strict mode; internal/conformance checks the same stacks with
// CloudFormation validation and cdk-nag.
var fixtures *edgetest.Fixtures

// variant builds the fixtures' stacks in one app: one synthesis, another
// stack of the same app costs milliseconds.
var variant = cdktest.Variants(func(tb testing.TB) map[string]awscdk.Stack {
	fixtures = edgetest.New(cdktest.NewApp(tb, cdktest.Strict()))
	built, internal = fixtures.Default, fixtures.Internal
	return fixtures.Stacks
})

// template is the default edge: IPv4, new certificate, new log bucket, two
// fixed instances as targets with their security group. The edge is also
// tagged and depended on, as a tier does with its blocks.
var template = variant("default")

// dualTemplate is the other variant: dual-stack, sticky, a given certificate
// and log bucket, an Auto Scaling group as target and as TargetConnections,
// deletion protection off, a raised idle timeout.
var dualTemplate = variant("dual-stack")

const (
	loadBalancer  = "AWS::ElasticLoadBalancingV2::LoadBalancer"
	listener      = "AWS::ElasticLoadBalancingV2::Listener"
	targetGroup   = "AWS::ElasticLoadBalancingV2::TargetGroup"
	securityGroup = "AWS::EC2::SecurityGroup"
	recordSet     = "AWS::Route53::RecordSet"
	certificate   = "AWS::CertificateManager::Certificate"

	lbID       = "EdgeLoadBalancer9EA98EDF"
	httpsID    = "EdgeLoadBalancerHTTPSAAFEB797"
	httpID     = "EdgeLoadBalancerHTTP5F21D974"
	tgID       = "EdgeTargetGroupB02A5D37"
	certID     = "EdgeCertificateE929CC3D"
	logsID     = "EdgeAccessLogsC159D9EF"
	lbSGID     = "EdgeSecurityGroupAF800DBF"
	aID        = "EdgeARecord290CF397"
	aaaaID     = "EdgeAAAARecordA3B352FF"
	fleetSGID  = "FleetSecurityGroup27D2C237"
	asgSGID    = "FleetInstanceSecurityGroupA8C3D7AD"
	givenLogID = "Logs6819BB44"
)

// internalTemplate is an internal, dual-stack load balancer open to an
// office's IPv4 and IPv6 ranges only.
var internalTemplate = variant("internal")

// internal is the Edge of internalTemplate.
var internal *edge.Edge

var variants = map[string]func(testing.TB) *cdktest.Template{"default": template, "dual-stack": dualTemplate}

func TestResourcesKeepTheirLogicalIDs(t *testing.T) {
	// Renaming a construct would replace the resource: the log bucket and its
	// logs, the ALB and its DNS name, the certificate, the records.
	want := map[string][]string{
		"default":    {lbID, httpsID, httpID, tgID, certID, logsID, lbSGID, aID},
		"dual-stack": {lbID, httpsID, httpID, tgID, lbSGID, aID, aaaaID},
	}
	for name, tpl := range variants {
		all := tpl(t).ToJSON()
		res := (*all)["Resources"].(map[string]any)
		for _, id := range want[name] {
			if _, ok := res[id]; !ok {
				t.Errorf("%s: no resource with logical ID %s", name, id)
			}
		}
	}
}

func TestAccessLogBucketIsRetainedAndSSES3(t *testing.T) {
	b, ok := resources(t, template(t), "AWS::S3::Bucket")[logsID]
	if !ok {
		t.Fatalf("no log bucket with logical ID %s: renaming a construct would replace it and its logs", logsID)
	}
	if b["DeletionPolicy"] != "Retain" || b["UpdateReplacePolicy"] != "Retain" {
		t.Errorf("%s: DeletionPolicy %v, UpdateReplacePolicy %v; want Retain", logsID, b["DeletionPolicy"], b["UpdateReplacePolicy"])
	}
	want := `{"ServerSideEncryptionConfiguration":[{"ServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}`
	if got := cdktest.JSON(props(b)["BucketEncryption"]); got != want {
		t.Errorf("%s: BucketEncryption %s, want %s (ALB log delivery needs SSE-S3)", logsID, got, want)
	}
}

func TestHTTPRedirectsToHTTPS(t *testing.T) {
	for name, tpl := range variants {
		tpl(t).HasResourceProperties(t, listener, map[string]any{
			"Port": 80, "Protocol": "HTTP",
			"DefaultActions": []any{map[string]any{
				"Type":           "redirect",
				"RedirectConfig": map[string]any{"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"},
			}},
		})
		for id, l := range resources(t, tpl(t), listener) {
			if props(l)["Protocol"] == "HTTP" && strings.Contains(cdktest.JSON(props(l)["DefaultActions"]), "forward") {
				t.Errorf("%s: HTTP listener %s forwards: %s", name, id, cdktest.JSON(props(l)["DefaultActions"]))
			}
		}
		tpl(t).ResourceCountIs(t, "AWS::ElasticLoadBalancingV2::ListenerRule", 0)
		tpl(t).ResourceCountIs(t, listener, 2)
	}
}

func TestHTTPSServesTheCertificateWithATLS13Policy(t *testing.T) {
	template(t).HasResourceProperties(t, listener, map[string]any{
		"Port": 443, "Protocol": "HTTPS",
		"Certificates":   []any{map[string]any{"CertificateArn": map[string]any{"Ref": certID}}},
		"SslPolicy":      "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
		"DefaultActions": []any{map[string]any{"Type": "forward", "TargetGroupArn": map[string]any{"Ref": tgID}}},
	})
}

func TestHTTPSServesTheGivenCertificate(t *testing.T) {
	tpl := dualTemplate(t)
	tpl.HasResourceProperties(t, listener, map[string]any{
		"Port": 443, "Protocol": "HTTPS",
		"Certificates": []any{map[string]any{"CertificateArn": certARN}},
		"SslPolicy":    "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
	})
	tpl.ResourceCountIs(t, certificate, 0)
}

func TestCertificateIsValidatedByDNSInTheZone(t *testing.T) {
	tpl := template(t)
	tpl.ResourceCountIs(t, certificate, 1)
	tpl.HasResourceProperties(t, certificate, map[string]any{
		"DomainName":              "api.example.com",
		"ValidationMethod":        "DNS",
		"DomainValidationOptions": []any{map[string]any{"DomainName": "api.example.com", "HostedZoneId": zoneID}},
	})
}

func TestLoadBalancerHardeningAttributes(t *testing.T) {
	want := map[string]map[string]any{
		"default": {
			"routing.http.drop_invalid_header_fields.enabled": "true",      // ELB.4
			"routing.http.desync_mitigation_mode":             "defensive", // ELB.12
			"deletion_protection.enabled":                     "true",      // ELB.6
			"idle_timeout.timeout_seconds":                    "60",
		},
		"dual-stack": {
			"routing.http.drop_invalid_header_fields.enabled": "true",
			"routing.http.desync_mitigation_mode":             "defensive",
			"deletion_protection.enabled":                     "false",
			"idle_timeout.timeout_seconds":                    "300",
		},
	}
	for name, tpl := range variants {
		lb := resources(t, tpl(t), loadBalancer)[lbID]
		got := attributes(props(lb)["LoadBalancerAttributes"])
		for k, v := range want[name] {
			if got[k] != v {
				t.Errorf("%s: attribute %s = %v, want %v", name, k, got[k], v)
			}
		}
	}
}

func TestAccessLogsGoToTheLogBucket(t *testing.T) {
	cases := map[string]struct{ bucket, prefix string }{
		"default":    {logsID, "alb"},
		"dual-stack": {givenLogID, "edge/cloud"},
	}
	for name, tpl := range variants {
		c := cases[name]
		got := attributes(props(resources(t, tpl(t), loadBalancer)[lbID])["LoadBalancerAttributes"])
		if got["access_logs.s3.enabled"] != "true" || cdktest.JSON(got["access_logs.s3.bucket"]) != cdktest.JSON(map[string]any{"Ref": c.bucket}) || got["access_logs.s3.prefix"] != c.prefix {
			t.Errorf("%s: access log attributes %v, want enabled to %s under %s", name, cdktest.JSON(got), c.bucket, c.prefix)
		}
		// The region's ELB account may write under the prefix only.
		tpl(t).HasResourceProperties(t, "AWS::S3::BucketPolicy", map[string]any{
			"Bucket": map[string]any{"Ref": c.bucket},
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
				"Action": "s3:PutObject", "Effect": "Allow",
				"Principal": map[string]any{"AWS": "arn:aws:iam::" + elbAccount + ":root"},
				"Resource": map[string]any{"Fn::Join": []any{"", []any{
					map[string]any{"Fn::GetAtt": []any{c.bucket, "Arn"}}, "/" + c.prefix + "/AWSLogs/", map[string]any{"Ref": "AWS::AccountId"}, "/*",
				}}},
			})})},
		})
	}
}

func TestLoadBalancerIsInternetFacingInPublicSubnetsOfTwoAZs(t *testing.T) {
	for name, tpl := range variants {
		lb := props(resources(t, tpl(t), loadBalancer)[lbID])
		if lb["Scheme"] != "internet-facing" {
			t.Errorf("%s: Scheme %v", name, lb["Scheme"])
		}
		subnets := resources(t, tpl(t), "AWS::EC2::Subnet")
		azs := map[string]bool{}
		for _, ref := range lb["Subnets"].([]any) {
			s := props(subnets[ref.(map[string]any)["Ref"].(string)])
			if !strings.Contains(cdktest.JSON(s["Tags"]), `{"Key":"aws-cdk:subnet-type","Value":"Public"}`) {
				t.Errorf("%s: subnet %v is not public", name, ref)
			}
			azs[cdktest.JSON(s["AvailabilityZone"])] = true
		}
		if len(azs) < 2 {
			t.Errorf("%s: load balancer subnets span %d AZs, want >= 2", name, len(azs))
		}
	}
}

// rule is a security group rule, the fields that say who may talk to whom.
type rule struct{ Peer, Port string }

func ruleOf(r map[string]any) rule {
	peer := ""
	for _, k := range []string{"CidrIp", "CidrIpv6", "SourceSecurityGroupId", "DestinationSecurityGroupId", "SourcePrefixListId", "DestinationPrefixListId"} {
		if v, ok := r[k]; ok {
			peer = cdktest.JSON(v)
		}
	}
	return rule{peer, cdktest.JSON([]any{r["IpProtocol"], r["FromPort"], r["ToPort"]})}
}

// rulesOf returns the ingress or egress rules of security group sgID, inline
// and standalone.
func rulesOf(t *testing.T, tpl *cdktest.Template, sgID, direction string) []rule {
	t.Helper()
	var rules []rule
	sg := props(resources(t, tpl, securityGroup)[sgID])
	if l, ok := sg["SecurityGroup"+direction].([]any); ok {
		for _, r := range l {
			rules = append(rules, ruleOf(r.(map[string]any)))
		}
	}
	for _, r := range resources(t, tpl, "AWS::EC2::SecurityGroup"+direction) {
		if cdktest.JSON(props(r)["GroupId"]) == cdktest.JSON(map[string]any{"Fn::GetAtt": []any{sgID, "GroupId"}}) {
			rules = append(rules, ruleOf(props(r)))
		}
	}
	return rules
}

func sgRef(id string) string { return cdktest.JSON(map[string]any{"Fn::GetAtt": []any{id, "GroupId"}}) }

func tcp(port int) string { return cdktest.JSON([]any{"tcp", port, port}) }

func TestLoadBalancerAcceptsOnlyHTTPAndHTTPSFromAnywhere(t *testing.T) {
	v4, v6 := `"0.0.0.0/0"`, `"::/0"`
	want := map[string][]rule{
		"default":    {{v4, tcp(443)}, {v4, tcp(80)}},
		"dual-stack": {{v4, tcp(443)}, {v4, tcp(80)}, {v6, tcp(443)}, {v6, tcp(80)}},
	}
	for name, tpl := range variants {
		if got := rulesOf(t, tpl(t), lbSGID, "Ingress"); !reflect.DeepEqual(got, want[name]) {
			t.Errorf("%s: load balancer ingress %v, want %v", name, got, want[name])
		}
	}
}

func TestLoadBalancerReachesOnlyTheFleetPort(t *testing.T) {
	for name, fleet := range map[string]string{"default": fleetSGID, "dual-stack": asgSGID} {
		want := []rule{{sgRef(fleet), tcp(80)}}
		if got := rulesOf(t, variants[name](t), lbSGID, "Egress"); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: load balancer egress %v, want %v", name, got, want)
		}
	}
}

func TestFleetAcceptsOnlyTheLoadBalancer(t *testing.T) {
	// The dual-stack variant's target is an Auto Scaling group, for which CDK
	// adds the same rule itself: there must still be exactly one.
	for name, fleet := range map[string]string{"default": fleetSGID, "dual-stack": asgSGID} {
		want := []rule{{sgRef(lbSGID), tcp(80)}}
		if got := rulesOf(t, variants[name](t), fleet, "Ingress"); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: fleet ingress %v, want %v", name, got, want)
		}
	}
}

func TestHealthCheckDetectsFailureInAbout20Seconds(t *testing.T) {
	for name, path := range map[string]string{"default": "/up", "dual-stack": "/status.php"} {
		variants[name](t).HasResourceProperties(t, targetGroup, map[string]any{
			"Protocol": "HTTP", "Port": 80, "TargetType": "instance",
			"HealthCheckEnabled": true, "HealthCheckProtocol": "HTTP", "HealthCheckPath": path,
			"HealthCheckIntervalSeconds": 10, "HealthCheckTimeoutSeconds": 5,
			"HealthyThresholdCount": 2, "UnhealthyThresholdCount": 2,
			"Matcher": map[string]any{"HttpCode": "200"},
		})
	}
}

func TestTargetGroupHoldsTheTargets(t *testing.T) {
	template(t).HasResourceProperties(t, targetGroup, map[string]any{
		"Targets": []any{map[string]any{"Id": "i-0123456789abcdef0"}, map[string]any{"Id": "i-0fedcba9876543210"}},
	})
	dualTemplate(t).HasResourceProperties(t, "AWS::AutoScaling::AutoScalingGroup", map[string]any{
		"TargetGroupARNs": []any{map[string]any{"Ref": tgID}},
	})
}

func TestDeregistrationDelayIs30sAndStickinessIsOffByDefault(t *testing.T) {
	got := attributes(props(resources(t, template(t), targetGroup)[tgID])["TargetGroupAttributes"])
	want := map[string]any{"deregistration_delay.timeout_seconds": "30", "stickiness.enabled": "false"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("target group attributes %v, want %v", got, want)
	}
}

func TestStickinessUsesALoadBalancerCookie(t *testing.T) {
	got := attributes(props(resources(t, dualTemplate(t), targetGroup)[tgID])["TargetGroupAttributes"])
	want := map[string]any{
		"deregistration_delay.timeout_seconds": "30", "stickiness.enabled": "true",
		"stickiness.type": "lb_cookie", "stickiness.lb_cookie.duration_seconds": "3600",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("target group attributes %v, want %v", got, want)
	}
}

func TestDualStackLoadBalancer(t *testing.T) {
	dualTemplate(t).HasResourceProperties(t, loadBalancer, map[string]any{"IpAddressType": "dualstack"})
	template(t).HasResourceProperties(t, loadBalancer, map[string]any{"IpAddressType": "ipv4"})
}

func TestAliasRecordsPointAtTheLoadBalancer(t *testing.T) {
	alias := map[string]any{
		"DNSName":      map[string]any{"Fn::Join": []any{"", []any{"dualstack.", map[string]any{"Fn::GetAtt": []any{lbID, "DNSName"}}}}},
		"HostedZoneId": map[string]any{"Fn::GetAtt": []any{lbID, "CanonicalHostedZoneID"}},
	}
	want := map[string]map[string]string{
		"default":    {aID: "A"},
		"dual-stack": {aID: "A", aaaaID: "AAAA"},
	}
	names := map[string]string{"default": "api.example.com.", "dual-stack": "cloud.example.com."}
	for name, tpl := range variants {
		records := resources(t, tpl(t), recordSet)
		if len(records) != len(want[name]) {
			t.Errorf("%s: %d records, want %d", name, len(records), len(want[name]))
		}
		for id, typ := range want[name] {
			got := props(records[id])
			wantProps := map[string]any{"Name": names[name], "Type": typ, "HostedZoneId": zoneID, "AliasTarget": alias}
			if !reflect.DeepEqual(got, wantProps) {
				t.Errorf("%s: record %s = %s, want %s", name, id, cdktest.JSON(got), cdktest.JSON(wantProps))
			}
		}
	}
}

func TestRedirectListenerCertificateRuleIsSuppressedWithAReason(t *testing.T) {
	meta := cdktest.JSON(resources(t, template(t), listener)[httpID]["Metadata"])
	for _, id := range []string{"HIPAA.Security-ELBv2ACMCertificateRequired", "NIST.800.53.R5-ELBv2ACMCertificateRequired", "PCI.DSS.321-ELBv2ACMCertificateRequired"} {
		if !strings.Contains(meta, `"id":"`+id+`","reason":"This HTTP:80 listener only answers with a permanent redirect`) {
			t.Errorf("redirect listener metadata %s: no suppression of %s with its reason", meta, id)
		}
	}
	if meta := cdktest.JSON(resources(t, template(t), listener)[httpsID]["Metadata"]); strings.Contains(meta, "cdk_nag") {
		t.Errorf("HTTPS listener carries nag suppressions: %s", meta)
	}
}

func TestAccessorsReturnWhatWasCreated(t *testing.T) {
	template(t) // builds `built`
	stack := awscdk.Stack_Of(built)
	ref := func(id string) string { return cdktest.JSON(map[string]any{"Ref": id}) }
	cases := []struct {
		name string
		got  *string
		want string
	}{
		{"LoadBalancer", built.LoadBalancer().LoadBalancerArn(), ref(lbID)},
		{"HTTPSListener", built.HTTPSListener().ListenerArn(), ref(httpsID)},
		{"HTTPListener", built.HTTPListener().ListenerArn(), ref(httpID)},
		{"TargetGroup", built.TargetGroup().TargetGroupArn(), ref(tgID)},
		{"Certificate", built.Certificate().CertificateArn(), ref(certID)},
		{"AccessLogBucket", built.AccessLogBucket().BucketName(), ref(logsID)},
		{"SecurityGroup", built.SecurityGroup().SecurityGroupId(), sgRef(lbSGID)},
	}
	for _, c := range cases {
		if got := cdktest.JSON(stack.Resolve(c.got)); got != c.want {
			t.Errorf("%s() resolves to %s, want %s", c.name, got, c.want)
		}
	}
	records := built.AliasRecords()
	if len(records) != 1 || cdktest.JSON(stack.Resolve(records[0].DomainName())) != ref(aID) {
		t.Errorf("AliasRecords() = %d records, want the A record %s", len(records), aID)
	}
}

func TestEdgeIsAScopeThatCanBeTaggedAndDependedOn(t *testing.T) {
	tpl := template(t)
	tpl.HasResourceProperties(t, loadBalancer, map[string]any{
		"Tags": assertions.Match_ArrayWith(&[]any{map[string]any{"Key": "tierkit:block", "Value": "edge"}}),
	})
	tpl.HasResource(t, "AWS::CloudFormation::WaitConditionHandle", map[string]any{
		"DependsOn": assertions.Match_ArrayWith(&[]any{lbID}),
	})
}

// validProps returns props that pass Validate, in a stack that is never
// synthesized.
func validProps(t *testing.T) (awscdk.Stack, edge.Props) {
	stack := cdktest.NewStack(cdktest.NewApp(t), "Props")
	vpc := newVpc(stack, awsec2.IpProtocol_IPV4_ONLY)
	return stack, edge.Props{
		Vpc: vpc, DomainName: "api.example.com", Zone: newZone(stack),
		Targets: []awselasticloadbalancingv2.IApplicationLoadBalancerTarget{
			awselasticloadbalancingv2targets.NewInstanceIdTarget(jsii.String("i-0123456789abcdef0"), nil),
		},
	}
}

func TestInvalidProps(t *testing.T) {
	stack, valid := validProps(t)
	if err := valid.Validate(); err != nil {
		t.Fatalf("valid props: %v", err)
	}
	oneAZ := awsec2.NewVpc(stack, jsii.String("OneAZ"), &awsec2.VpcProps{MaxAzs: jsii.Number(1), NatGateways: jsii.Number(0)})
	private := awsec2.NewVpc(stack, jsii.String("Private"), &awsec2.VpcProps{MaxAzs: jsii.Number(2), SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
		{Name: jsii.String("Isolated"), SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED},
	}})
	with := func(change func(p *edge.Props)) edge.Props {
		p := valid
		change(&p)
		return p
	}
	cases := []struct {
		name  string
		props edge.Props
		want  string
	}{
		{"nothing", edge.Props{}, "Vpc: missing; required: the VPC whose public subnets hold the load balancer; " +
			`DomainName: missing; required: the name served, e.g. "api.example.com"; ` +
			"Zone: missing; required: the hosted zone of DomainName, from awsroute53.HostedZone_FromHostedZoneAttributes; " +
			"Targets: none; required: at least one target"},
		{"no targets", with(func(p *edge.Props) { p.Targets = nil }), "Targets: none; required: at least one target"},
		{"nil target", with(func(p *edge.Props) { p.Targets = append(p.Targets, nil) }), "Targets[1]: nil"},
		{"relative health path", with(func(p *edge.Props) { p.HealthCheckPath = "up" }), `HealthCheckPath: "up" is not an absolute path; allowed: a path starting with "/"`},
		{"empty domain", with(func(p *edge.Props) { p.DomainName = "" }), "DomainName: missing"},
		{"domain with a space", with(func(p *edge.Props) { p.DomainName = "api example.com" }), `DomainName: "api example.com" is not a host name`},
		{"single-label domain", with(func(p *edge.Props) { p.DomainName = "localhost" }), `DomainName: "localhost" is not a host name`},
		{"wildcard domain", with(func(p *edge.Props) { p.DomainName = "*.example.com" }), `DomainName: "*.example.com" is not a host name`},
		{"domain outside the zone", with(func(p *edge.Props) { p.DomainName = "api.example.org" }), `DomainName: "api.example.org" is outside the hosted zone "example.com"`},
		{"domain only ending like the zone", with(func(p *edge.Props) { p.DomainName = "api.notexample.com" }), `DomainName: "api.notexample.com" is outside the hosted zone`},
		{"domain too long for a certificate", with(func(p *edge.Props) { p.DomainName = strings.Repeat("a", 60) + ".example.com" }), "is 72 characters; allowed: at most 64 for a new ACM certificate"},
		{"no zone", with(func(p *edge.Props) { p.Zone = nil }), "Zone: missing"},
		{"no vpc", with(func(p *edge.Props) { p.Vpc = nil }), "Vpc: missing"},
		{"vpc in one AZ", with(func(p *edge.Props) { p.Vpc = oneAZ }), "Vpc: public subnets span 1 Availability Zone(s); required: at least two"},
		{"vpc without public subnets", with(func(p *edge.Props) { p.Vpc = private }), "Vpc: has no public subnets"},
		{"dual-stack without IPv6", with(func(p *edge.Props) { p.DualStack = true }), "DualStack: public subnet Props/Vpc/PublicSubnet1 has no IPv6 CIDR; required: a VPC with IPv6"},
		{"internal without private subnets", with(func(p *edge.Props) {
			p.Vpc = awsec2.NewVpc(stack, jsii.String("PublicOnly"), &awsec2.VpcProps{MaxAzs: jsii.Number(2), SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
				{Name: jsii.String("Public"), SubnetType: awsec2.SubnetType_PUBLIC},
			}})
			p.Internal = true
		}), "Vpc: has no private subnets; required: private subnets (SubnetType PRIVATE_WITH_EGRESS)"},
		{"internal dual-stack without IPv6", with(func(p *edge.Props) { p.Internal, p.DualStack = true, true }), "DualStack: private subnet Props/Vpc/PrivateSubnet1 has no IPv6 CIDR"},
		{"source that is not a range", with(func(p *edge.Props) { p.AllowedSourceCIDRs = []string{"203.0.113.7"} }), `AllowedSourceCIDRs[0]: "203.0.113.7" is not a CIDR range; allowed: an IPv4 or IPv6 network`},
		{"source with host bits", with(func(p *edge.Props) { p.AllowedSourceCIDRs = []string{"203.0.113.7/24"} }), `AllowedSourceCIDRs[0]: "203.0.113.7/24" has host bits set; allowed: the network address, 203.0.113.0/24`},
		{"IPv6 source without dual-stack", with(func(p *edge.Props) { p.AllowedSourceCIDRs = []string{"2001:db8::/56"} }), `AllowedSourceCIDRs[0]: "2001:db8::/56" is an IPv6 range, but the load balancer is IPv4 only`},
		{"IPv4-mapped source", with(func(p *edge.Props) { p.AllowedSourceCIDRs = []string{"::ffff:203.0.113.0/120"} }), "is an IPv4-mapped IPv6 range"},
		{"source listed twice", with(func(p *edge.Props) {
			p.AllowedSourceCIDRs = []string{"203.0.113.0/24", "198.51.100.0/24", "203.0.113.0/24"}
		}), `AllowedSourceCIDRs[2]: "203.0.113.0/24" is listed twice`},
		{"too many sources", with(func(p *edge.Props) {
			for i := range 31 {
				p.AllowedSourceCIDRs = append(p.AllowedSourceCIDRs, fmt.Sprintf("10.%d.0.0/16", i))
			}
		}), "AllowedSourceCIDRs: 31 ranges; allowed: at most 30"},
		{"TLS 1.0 policy", with(func(p *edge.Props) { p.SSLPolicy = awselasticloadbalancingv2.SslPolicy_RECOMMENDED }), "SSLPolicy: SslPolicy_RECOMMENDED is not a TLS 1.3 policy; allowed: SslPolicy_TLS13_*"},
		{"TLS 1.2 policy", with(func(p *edge.Props) { p.SSLPolicy = awselasticloadbalancingv2.SslPolicy_FORWARD_SECRECY_TLS12_RES_GCM }), "SSLPolicy: SslPolicy_FORWARD_SECRECY_TLS12_RES_GCM is not a TLS 1.3 policy"},
		{"port out of range", with(func(p *edge.Props) { p.TargetPort = 70000 }), "TargetPort: 70000 is out of range; allowed: 1 to 65535"},
		{"negative port", with(func(p *edge.Props) { p.TargetPort = -1 }), "TargetPort: -1 is out of range"},
		{"healthy codes with a class", with(func(p *edge.Props) { p.HealthyHTTPCodes = "2xx" }), `HealthyHTTPCodes: "2xx" is not a list of codes`},
		{"healthy 5xx", with(func(p *edge.Props) { p.HealthyHTTPCodes = "200,500" }), `HealthyHTTPCodes: "200,500" is not a list of codes; allowed: codes 200 to 499`},
		{"idle timeout too long", with(func(p *edge.Props) { p.IdleTimeout = 5000 * time.Second }), "IdleTimeout: 1h23m20s is out of range; allowed: 1s to 4000s"},
		{"negative idle timeout", with(func(p *edge.Props) { p.IdleTimeout = -time.Second }), "IdleTimeout: -1s is out of range"},
		{"idle timeout in milliseconds", with(func(p *edge.Props) { p.IdleTimeout = 1500 * time.Millisecond }), "IdleTimeout: 1.5s is not a whole number of seconds"},
		{"idle timeout under a second", with(func(p *edge.Props) { p.IdleTimeout = 500 * time.Millisecond }), "IdleTimeout: 500ms is out of range"},
		{"deregistration delay too long", with(func(p *edge.Props) { p.DeregistrationDelay = time.Hour + time.Second }), "DeregistrationDelay: 1h0m1s is out of range; allowed: 1s to 3600s"},
		{"stickiness too long", with(func(p *edge.Props) { p.Stickiness = 8 * 24 * time.Hour }), "Stickiness: 192h0m0s is out of range; allowed: 1s to 168h"},
		{"negative stickiness", with(func(p *edge.Props) { p.Stickiness = -time.Minute }), "Stickiness: -1m0s is out of range"},
		{"log prefix with a leading slash", with(func(p *edge.Props) { p.AccessLogPrefix = "/alb" }), `AccessLogPrefix: "/alb" is not allowed by ALB access logs`},
		{"log prefix with a trailing slash", with(func(p *edge.Props) { p.AccessLogPrefix = "alb/" }), `AccessLogPrefix: "alb/" is not allowed`},
		{"log prefix with AWSLogs", with(func(p *edge.Props) { p.AccessLogPrefix = "x/AWSLogs" }), `AccessLogPrefix: "x/AWSLogs" is not allowed`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.props.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestValidPropsAtTheLimits(t *testing.T) {
	_, p := validProps(t)
	p.DomainName = "example.com." // the zone apex, fully qualified
	p.IdleTimeout = 4000 * time.Second
	p.DeregistrationDelay = time.Second
	p.Stickiness = 7 * 24 * time.Hour
	p.HealthyHTTPCodes = "200-299,302"
	p.HealthCheckPath = "/status.php"
	p.TargetPort = 8080
	p.SSLPolicy = awselasticloadbalancingv2.SslPolicy_TLS13_13
	if err := p.Validate(); err != nil {
		t.Errorf("got %v, want no error", err)
	}
}

func TestZoneImportedByIDAloneSkipsTheZoneNameCheck(t *testing.T) {
	stack, p := validProps(t)
	p.Zone = awsroute53.HostedZone_FromHostedZoneId(stack, jsii.String("ZoneByID"), jsii.String(zoneID))
	p.DomainName = "api.example.org"
	if err := p.Validate(); err != nil {
		t.Errorf("got %v, want no error: the zone's name is unknown", err)
	}
}

func TestNewPanicsWithTheConstructIDOnInvalidProps(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(r.(string), "edge Edge: Vpc: missing") {
			t.Errorf("got %v, want a panic naming the construct and the field", r)
		}
	}()
	edge.New(awscdk.NewStack(nil, nil, nil), "Edge", &edge.Props{})
}

func TestNewPanicsWithoutAConcreteRegion(t *testing.T) {
	app := cdktest.NewApp(t)
	stack := awscdk.NewStack(app, jsii.String("NoRegion"), nil)
	_, p := validProps(t)
	p.Vpc = newVpc(stack, awsec2.IpProtocol_IPV4_ONLY)
	p.Zone = newZone(stack)
	defer func() {
		want := []string{"edge Edge: the region of stack NoRegion is not concrete", `awscdk.StackProps{Env: &awscdk.Environment{Region: jsii.String("eu-west-1")}}`, `the environment's "region" in cdk.json`}
		if r := recover(); r == nil || !strings.HasPrefix(r.(string), want[0]) || !strings.Contains(r.(string), want[1]) || !strings.Contains(r.(string), want[2]) {
			t.Errorf("got %v, want a panic naming the construct, the stack's region and how to set it", r)
		}
	}()
	edge.New(stack, "Edge", &p)
}

func TestInternalLoadBalancerIsInThePrivateSubnets(t *testing.T) {
	tpl := internalTemplate(t)
	lb := props(resources(t, tpl, loadBalancer)[lbID])
	if lb["Scheme"] != "internal" || lb["IpAddressType"] != "dualstack" {
		t.Errorf("Scheme %v, IpAddressType %v; want internal, dualstack", lb["Scheme"], lb["IpAddressType"])
	}
	subnets := resources(t, tpl, "AWS::EC2::Subnet")
	for _, ref := range lb["Subnets"].([]any) {
		s := props(subnets[ref.(map[string]any)["Ref"].(string)])
		if !strings.Contains(cdktest.JSON(s["Tags"]), `{"Key":"aws-cdk:subnet-type","Value":"Private"}`) {
			t.Errorf("subnet %v is not private", ref)
		}
	}
}

func TestInternalLoadBalancerKeepsItsCertificateAndAliasRecords(t *testing.T) {
	tpl := internalTemplate(t)
	tpl.HasResourceProperties(t, certificate, map[string]any{"DomainName": "cloud.example.com", "ValidationMethod": "DNS"})
	records := resources(t, tpl, recordSet)
	for id, typ := range map[string]string{aID: "A", aaaaID: "AAAA"} {
		if got := props(records[id]); got["Type"] != typ || got["Name"] != "cloud.example.com." || got["AliasTarget"] == nil {
			t.Errorf("record %s = %s, want the %s alias of cloud.example.com.", id, cdktest.JSON(got), typ)
		}
	}
}

func TestAllowedSourcesAreTheOnlyOnesAccepted(t *testing.T) {
	tpl := internalTemplate(t)
	v4, v6 := `"203.0.113.0/24"`, `"2001:db8:1234::/48"`
	want := []rule{{v4, tcp(443)}, {v4, tcp(80)}, {v6, tcp(443)}, {v6, tcp(80)}}
	if got := rulesOf(t, tpl, lbSGID, "Ingress"); !reflect.DeepEqual(got, want) {
		t.Errorf("load balancer ingress %v, want %v", got, want)
	}
	if meta := cdktest.JSON(resources(t, tpl, securityGroup)[lbSGID]["Metadata"]); strings.Contains(meta, "AwsSolutions-EC23") {
		t.Errorf("a group open to the allowed sources only carries the open-to-the-world suppression: %s", meta)
	}
}

func TestSubnetCIDRsAreThoseOfTheLoadBalancersSubnets(t *testing.T) {
	template(t)
	internalTemplate(t)
	for _, c := range []struct {
		name string
		e    *edge.Edge
		want []string
	}{
		{"internet-facing: public subnets", built, []string{"10.0.0.0/24", "10.0.1.0/24"}},
		{"internal: private subnets, IPv4 only", internal, []string{"10.0.2.0/24", "10.0.3.0/24"}},
	} {
		if got := c.e.SubnetCIDRs(); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: SubnetCIDRs() = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestSubnetCIDRsOfImportedSubnetsAreTheirTokensOrTheVPCs(t *testing.T) {
	stack, p := validProps(t)
	cidr := awscdk.Fn_ImportValue(jsii.String("shared-vpc-cidr"))
	blocks := awscdk.Fn_Cidr(cidr, jsii.Number(4), jsii.String("8"))
	imported := func(id string, withCIDRs bool) awsec2.IVpc {
		attrs := &awsec2.VpcAttributes{
			VpcId: jsii.String("vpc-12345678"), VpcCidrBlock: cidr, AvailabilityZones: jsii.Strings("us-east-1a", "us-east-1b"),
			PublicSubnetIds: jsii.Strings("subnet-1", "subnet-2"), PrivateSubnetIds: jsii.Strings("subnet-3", "subnet-4"),
		}
		if withCIDRs {
			attrs.PublicSubnetIpv4CidrBlocks = &[]*string{awscdk.Fn_Select(jsii.Number(0), blocks), awscdk.Fn_Select(jsii.Number(1), blocks)}
		}
		return awsec2.Vpc_FromVpcAttributes(stack, jsii.String(id), attrs)
	}
	for _, c := range []struct {
		name string
		vpc  awsec2.IVpc
		want string
	}{
		{"with ranges", imported("WithCIDRs", true), cdktest.JSON([]any{
			map[string]any{"Fn::Select": []any{0, map[string]any{"Fn::Cidr": []any{map[string]any{"Fn::ImportValue": "shared-vpc-cidr"}, 4, "8"}}}},
			map[string]any{"Fn::Select": []any{1, map[string]any{"Fn::Cidr": []any{map[string]any{"Fn::ImportValue": "shared-vpc-cidr"}, 4, "8"}}}},
		})},
		{"without ranges: the VPC's", imported("WithoutCIDRs", false), cdktest.JSON([]any{map[string]any{"Fn::ImportValue": "shared-vpc-cidr"}})},
	} {
		p.Vpc = c.vpc
		e := edge.New(stack, "Edge"+strings.ReplaceAll(c.name, " ", ""), &p)
		var got []any
		for _, v := range e.SubnetCIDRs() {
			got = append(got, stack.Resolve(jsii.String(v)))
		}
		if cdktest.JSON(got) != c.want {
			t.Errorf("%s: SubnetCIDRs() resolve to %s, want %s", c.name, cdktest.JSON(got), c.want)
		}
	}
}
