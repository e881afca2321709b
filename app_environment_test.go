package main

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"

	"github.com/tierkit/tierkit/internal/cdktest"
	"github.com/tierkit/tierkit/internal/config"
)

// kindEnvironment is a dual-stack, disposable environment whose Nextcloud
// is internal and open to an office's ranges only, beside a public Laravel
// API: the load balancer settings are per tier.
const kindEnvironment = `{"prod": {
  "account": "123456789012", "region": "eu-west-1", "availabilityZones": ["eu-west-1a", "eu-west-1b"],
  "domainName": "example.org", "hostedZone": {"id": "Z0123456789ABCDEFGHIJ", "name": "example.org"},
  "ami": {"eu-west-1": "ami-0123456789abcdef0"}, "dualStack": true, "disposable": true,
  "tiers": {"laravel": {}, "nextcloud": {"loadBalancer": {"internal": true, "allowedSourceCidrs": ["203.0.113.0/24", "2001:db8::/56"]}}}}}`

// kindStacks are the stacks of kindEnvironment, by tier, synthesized once
// (without validation and cdk-nag, which take 35 s more: the edge block's
// tests hold an internal, dual-stack load balancer with an allow-list to
// both, the database block's its deletion protection off).
var kindStacks = cdktest.Variants(func(tb testing.TB) map[string]awscdk.Stack {
	var envs any
	if err := json.Unmarshal([]byte(kindEnvironment), &envs); err != nil {
		panic(err)
	}
	app := cdktest.NewApp(tb, cdktest.WithContext(map[string]any{config.EnvironmentsKey: envs}))
	env, err := selectEnvironment(app)
	if err != nil {
		panic(err)
	}
	stacks := build(app, env)
	return map[string]awscdk.Stack{"laravel": stacks[0], "nextcloud": stacks[1]}
})

func TestDualStackReachesTheVPCAndTheLoadBalancerOfEveryTier(t *testing.T) {
	for _, tier := range []string{"laravel", "nextcloud"} {
		tpl := kindStacks(tier)(t)
		tpl.HasResourceProperties(t, "AWS::EC2::VPCCidrBlock", map[string]any{"AmazonProvidedIpv6CidrBlock": true})
		tpl.HasResourceProperties(t, "AWS::EC2::Subnet", map[string]any{"Ipv6CidrBlock": assertions.Match_AnyValue()})
		tpl.HasResourceProperties(t, "AWS::ElasticLoadBalancingV2::LoadBalancer", map[string]any{"IpAddressType": "dualstack"})
		tpl.HasResourceProperties(t, "AWS::Route53::RecordSet", map[string]any{"Type": "AAAA", "Name": tier2name[tier] + "."})
	}
}

var tier2name = map[string]string{"laravel": "api.example.org", "nextcloud": "cloud.example.org"}

// ingress returns the load balancer group's ingress rules as "peer port".
func ingress(t *testing.T, tpl *cdktest.Template) []string {
	t.Helper()
	var lbSG string
	for id := range tpl.Resources("AWS::EC2::SecurityGroup") {
		if strings.Contains(id, "EdgeSecurityGroup") {
			lbSG = id
		}
	}
	var rules []string
	for _, r := range cdktest.Props(tpl.Resources("AWS::EC2::SecurityGroup")[lbSG])["SecurityGroupIngress"].([]any) {
		rule := r.(map[string]any)
		peer := rule["CidrIp"]
		if peer == nil {
			peer = rule["CidrIpv6"]
		}
		rules = append(rules, cdktest.JSON(peer)+" "+cdktest.JSON([]any{rule["IpProtocol"], rule["FromPort"], rule["ToPort"]}))
	}
	return rules
}

func TestAPublicDualStackTierAcceptsIPv6On80And443Only(t *testing.T) {
	want := []string{`"0.0.0.0/0" ["tcp",443,443]`, `"0.0.0.0/0" ["tcp",80,80]`, `"::/0" ["tcp",443,443]`, `"::/0" ["tcp",80,80]`}
	if got := ingress(t, kindStacks("laravel")(t)); !reflect.DeepEqual(got, want) {
		t.Errorf("laravel's load balancer ingress %v, want %v", got, want)
	}
}

func TestATiersAllowedSourcesAreTheOnlyIngressOfItsLoadBalancer(t *testing.T) {
	want := []string{`"203.0.113.0/24" ["tcp",443,443]`, `"203.0.113.0/24" ["tcp",80,80]`, `"2001:db8::/56" ["tcp",443,443]`, `"2001:db8::/56" ["tcp",80,80]`}
	if got := ingress(t, kindStacks("nextcloud")(t)); !reflect.DeepEqual(got, want) {
		t.Errorf("nextcloud's load balancer ingress %v, want %v", got, want)
	}
}

func TestInternalIsPerTier(t *testing.T) {
	for tier, scheme := range map[string]string{"laravel": "internet-facing", "nextcloud": "internal"} {
		kindStacks(tier)(t).HasResourceProperties(t, "AWS::ElasticLoadBalancingV2::LoadBalancer", map[string]any{"Scheme": scheme})
	}
	// Its name still resolves, to the private addresses, with a certificate from the public zone.
	tpl := kindStacks("nextcloud")(t)
	tpl.HasResourceProperties(t, "AWS::Route53::RecordSet", map[string]any{"Type": "A", "Name": "cloud.example.org."})
	tpl.HasResourceProperties(t, "AWS::CertificateManager::Certificate", map[string]any{"DomainName": "cloud.example.org", "ValidationMethod": "DNS"})
}

func TestADisposableEnvironmentCanBeDeletedButKeepsItsSnapshotAndBuckets(t *testing.T) {
	for _, tier := range []string{"laravel", "nextcloud"} {
		tpl := kindStacks(tier)(t)
		tpl.HasResourceProperties(t, "AWS::ElasticLoadBalancingV2::LoadBalancer", map[string]any{
			"LoadBalancerAttributes": assertions.Match_ArrayWith(&[]any{map[string]any{"Key": "deletion_protection.enabled", "Value": "false"}}),
		})
		tpl.HasResource(t, "AWS::RDS::DBInstance", map[string]any{
			"Properties": map[string]any{"DeletionProtection": false}, "DeletionPolicy": "Snapshot", "UpdateReplacePolicy": "Snapshot",
		})
		for id, b := range tpl.Resources("AWS::S3::Bucket") {
			if b["DeletionPolicy"] != "Retain" {
				t.Errorf("%s: bucket %s has DeletionPolicy %v, want Retain", tier, id, b["DeletionPolicy"])
			}
		}
	}
}

func TestANullTierFailsTheSynthWithItsPath(t *testing.T) {
	envs := map[string]any{"prod": map[string]any{
		"region": "eu-west-1", "domainName": "example.org", "hostedZone": map[string]any{"id": "Z0123456789ABCDEFGHIJ", "name": "example.org"},
		"ami": map[string]any{"eu-west-1": "ami-0123456789abcdef0"}, "tiers": map[string]any{"laravel": nil, "nextcloud": map[string]any{}},
	}}
	_, stderr, code, _ := synthProcess(t, map[string]any{"environments": envs})
	want := "tierkit: invalid configuration: environments.prod.tiers.laravel: is null; allowed: an object ({} deploys the tier with its defaults), or leave the tier out not to deploy it"
	if code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stderr %q; want exit 1 and %q", code, stderr, want)
	}
}

func TestContextReaderPrefersTheCLIsEnvironmentsWithTheirNulls(t *testing.T) {
	t.Setenv(contextEnv, `{"environments": {"prod": null}, "env": "ignored"}`)
	read := contextReader(cdktest.NewApp(t))
	if got := cdktest.JSON(read("environments")); got != `{"prod":null}` {
		t.Errorf("environments: got %s, want the CLI's text with its null", got)
	}
	if got := read("env"); got != nil {
		t.Errorf("env: got %v, want the app's context (nil)", got)
	}
}

// TestBenchsBiggestEnvironmentIsAValidConfiguration: scripts/bench synthesizes
// internal/yardstick/biggest.json; a key the configuration no longer accepts
// fails here, not in the bench.
func TestBenchsBiggestEnvironmentIsAValidConfiguration(t *testing.T) {
	b, err := os.ReadFile("internal/yardstick/biggest.json")
	if err != nil {
		t.Fatal(err)
	}
	app := cdktest.NewApp(t, withEnvironments(t, string(b)), cdktest.WithContext(map[string]any{config.EnvKey: "biggest"}))
	env, err := selectEnvironment(app)
	if err != nil {
		t.Fatalf("internal/yardstick/biggest.json: %v", err)
	}
	if len(env.Tiers) != 2 {
		t.Errorf("%d tiers, want both", len(env.Tiers))
	}
}
