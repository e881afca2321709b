// Package firewalltest builds the firewall block's test fixtures: the stacks
// the block's own tests assert on, which internal/conformance also builds,
// with every other block's, into one app checked by aws-cdk-lib's
// CloudFormation validation and cdk-nag (one validation engine for all the
// blocks, instead of one per test process).
package firewalltest

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/tierkit/tierkit/constructs/firewall"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// ScopedRules are the "Scoped" fixture's exceptions: a sync protocol under
// two prefixes with rules of every group, and a webhook path (one prefix).
var ScopedRules = []firewall.ScopedRules{
	{
		Name: "Sync",
		Rules: []string{
			"RestrictedExtensions_URIPATH", "SizeRestrictions_URIPATH", "CrossSiteScripting_BODY",
			"Log4JRCE_BODY", "SQLi_BODY", "PHPHighRiskMethodsVariables_BODY",
		},
		ExceptPathPrefixes: []string{"/dav/", "/webdav/"},
	},
	{Name: "Hooks", Rules: []string{"GenericRFI_BODY"}, ExceptPathPrefixes: []string{"/hooks/"}},
}

// Fixtures are the block's test stacks, by name.
type Fixtures struct {
	// Stacks are "Test" (the default firewall in front of an
	// internet-facing ALB, tagged and depended on, as a tier does with its
	// blocks), "Strict" (a lower rate limit, every managed rule blocking and
	// a longer log retention) and "Scoped" (the rules of ScopedRules scoped
	// away from their paths).
	Stacks map[string]awscdk.Stack
}

// New builds the fixtures' stacks in scope, an app or a construct of one.
func New(scope constructs.Construct) *Fixtures {
	f := &Fixtures{Stacks: map[string]awscdk.Stack{}}
	for _, v := range []struct {
		id    string
		props firewall.Props
	}{
		{"Test", firewall.Props{}},
		// An empty, non-nil CountOnlyRules: every managed rule blocks.
		{"Strict", firewall.Props{RateLimit: 500, CountOnlyRules: []string{}, LogRetention: awslogs.RetentionDays_TWO_YEARS}},
		{"Scoped", firewall.Props{ScopedRules: ScopedRules}},
	} {
		stack := cdktest.NewStack(scope, v.id)
		props := v.props
		props.LoadBalancer = NewLoadBalancer(stack)
		fw := firewall.New(stack, "Firewall", &props)
		if v.id == "Test" {
			awscdk.Tags_Of(fw).Add(jsii.String("tierkit:block"), jsii.String("firewall"), nil)
			awscdk.NewCfnWaitConditionHandle(stack, jsii.String("AfterFirewall"), nil).Node().AddDependency(fw)
		}
		f.Stacks[v.id] = stack
	}
	return f
}

// NewLoadBalancer returns an internet-facing ALB in a VPC with two public
// subnets: a stand-in for the edge block, whose own controls (access logs,
// listeners, flow logs) are not under test here.
func NewLoadBalancer(stack awscdk.Stack) awselasticloadbalancingv2.ApplicationLoadBalancer {
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{
		MaxAzs:      jsii.Number(2),
		NatGateways: jsii.Number(0),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
			{Name: jsii.String("Public"), SubnetType: awsec2.SubnetType_PUBLIC, CidrMask: jsii.Number(24), MapPublicIpOnLaunch: jsii.Bool(false)},
		},
		// Leaves out the custom resource that restricts the default group: not under test here.
		RestrictDefaultSecurityGroup: jsii.Bool(false),
	})
	cdknag.NagSuppressions_AddResourceSuppressions(vpc, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-VPC7"),
		Reason: jsii.String("Test fixture: flow logs belong to the network block, not to the firewall block under test."),
	}}, jsii.Bool(false))
	lb := awselasticloadbalancingv2.NewApplicationLoadBalancer(stack, jsii.String("LoadBalancer"), &awselasticloadbalancingv2.ApplicationLoadBalancerProps{
		Vpc:            vpc,
		InternetFacing: jsii.Bool(true),
	})
	cdknag.NagSuppressions_AddResourceSuppressions(lb, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-ELB2"),
		Reason: jsii.String("Test fixture: access logs belong to the edge block, not to the firewall block under test."),
	}}, jsii.Bool(false))
	return lb
}
