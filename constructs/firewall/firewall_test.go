package firewall_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/firewall"
	"github.com/tierkit/tierkit/constructs/firewall/firewalltest"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// variants are the block's test stacks (firewalltest: the default firewall
// in stack "Test", tagged and depended on as a tier does with its blocks,
// and its variants), built in one app and synthesized once in strict mode
// (validation warnings fail); internal/conformance checks the same stacks
// with CloudFormation validation and cdk-nag.
var variants = cdktest.Variants(func(tb testing.TB) map[string]awscdk.Stack {
	return firewalltest.New(cdktest.NewApp(tb, cdktest.Strict())).Stacks
})

var (
	template       = variants("Test")
	strictTemplate = variants("Strict")
	scopedTemplate = variants("Scoped")
)

const (
	webACL      = "AWS::WAFv2::WebACL"
	association = "AWS::WAFv2::WebACLAssociation"
	logging     = "AWS::WAFv2::LoggingConfiguration"
	logGroup    = "AWS::Logs::LogGroup"

	// Logical IDs: part of the contract (construct ids "WebACL", "Logs").
	webACLID   = "FirewallWebACL1852243C"
	logGroupID = "FirewallLogs7FB06776"
)

var managedGroups = []string{
	"AWSManagedRulesCommonRuleSet",
	"AWSManagedRulesKnownBadInputsRuleSet",
	"AWSManagedRulesSQLiRuleSet",
	"AWSManagedRulesPHPRuleSet",
}

// rules returns the Rules of the only web ACL of tpl.
func rules(t *testing.T, tpl *cdktest.Template) []map[string]any {
	t.Helper()
	acls := tpl.Resources(webACL)
	if len(acls) != 1 {
		t.Fatalf("%d web ACLs; want 1", len(acls))
	}
	var out []map[string]any
	for _, acl := range acls {
		for _, r := range acl["Properties"].(map[string]any)["Rules"].([]any) {
			out = append(out, r.(map[string]any))
		}
	}
	return out
}

// rule returns the rule named name of the only web ACL of tpl.
func rule(t *testing.T, tpl *cdktest.Template, name string) map[string]any {
	t.Helper()
	for _, r := range rules(t, tpl) {
		if r["Name"] == name {
			return r
		}
	}
	t.Fatalf("no rule named %s", name)
	return nil
}

// overrides returns the rule names a managed group rule overrides to count.
func overrides(t *testing.T, r map[string]any) []string {
	t.Helper()
	stmt := r["Statement"].(map[string]any)["ManagedRuleGroupStatement"].(map[string]any)
	list, _ := stmt["RuleActionOverrides"].([]any)
	var names []string
	for _, o := range list {
		o := o.(map[string]any)
		if cdktest.JSON(o["ActionToUse"]) != `{"Count":{}}` {
			t.Errorf("override %v: ActionToUse %v; want Count", o["Name"], cdktest.JSON(o["ActionToUse"]))
		}
		names = append(names, o["Name"].(string))
	}
	return names
}

func TestWebACLIsRegionalAndAllowsByDefault(t *testing.T) {
	template(t).HasResourceProperties(t, webACL, map[string]any{
		"Scope":         "REGIONAL",
		"DefaultAction": map[string]any{"Allow": map[string]any{}},
	})
}

func TestWebACLHasMetricsAndSampledRequests(t *testing.T) {
	template(t).HasResourceProperties(t, webACL, map[string]any{
		"VisibilityConfig": map[string]any{
			"CloudWatchMetricsEnabled": true, "SampledRequestsEnabled": true,
			"MetricName": assertions.Match_StringLikeRegexp(jsii.String("^Test-[0-9a-f]{8}$")),
		},
	})
}

func TestEveryRuleHasMetricsAndSampledRequestsNamedAfterIt(t *testing.T) {
	for _, r := range rules(t, template(t)) {
		want := map[string]any{"CloudWatchMetricsEnabled": true, "SampledRequestsEnabled": true, "MetricName": r["Name"]}
		if got := cdktest.JSON(r["VisibilityConfig"]); got != cdktest.JSON(want) {
			t.Errorf("rule %v: VisibilityConfig %s; want %s", r["Name"], got, cdktest.JSON(want))
		}
	}
}

func TestRateLimitRunsFirstThenTheManagedGroups(t *testing.T) {
	var got []string
	for i, r := range rules(t, template(t)) {
		if r["Priority"] != float64(i) {
			t.Errorf("rule %v at position %d has priority %v", r["Name"], i, r["Priority"])
		}
		got = append(got, r["Name"].(string))
	}
	want := append([]string{"RateLimit"}, managedGroups...)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("rules %v; want %v", got, want)
	}
}

func TestRateLimitBlocksAt2000RequestsPerIPIn5Minutes(t *testing.T) {
	r := rule(t, template(t), "RateLimit")
	if got := cdktest.JSON(r["Action"]); got != `{"Block":{}}` {
		t.Errorf("Action %s; want Block", got)
	}
	want := `{"RateBasedStatement":{"AggregateKeyType":"IP","EvaluationWindowSec":300,"Limit":2000}}`
	if got := cdktest.JSON(r["Statement"]); got != want {
		t.Errorf("Statement %s; want %s", got, want)
	}
}

func TestRateLimitIsConfigurable(t *testing.T) {
	r := rule(t, strictTemplate(t), "RateLimit")
	if got := r["Statement"].(map[string]any)["RateBasedStatement"].(map[string]any)["Limit"]; got != 500.0 {
		t.Errorf("Limit %v; want 500", got)
	}
}

func TestManagedRuleGroupsAreUsedWithTheirOwnActions(t *testing.T) {
	for _, name := range managedGroups {
		t.Run(name, func(t *testing.T) {
			template(t).HasResourceProperties(t, webACL, map[string]any{
				"Rules": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
					"Name":           name,
					"OverrideAction": map[string]any{"None": map[string]any{}},
					"Statement": map[string]any{"ManagedRuleGroupStatement": assertions.Match_ObjectLike(&map[string]any{
						"VendorName": "AWS", "Name": name,
					})},
				})}),
			})
		})
	}
}

func TestSizeRestrictionsBodyOnlyCountsByDefault(t *testing.T) {
	tpl := template(t)
	for _, name := range managedGroups {
		got := overrides(t, rule(t, tpl, name))
		want := []string(nil)
		if name == "AWSManagedRulesCommonRuleSet" {
			want = []string{"SizeRestrictions_BODY"}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s overrides %v to count; want %v", name, got, want)
		}
	}
}

func TestEmptyCountOnlyRulesBlockWithEveryRule(t *testing.T) {
	tpl := strictTemplate(t)
	for _, name := range managedGroups {
		if got := overrides(t, rule(t, tpl, name)); len(got) > 0 {
			t.Errorf("%s overrides %v to count; want none", name, got)
		}
	}
}

func TestCountOnlyRulesLandOnTheGroupThatHoldsThem(t *testing.T) {
	stack := awscdk.NewStack(nil, jsii.String("Test"), nil)
	fw := firewall.New(stack, "Firewall", &firewall.Props{
		LoadBalancer:   newLoadBalancer(stack),
		CountOnlyRules: []string{"PROPFIND_METHOD", "SizeRestrictions_BODY", "SQLi_BODY", "PHPHighRiskMethodsVariables_BODY", "CrossSiteScripting_BODY"},
	})
	resolved := stack.Resolve(fw.WebACL().Rules())
	want := map[string][]string{
		"AWSManagedRulesCommonRuleSet":         {"SizeRestrictions_BODY", "CrossSiteScripting_BODY"},
		"AWSManagedRulesKnownBadInputsRuleSet": {"PROPFIND_METHOD"},
		"AWSManagedRulesSQLiRuleSet":           {"SQLi_BODY"},
		"AWSManagedRulesPHPRuleSet":            {"PHPHighRiskMethodsVariables_BODY"},
	}
	for _, r := range resolved.([]any) {
		r := r.(map[string]any)
		if r["name"] == "RateLimit" {
			continue
		}
		stmt := r["statement"].(map[string]any)["managedRuleGroupStatement"].(map[string]any)
		var got []string
		for _, o := range stmt["ruleActionOverrides"].([]any) {
			got = append(got, o.(map[string]any)["name"].(string))
		}
		if strings.Join(got, ",") != strings.Join(want[r["name"].(string)], ",") {
			t.Errorf("%s overrides %v; want %v", r["name"], got, want[r["name"].(string)])
		}
	}
}

func TestAssociationLinksTheWebACLToTheLoadBalancer(t *testing.T) {
	tpl := template(t)
	tpl.ResourceCountIs(t, association, 1)
	tpl.HasResourceProperties(t, association, map[string]any{
		"WebACLArn":   map[string]any{"Fn::GetAtt": []any{webACLID, "Arn"}},
		"ResourceArn": map[string]any{"Ref": "LoadBalancerBE9EEC3A"},
	})
}

func TestLogsGoToAnAWSWAFLogsGroupWithoutTheWildcardSuffix(t *testing.T) {
	tpl := template(t)
	tpl.HasResourceProperties(t, logging, map[string]any{
		"ResourceArn": map[string]any{"Fn::GetAtt": []any{webACLID, "Arn"}},
		"LogDestinationConfigs": []any{map[string]any{"Fn::Join": []any{"", []any{
			"arn:aws:logs:us-east-1:", map[string]any{"Ref": "AWS::AccountId"}, ":log-group:", map[string]any{"Ref": logGroupID},
		}}}},
	})
}

func TestLogGroupNameCarriesTheStackNameAndAHashOfThePath(t *testing.T) {
	sum := sha256.Sum256([]byte("Test/Firewall"))
	template(t).HasResourceProperties(t, logGroup, map[string]any{
		"LogGroupName": "aws-waf-logs-Test-" + hex.EncodeToString(sum[:])[:8],
	})
}

func TestLogGroupKeepsItsLogicalIDIsRetainedAndKeepsLogsOneYear(t *testing.T) {
	groups := template(t).Resources(logGroup)
	g, ok := groups[logGroupID]
	if !ok {
		t.Fatalf("no log group with logical ID %s (have %v): renaming a construct would replace the group", logGroupID, keys(groups))
	}
	if g["DeletionPolicy"] != "Retain" || g["UpdateReplacePolicy"] != "Retain" {
		t.Errorf("DeletionPolicy %v, UpdateReplacePolicy %v; want Retain", g["DeletionPolicy"], g["UpdateReplacePolicy"])
	}
	if r := g["Properties"].(map[string]any)["RetentionInDays"]; r != 365.0 {
		t.Errorf("RetentionInDays %v; want 365 (CloudWatch.16)", r)
	}
}

func TestWebACLKeepsItsLogicalID(t *testing.T) {
	if acls := template(t).Resources(webACL); acls[webACLID] == nil {
		t.Errorf("no web ACL with logical ID %s (have %v)", webACLID, keys(acls))
	}
}

func TestLogRetentionIsConfigurable(t *testing.T) {
	strictTemplate(t).HasResourceProperties(t, logGroup, map[string]any{"RetentionInDays": 731})
}

func TestLogsRedactAuthorizationAndCookieHeaders(t *testing.T) {
	template(t).HasResourceProperties(t, logging, map[string]any{
		"RedactedFields": []any{
			map[string]any{"SingleHeader": map[string]any{"Name": "authorization"}},
			map[string]any{"SingleHeader": map[string]any{"Name": "cookie"}},
		},
	})
}

func TestFirewallCanBeTaggedAndDependedOn(t *testing.T) {
	tpl := template(t)
	tpl.HasResourceProperties(t, webACL, map[string]any{
		"Tags": assertions.Match_ArrayWith(&[]any{map[string]any{"Key": "tierkit:block", "Value": "firewall"}}),
	})
	tpl.HasResource(t, "AWS::CloudFormation::WaitConditionHandle", map[string]any{
		"DependsOn": assertions.Match_ArrayWith(&[]any{webACLID}),
	})
}

func TestInvalidProps(t *testing.T) {
	lb := newLoadBalancer(awscdk.NewStack(nil, nil, nil))
	cases := []struct {
		name  string
		props firewall.Props
		want  string
	}{
		{"no load balancer", firewall.Props{}, "LoadBalancer: is required; allowed: the tier's Application Load Balancer"},
		{"rate limit too low", firewall.Props{LoadBalancer: lb, RateLimit: 5}, "RateLimit: 5 is out of range; allowed: 10 to 2000000000 requests per IP address in 5 minutes (0 for the default, 2000)"},
		{"rate limit too high", firewall.Props{LoadBalancer: lb, RateLimit: 3000000000}, "RateLimit: 3000000000 is out of range; allowed: 10 to 2000000000"},
		{"negative rate limit", firewall.Props{LoadBalancer: lb, RateLimit: -1}, "RateLimit: -1 is out of range"},
		{"unknown rule", firewall.Props{LoadBalancer: lb, CountOnlyRules: []string{"SizeRestrictions_BODY", "BodySize"}}, `CountOnlyRules[1]: "BodySize" is not a rule of AWSManagedRulesCommonRuleSet, AWSManagedRulesKnownBadInputsRuleSet, AWSManagedRulesSQLiRuleSet or AWSManagedRulesPHPRuleSet (WAF would ignore it silently); allowed: their rule names as AWS spells them`},
		{"label instead of rule name", firewall.Props{LoadBalancer: lb, CountOnlyRules: []string{"NoUserAgent_Header"}}, `CountOnlyRules[0]: "NoUserAgent_Header" is not a rule of AWSManagedRulesCommonRuleSet, AWSManagedRulesKnownBadInputsRuleSet, AWSManagedRulesSQLiRuleSet or AWSManagedRulesPHPRuleSet (WAF would ignore it silently); did you mean "NoUserAgent_HEADER"?`},
		{"rule twice", firewall.Props{LoadBalancer: lb, CountOnlyRules: []string{"PROPFIND_METHOD", "PROPFIND_METHOD"}}, `CountOnlyRules[1]: "PROPFIND_METHOD" is listed twice; allowed: each rule once`},
		{"infinite retention", firewall.Props{LoadBalancer: lb, LogRetention: awslogs.RetentionDays_INFINITE}, "LogRetention: INFINITE keeps logs forever; allowed: a finite awslogs.RetentionDays"},
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

func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	err := firewall.Props{RateLimit: 5, CountOnlyRules: []string{"x"}}.Validate()
	for _, field := range []string{"LoadBalancer:", "RateLimit:", "CountOnlyRules[0]:"} {
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("got %v, want it to name %s", err, field)
		}
	}
}

func TestValidPropsPass(t *testing.T) {
	lb := newLoadBalancer(awscdk.NewStack(nil, nil, nil))
	for _, p := range []firewall.Props{
		{LoadBalancer: lb},
		{LoadBalancer: lb, RateLimit: 10, CountOnlyRules: []string{}},
		{LoadBalancer: lb, RateLimit: 2000000000, CountOnlyRules: []string{"SizeRestrictions_BODY", "PROPFIND_METHOD"}, LogRetention: awslogs.RetentionDays_TEN_YEARS},
	} {
		if err := p.Validate(); err != nil {
			t.Errorf("%+v: %v", p, err)
		}
	}
}

func TestNewPanicsWithTheConstructIDOnInvalidProps(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(r.(string), "firewall Firewall: LoadBalancer: is required") {
			t.Errorf("got %v, want a panic naming the construct and the field", r)
		}
	}()
	firewall.New(awscdk.NewStack(nil, nil, nil), "Firewall", nil)
}

func keys(m map[string]map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
