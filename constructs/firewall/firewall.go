// Package firewall is the web application firewall block of a web tier: an
// AWS WAF web ACL in front of the tier's Application Load Balancer. A PHP app
// on several servers is reached only through that load balancer, so one ACL
// there filters every request before any server sees it: a per-IP rate limit
// and the AWS managed rule groups for common exploits, known bad inputs, SQL
// injection and PHP, with its decisions logged to CloudWatch Logs. Rules an
// application's own protocol trips (WebDAV's file names and contents) can be
// scoped away from its paths and keep blocking on every other (ScopedRules).
package firewall

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/internal/check"
)

// Props configures a Firewall.
type Props struct {
	// LoadBalancer is the Application Load Balancer the web ACL protects. Required.
	LoadBalancer awselasticloadbalancingv2.IApplicationLoadBalancer

	// RateLimit is how many requests one IP address may send in 5 minutes
	// before the rate-based rule blocks it.
	//
	// Default: 2000; allowed 10 to 2000000000 (AWS's bounds).
	RateLimit int

	// CountOnlyRules are rules of the AWS managed rule groups that only count
	// instead of blocking, named as AWS names them (e.g. SizeRestrictions_BODY,
	// PROPFIND_METHOD); each becomes an override on the group that holds it.
	// Names that no group holds are refused: WAF would silently ignore them.
	//
	// Default: ["SizeRestrictions_BODY"]: the common rule set blocks request
	// bodies over 8 KB, which is every file upload to a Laravel API or to
	// Nextcloud. A non-nil empty slice blocks with every rule.
	CountOnlyRules []string

	// ScopedRules are managed rules that block everywhere except under some
	// URI path prefixes (see ScopedRules): an application's own protocol
	// paths, such as WebDAV's, whose requests trip rules meant for others.
	//
	// Default: none, every rule applies to every path.
	ScopedRules []ScopedRules

	// LogRetention is how long the WAF logs are kept, a finite
	// awslogs.RetentionDays.
	//
	// Default: awslogs.RetentionDays_ONE_YEAR.
	LogRetention awslogs.RetentionDays
}

// Rate limit bounds of a WAF rate-based rule.
const (
	minRateLimit     = 10
	maxRateLimit     = 2_000_000_000
	defaultRateLimit = 2000
)

// managedGroup is an AWS managed rule group the web ACL uses, with the names
// of its rules (AWS's "latest static version" documentation), so that
// CountOnlyRules lands on the right group and typos are caught at synth.
type managedGroup struct {
	name  string
	rules []string
}

// managedGroups are the web ACL's managed rule groups in priority order,
// after the rate-based rule.
var managedGroups = []managedGroup{
	{"AWSManagedRulesCommonRuleSet", []string{
		"NoUserAgent_HEADER", "UserAgent_BadBots_HEADER",
		"SizeRestrictions_QUERYSTRING", "SizeRestrictions_Cookie_HEADER", "SizeRestrictions_BODY", "SizeRestrictions_URIPATH",
		"EC2MetaDataSSRF_BODY", "EC2MetaDataSSRF_COOKIE", "EC2MetaDataSSRF_URIPATH", "EC2MetaDataSSRF_QUERYARGUMENTS",
		"GenericLFI_QUERYARGUMENTS", "GenericLFI_URIPATH", "GenericLFI_BODY",
		"RestrictedExtensions_URIPATH", "RestrictedExtensions_QUERYARGUMENTS",
		"GenericRFI_QUERYARGUMENTS", "GenericRFI_BODY", "GenericRFI_URIPATH",
		"CrossSiteScripting_COOKIE", "CrossSiteScripting_QUERYARGUMENTS", "CrossSiteScripting_BODY", "CrossSiteScripting_URIPATH",
	}},
	{"AWSManagedRulesKnownBadInputsRuleSet", []string{
		"JavaDeserializationRCE_HEADER", "JavaDeserializationRCE_BODY", "JavaDeserializationRCE_URIPATH", "JavaDeserializationRCE_QUERYSTRING",
		"Host_localhost_HEADER", "PROPFIND_METHOD", "ExploitablePaths_URIPATH",
		"Log4JRCE_HEADER", "Log4JRCE_QUERYSTRING", "Log4JRCE_BODY", "Log4JRCE_URIPATH", "ReactJSRCE_BODY",
	}},
	{"AWSManagedRulesSQLiRuleSet", []string{
		"SQLi_QUERYARGUMENTS", "SQLi_BODY", "SQLi_COOKIE", "SQLi_URIPATH",
		"SQLiExtendedPatterns_QUERYARGUMENTS", "SQLiExtendedPatterns_BODY", "SQLiExtendedPatterns_HEADER", "SQLiExtendedPatterns_URIPATH",
	}},
	{"AWSManagedRulesPHPRuleSet", []string{
		"PHPHighRiskMethodsVariables_HEADER", "PHPHighRiskMethodsVariables_QUERYSTRING",
		"PHPHighRiskMethodsVariables_BODY", "PHPHighRiskMethodsVariables_URIPATH",
	}},
}

// groupOf returns the managed group that holds rule, or "".
func groupOf(rule string) string {
	for _, g := range managedGroups {
		if slices.Contains(g.rules, rule) {
			return g.name
		}
	}
	return ""
}

// Validate reports what is wrong with p, naming the field and what is allowed.
func (p Props) Validate() error {
	var problems []string
	if p.LoadBalancer == nil {
		problems = append(problems, "LoadBalancer: is required; allowed: the tier's Application Load Balancer (an awselasticloadbalancingv2.IApplicationLoadBalancer)")
	}
	if p.RateLimit != 0 && (p.RateLimit < minRateLimit || p.RateLimit > maxRateLimit) {
		problems = append(problems, fmt.Sprintf("RateLimit: %d is out of range; allowed: %d to %d requests per IP address in 5 minutes (0 for the default, %d)",
			p.RateLimit, minRateLimit, maxRateLimit, defaultRateLimit))
	}
	seen := map[string]bool{}
	for i, rule := range p.CountOnlyRules {
		switch {
		case groupOf(rule) == "":
			problems = append(problems, fmt.Sprintf("CountOnlyRules[%d]: %q is not a rule of AWSManagedRulesCommonRuleSet, AWSManagedRulesKnownBadInputsRuleSet, AWSManagedRulesSQLiRuleSet or AWSManagedRulesPHPRuleSet (WAF would ignore it silently)%s; allowed: their rule names as AWS spells them, e.g. SizeRestrictions_BODY (listed in the firewall README)",
				i, rule, suggestion(rule)))
		case seen[rule]:
			problems = append(problems, fmt.Sprintf("CountOnlyRules[%d]: %q is listed twice; allowed: each rule once", i, rule))
		}
		seen[rule] = true
	}
	problems = p.validateScoped(problems)
	if problem := check.Retention("LogRetention", p.LogRetention); problem != "" {
		problems = append(problems, problem)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// suggestion returns a hint naming the rule that differs from name only in
// case: WAF's labels (NoUserAgent_Header) and rule names (NoUserAgent_HEADER)
// are easy to mix up.
func suggestion(name string) string {
	for _, g := range managedGroups {
		for _, r := range g.rules {
			if strings.EqualFold(r, name) {
				return fmt.Sprintf("; did you mean %q?", r)
			}
		}
	}
	return ""
}

// Firewall is a regional WAF web ACL associated with a load balancer, with its
// logs in a retained CloudWatch log group.
type Firewall struct {
	constructs.Construct
	acl         awswafv2.CfnWebACL
	association awswafv2.CfnWebACLAssociation
	logGroup    awslogs.LogGroup
	logging     awswafv2.CfnLoggingConfiguration
}

// WebACL returns the web ACL, for its ARN, metrics and escape hatches.
func (f *Firewall) WebACL() awswafv2.CfnWebACL { return f.acl }

// Association returns the association of the web ACL with the load balancer.
func (f *Firewall) Association() awswafv2.CfnWebACLAssociation { return f.association }

// LogGroup returns the log group that receives the web ACL's logs.
func (f *Firewall) LogGroup() awslogs.LogGroup { return f.logGroup }

// Logging returns the web ACL's logging configuration.
func (f *Firewall) Logging() awswafv2.CfnLoggingConfiguration { return f.logging }

// New creates the web ACL, associates it with props.LoadBalancer and logs it.
// It panics, naming id, when props are invalid.
func New(scope constructs.Construct, id string, props *Props) *Firewall {
	p := Props{}
	if props != nil {
		p = *props
	}
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("firewall %s: %v", id, err))
	}
	if p.RateLimit == 0 {
		p.RateLimit = defaultRateLimit
	}
	if p.CountOnlyRules == nil {
		p.CountOnlyRules = []string{"SizeRestrictions_BODY"}
	}
	if p.LogRetention == "" {
		p.LogRetention = awslogs.RetentionDays_ONE_YEAR
	}

	f := &Firewall{}
	constructs.NewConstruct_Override(f, scope, jsii.String(id))
	// WAF names the web ACL's CloudWatch metrics by the ACL's metric name, and
	// CloudWatch Logs destinations must be named "aws-waf-logs-...": both get
	// the stack's name (unique in its account and region) and a hash of this
	// construct's path (unique in the stack), so tiers never share either.
	base := *awscdk.Stack_Of(f).StackName() + "-" + shortHash(*f.Node().Path())

	rules := []any{&awswafv2.CfnWebACL_RuleProperty{
		Name:     jsii.String("RateLimit"),
		Priority: jsii.Number(0),
		Action:   &awswafv2.CfnWebACL_RuleActionProperty{Block: map[string]any{}},
		Statement: &awswafv2.CfnWebACL_StatementProperty{RateBasedStatement: &awswafv2.CfnWebACL_RateBasedStatementProperty{
			AggregateKeyType:    jsii.String("IP"),
			Limit:               jsii.Number(p.RateLimit),
			EvaluationWindowSec: jsii.Number(300),
		}},
		VisibilityConfig: visibility("RateLimit"),
	}}
	for i, g := range managedGroups {
		var overrides []any
		counted := slices.DeleteFunc(slices.Clone(p.CountOnlyRules), func(rule string) bool { return groupOf(rule) != g.name })
		// Scoped rules count in the group, which still labels what they
		// match; the scoped rules after the groups block on that label.
		for _, rule := range append(counted, p.scopedOverrides(g.name)...) {
			overrides = append(overrides, &awswafv2.CfnWebACL_RuleActionOverrideProperty{
				Name:        jsii.String(rule),
				ActionToUse: &awswafv2.CfnWebACL_RuleActionProperty{Count: map[string]any{}},
			})
		}
		statement := &awswafv2.CfnWebACL_ManagedRuleGroupStatementProperty{VendorName: jsii.String("AWS"), Name: jsii.String(g.name)}
		if len(overrides) > 0 {
			statement.RuleActionOverrides = &overrides
		}
		rules = append(rules, &awswafv2.CfnWebACL_RuleProperty{
			Name:     jsii.String(g.name),
			Priority: jsii.Number(i + 1),
			// None keeps the group's own actions (block), apart from the overrides.
			OverrideAction:   &awswafv2.CfnWebACL_OverrideActionProperty{None: map[string]any{}},
			Statement:        &awswafv2.CfnWebACL_StatementProperty{ManagedRuleGroupStatement: statement},
			VisibilityConfig: visibility(g.name),
		})
	}
	rules = append(rules, p.scopedRules(len(rules))...)

	// "WebACL" is part of the logical ID: renaming it replaces the web ACL.
	f.acl = awswafv2.NewCfnWebACL(f, jsii.String("WebACL"), &awswafv2.CfnWebACLProps{
		Scope:            jsii.String("REGIONAL"),
		DefaultAction:    &awswafv2.CfnWebACL_DefaultActionProperty{Allow: map[string]any{}},
		VisibilityConfig: visibility(base),
		Rules:            &rules,
	})
	f.association = awswafv2.NewCfnWebACLAssociation(f, jsii.String("Association"), &awswafv2.CfnWebACLAssociationProps{
		WebAclArn:   f.acl.AttrArn(),
		ResourceArn: p.LoadBalancer.LoadBalancerArn(),
	})

	// "Logs" is part of the log group's logical ID: renaming it replaces the
	// group; the old one is retained, with its logs.
	f.logGroup = awslogs.NewLogGroup(f, jsii.String("Logs"), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String("aws-waf-logs-" + base),
		Retention:     p.LogRetention,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	// WAF documents the destination as the group's ARN without the ":*" that
	// LogGroup.LogGroupArn ends with; the Ref also orders it after the group.
	destination := awscdk.Stack_Of(f).FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("logs"),
		Resource:     jsii.String("log-group"),
		ResourceName: f.logGroup.LogGroupName(),
		ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
	f.logging = awswafv2.NewCfnLoggingConfiguration(f, jsii.String("Logging"), &awswafv2.CfnLoggingConfigurationProps{
		ResourceArn:           f.acl.AttrArn(),
		LogDestinationConfigs: &[]any{destination},
		// Bearer tokens and session cookies must never land in logs.
		// SingleHeader is plain JSON to CDK, which would render the typed
		// SingleHeaderProperty with a lower-case "name" that CloudFormation refuses.
		RedactedFields: &[]any{
			&awswafv2.CfnLoggingConfiguration_FieldToMatchProperty{SingleHeader: map[string]any{"Name": "authorization"}},
			&awswafv2.CfnLoggingConfiguration_FieldToMatchProperty{SingleHeader: map[string]any{"Name": "cookie"}},
		},
	})
	return f
}

// visibility turns on CloudWatch metrics and sampled requests under name.
func visibility(name string) *awswafv2.CfnWebACL_VisibilityConfigProperty {
	return &awswafv2.CfnWebACL_VisibilityConfigProperty{
		CloudWatchMetricsEnabled: jsii.Bool(true),
		SampledRequestsEnabled:   jsii.Bool(true),
		MetricName:               jsii.String(name),
	}
}

// shortHash is 8 hex digits of s's SHA-256: enough to tell apart the
// firewalls of one stack, short enough for names with length limits.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:8]
}
