package firewall

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/jsii-runtime-go"
)

// ScopedRules are managed rules that keep blocking everywhere except under
// some URI path prefixes, e.g. a file sync protocol's paths whose request
// bodies are file contents and whose paths are file names.
//
// This is the pattern AWS documents for scoping a managed rule: each rule is
// set to Count in its managed group (which still labels what it matches), a
// rule after the groups labels requests under ExceptPathPrefixes, and one
// rule per scoped rule blocks requests that carry the managed rule's label
// but not that path label.
type ScopedRules struct {
	// Name names the exception in the web ACL: the rule that labels the
	// excepted paths is "<Name>Paths", with the label "path-exception:<Name>",
	// and the rule that blocks a scoped rule elsewhere is "<Name>-<rule>".
	// These are also their CloudWatch metric names: renaming Name renames
	// them. Required: a letter, then up to 31 letters and digits.
	Name string

	// Rules are the managed rules that do not block under ExceptPathPrefixes,
	// named as AWS names them (e.g. RestrictedExtensions_URIPATH). Each rule
	// is one whose label AWS documents (see the firewall README); a rule is
	// scoped at most once, and not also in CountOnlyRules. Required.
	Rules []string

	// ExceptPathPrefixes are where Rules do not block: URI paths that start
	// with one of them, as the client sends them (case-sensitive, not
	// decoded), e.g. "/remote.php/dav/". A path that holds a ".." segment,
	// even percent-encoded, is never excepted: the web server resolves it,
	// so it could lead out of the prefix. Each starts and ends with "/", and
	// is at most 200 printable ASCII characters without spaces, "%" or "..".
	// Required.
	ExceptPathPrefixes []string
}

// Web ACL capacity, in WAF capacity units (WCU).
const (
	// maxCapacity is the capacity a web ACL's base price includes; above
	// it, WAF charges for every further 500 WCU.
	maxCapacity = 1500
	// baseCapacity is the rate-based rule (2) and the four managed groups
	// (700 + 200 + 200 + 100).
	baseCapacity = 1202
	// pathGuardCapacity is the ".." guard of a path rule: a CONTAINS string
	// match (10) with one text transformation (10).
	pathGuardCapacity = 20
	// prefixCapacity is one STARTS_WITH string match without transformation.
	prefixCapacity = 2
	// scopedRuleCapacity is a scoped rule's two label matches (1 each).
	scopedRuleCapacity = 2
)

// capacity returns the web ACL's WCU with scoped.
func capacity(scoped []ScopedRules) int {
	n := baseCapacity
	for _, s := range scoped {
		n += pathGuardCapacity + prefixCapacity*len(s.ExceptPathPrefixes) + scopedRuleCapacity*len(s.Rules)
	}
	return n
}

// labels are the labels AWS documents for the managed groups' rules (AWS
// WAF Developer Guide, "Baseline rule groups" and "Use-case specific rule
// groups"). Labels are case-sensitive and not derived from the rule names by
// any fixed transformation (UserAgent_BadBots_HEADER adds
// core-rule-set:BadBots_Header), so each is spelled out. Rules whose label
// the guide does not state (SQLiExtendedPatterns_HEADER,
// SQLiExtendedPatterns_URIPATH, PHPHighRiskMethodsVariables_URIPATH) cannot
// be scoped: a wrong label would never match, and the rule would silently
// stop blocking anywhere.
var labels = map[string]string{
	"NoUserAgent_HEADER":                  "awswaf:managed:aws:core-rule-set:NoUserAgent_Header",
	"UserAgent_BadBots_HEADER":            "awswaf:managed:aws:core-rule-set:BadBots_Header",
	"SizeRestrictions_QUERYSTRING":        "awswaf:managed:aws:core-rule-set:SizeRestrictions_QueryString",
	"SizeRestrictions_Cookie_HEADER":      "awswaf:managed:aws:core-rule-set:SizeRestrictions_Cookie_Header",
	"SizeRestrictions_BODY":               "awswaf:managed:aws:core-rule-set:SizeRestrictions_Body",
	"SizeRestrictions_URIPATH":            "awswaf:managed:aws:core-rule-set:SizeRestrictions_URIPath",
	"EC2MetaDataSSRF_BODY":                "awswaf:managed:aws:core-rule-set:EC2MetaDataSSRF_Body",
	"EC2MetaDataSSRF_COOKIE":              "awswaf:managed:aws:core-rule-set:EC2MetaDataSSRF_Cookie",
	"EC2MetaDataSSRF_URIPATH":             "awswaf:managed:aws:core-rule-set:EC2MetaDataSSRF_URIPath",
	"EC2MetaDataSSRF_QUERYARGUMENTS":      "awswaf:managed:aws:core-rule-set:EC2MetaDataSSRF_QueryArguments",
	"GenericLFI_QUERYARGUMENTS":           "awswaf:managed:aws:core-rule-set:GenericLFI_QueryArguments",
	"GenericLFI_URIPATH":                  "awswaf:managed:aws:core-rule-set:GenericLFI_URIPath",
	"GenericLFI_BODY":                     "awswaf:managed:aws:core-rule-set:GenericLFI_Body",
	"RestrictedExtensions_URIPATH":        "awswaf:managed:aws:core-rule-set:RestrictedExtensions_URIPath",
	"RestrictedExtensions_QUERYARGUMENTS": "awswaf:managed:aws:core-rule-set:RestrictedExtensions_QueryArguments",
	"GenericRFI_QUERYARGUMENTS":           "awswaf:managed:aws:core-rule-set:GenericRFI_QueryArguments",
	"GenericRFI_BODY":                     "awswaf:managed:aws:core-rule-set:GenericRFI_Body",
	"GenericRFI_URIPATH":                  "awswaf:managed:aws:core-rule-set:GenericRFI_URIPath",
	"CrossSiteScripting_COOKIE":           "awswaf:managed:aws:core-rule-set:CrossSiteScripting_Cookie",
	"CrossSiteScripting_QUERYARGUMENTS":   "awswaf:managed:aws:core-rule-set:CrossSiteScripting_QueryArguments",
	"CrossSiteScripting_BODY":             "awswaf:managed:aws:core-rule-set:CrossSiteScripting_Body",
	"CrossSiteScripting_URIPATH":          "awswaf:managed:aws:core-rule-set:CrossSiteScripting_URIPath",

	"JavaDeserializationRCE_HEADER":      "awswaf:managed:aws:known-bad-inputs:JavaDeserializationRCE_Header",
	"JavaDeserializationRCE_BODY":        "awswaf:managed:aws:known-bad-inputs:JavaDeserializationRCE_Body",
	"JavaDeserializationRCE_URIPATH":     "awswaf:managed:aws:known-bad-inputs:JavaDeserializationRCE_URIPath",
	"JavaDeserializationRCE_QUERYSTRING": "awswaf:managed:aws:known-bad-inputs:JavaDeserializationRCE_QueryString",
	"Host_localhost_HEADER":              "awswaf:managed:aws:known-bad-inputs:Host_Localhost_Header",
	"PROPFIND_METHOD":                    "awswaf:managed:aws:known-bad-inputs:Propfind_Method",
	"ExploitablePaths_URIPATH":           "awswaf:managed:aws:known-bad-inputs:ExploitablePaths_URIPath",
	"Log4JRCE_HEADER":                    "awswaf:managed:aws:known-bad-inputs:Log4JRCE_Header",
	"Log4JRCE_QUERYSTRING":               "awswaf:managed:aws:known-bad-inputs:Log4JRCE_QueryString",
	"Log4JRCE_BODY":                      "awswaf:managed:aws:known-bad-inputs:Log4JRCE_Body",
	"Log4JRCE_URIPATH":                   "awswaf:managed:aws:known-bad-inputs:Log4JRCE_URIPath",
	"ReactJSRCE_BODY":                    "awswaf:managed:aws:known-bad-inputs:ReactJSRCE_Body",

	"SQLi_QUERYARGUMENTS":                 "awswaf:managed:aws:sql-database:SQLi_QueryArguments",
	"SQLi_BODY":                           "awswaf:managed:aws:sql-database:SQLi_Body",
	"SQLi_COOKIE":                         "awswaf:managed:aws:sql-database:SQLi_Cookie",
	"SQLi_URIPATH":                        "awswaf:managed:aws:sql-database:SQLi_URIPath",
	"SQLiExtendedPatterns_QUERYARGUMENTS": "awswaf:managed:aws:sql-database:SQLiExtendedPatterns_QueryArguments",
	"SQLiExtendedPatterns_BODY":           "awswaf:managed:aws:sql-database:SQLiExtendedPatterns_Body",

	"PHPHighRiskMethodsVariables_HEADER":      "awswaf:managed:aws:php-app:PHPHighRiskMethodsVariables_Header",
	"PHPHighRiskMethodsVariables_QUERYSTRING": "awswaf:managed:aws:php-app:PHPHighRiskMethodsVariables_QueryString",
	"PHPHighRiskMethodsVariables_BODY":        "awswaf:managed:aws:php-app:PHPHighRiskMethodsVariables_Body",
}

var (
	scopedNamePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{0,31}$`)
	prefixPattern     = regexp.MustCompile(`^/[!-~]*$`)
)

// maxPrefixLength is the longest search string of a WAF string match.
const maxPrefixLength = 200

// validateScoped appends to problems what is wrong with p.ScopedRules.
func (p Props) validateScoped(problems []string) []string {
	names := map[string]bool{}
	scopedAt := map[string]string{}
	for i, s := range p.ScopedRules {
		at := fmt.Sprintf("ScopedRules[%d]", i)
		switch {
		case !scopedNamePattern.MatchString(s.Name):
			problems = append(problems, fmt.Sprintf("%s.Name: %q is not a name; allowed: a letter, then up to 31 letters and digits, e.g. WebDAV", at, s.Name))
		case names[s.Name]:
			problems = append(problems, fmt.Sprintf("%s.Name: %q is used twice; allowed: a name per entry", at, s.Name))
		}
		names[s.Name] = true
		if len(s.Rules) == 0 {
			problems = append(problems, at+".Rules: is empty; allowed: one or more rules of the managed groups whose label AWS documents")
		}
		for j, rule := range s.Rules {
			field := fmt.Sprintf("%s.Rules[%d]", at, j)
			switch {
			case groupOf(rule) == "":
				problems = append(problems, fmt.Sprintf("%s: %q is not a rule of AWSManagedRulesCommonRuleSet, AWSManagedRulesKnownBadInputsRuleSet, AWSManagedRulesSQLiRuleSet or AWSManagedRulesPHPRuleSet%s; allowed: their rule names as AWS spells them, e.g. RestrictedExtensions_URIPATH (listed in the firewall README)",
					field, rule, suggestion(rule)))
			case labels[rule] == "":
				problems = append(problems, fmt.Sprintf("%s: %q has no label in AWS's documentation, and a guessed label that never matches would stop the rule from blocking anywhere; allowed: a rule whose label AWS documents (listed in the firewall README)", field, rule))
			case scopedAt[rule] != "":
				problems = append(problems, fmt.Sprintf("%s: %q is scoped already by %s; allowed: each rule in one entry, once", field, rule, scopedAt[rule]))
			case slices.Contains(p.CountOnlyRules, rule):
				problems = append(problems, fmt.Sprintf("%s: %q is also in CountOnlyRules, which counts it everywhere; allowed: a rule either counted everywhere or scoped", field, rule))
			}
			if scopedAt[rule] == "" {
				scopedAt[rule] = field
			}
		}
		if len(s.ExceptPathPrefixes) == 0 {
			problems = append(problems, at+".ExceptPathPrefixes: is empty; allowed: one or more URI path prefixes, e.g. /remote.php/dav/")
		}
		for j, prefix := range s.ExceptPathPrefixes {
			field := fmt.Sprintf("%s.ExceptPathPrefixes[%d]", at, j)
			switch {
			case len(prefix) < 2 || len(prefix) > maxPrefixLength || !prefixPattern.MatchString(prefix) || !strings.HasSuffix(prefix, "/") ||
				strings.Contains(prefix, "%") || strings.Contains(prefix, ".."):
				problems = append(problems, fmt.Sprintf("%s: %q is not a path prefix; allowed: up to %d printable ASCII characters without spaces, %% or .., starting and ending with /, e.g. /remote.php/dav/ (/ alone would except every path)",
					field, prefix, maxPrefixLength))
			case slices.Index(s.ExceptPathPrefixes, prefix) < j:
				problems = append(problems, fmt.Sprintf("%s: %q is listed twice; allowed: each prefix once", field, prefix))
			}
		}
	}
	if n := capacity(p.ScopedRules); n > maxCapacity {
		problems = append(problems, fmt.Sprintf("ScopedRules: the web ACL would need %d WCU; allowed: at most %d, the capacity of its base price (each entry costs %d, plus %d a prefix and %d a rule)",
			n, maxCapacity, pathGuardCapacity, prefixCapacity, scopedRuleCapacity))
	}
	return problems
}

// scopedOverrides returns the rules of group that p.ScopedRules counts in the
// group, in the order they are scoped.
func (p Props) scopedOverrides(group string) []string {
	var rules []string
	for _, s := range p.ScopedRules {
		for _, rule := range s.Rules {
			if groupOf(rule) == group {
				rules = append(rules, rule)
			}
		}
	}
	return rules
}

// pathLabel is the label of the requests under the excepted paths of s, as
// rules of the web ACL match it (without the web ACL's namespace).
func (s ScopedRules) pathLabel() string { return "path-exception:" + s.Name }

// scopedRules returns the web ACL's rules for p.ScopedRules from priority
// on: per entry, the rule that labels its excepted paths, then one blocking
// rule per scoped rule.
func (p Props) scopedRules(priority int) []any {
	var rules []any
	for _, s := range p.ScopedRules {
		var prefixes []any
		for _, prefix := range s.ExceptPathPrefixes {
			prefixes = append(prefixes, &awswafv2.CfnWebACL_StatementProperty{ByteMatchStatement: uriPathMatch("STARTS_WITH", prefix, "NONE")})
		}
		under := &awswafv2.CfnWebACL_StatementProperty{OrStatement: &awswafv2.CfnWebACL_OrStatementProperty{Statements: &prefixes}}
		if len(prefixes) == 1 {
			under = prefixes[0].(*awswafv2.CfnWebACL_StatementProperty)
		}
		// Apache and nginx resolve "..", also percent-encoded, before they
		// route: /remote.php/dav/../../index.php is index.php.
		dotDot := &awswafv2.CfnWebACL_StatementProperty{ByteMatchStatement: uriPathMatch("CONTAINS", "/..", "URL_DECODE")}
		rules = append(rules, &awswafv2.CfnWebACL_RuleProperty{
			Name:     jsii.String(s.Name + "Paths"),
			Priority: jsii.Number(priority),
			// Count only labels the request; the rules below read the label.
			Action:     &awswafv2.CfnWebACL_RuleActionProperty{Count: map[string]any{}},
			RuleLabels: &[]any{&awswafv2.CfnWebACL_LabelProperty{Name: jsii.String(s.pathLabel())}},
			Statement: &awswafv2.CfnWebACL_StatementProperty{AndStatement: &awswafv2.CfnWebACL_AndStatementProperty{Statements: &[]any{
				under,
				&awswafv2.CfnWebACL_StatementProperty{NotStatement: &awswafv2.CfnWebACL_NotStatementProperty{Statement: dotDot}},
			}}},
			VisibilityConfig: visibility(s.Name + "Paths"),
		})
		priority++
		for _, rule := range s.Rules {
			name := s.Name + "-" + rule
			rules = append(rules, &awswafv2.CfnWebACL_RuleProperty{
				Name:     jsii.String(name),
				Priority: jsii.Number(priority),
				Action:   &awswafv2.CfnWebACL_RuleActionProperty{Block: map[string]any{}},
				Statement: &awswafv2.CfnWebACL_StatementProperty{AndStatement: &awswafv2.CfnWebACL_AndStatementProperty{Statements: &[]any{
					labelMatch(labels[rule]),
					&awswafv2.CfnWebACL_StatementProperty{NotStatement: &awswafv2.CfnWebACL_NotStatementProperty{Statement: labelMatch(s.pathLabel())}},
				}}},
				VisibilityConfig: visibility(name),
			})
			priority++
		}
	}
	return rules
}

// uriPathMatch is a string match on the URI path with one text transformation.
func uriPathMatch(constraint, search, transformation string) *awswafv2.CfnWebACL_ByteMatchStatementProperty {
	return &awswafv2.CfnWebACL_ByteMatchStatementProperty{
		FieldToMatch:         &awswafv2.CfnWebACL_FieldToMatchProperty{UriPath: map[string]any{}},
		PositionalConstraint: jsii.String(constraint),
		SearchString:         jsii.String(search),
		TextTransformations: &[]any{&awswafv2.CfnWebACL_TextTransformationProperty{
			Priority: jsii.Number(0), Type: jsii.String(transformation),
		}},
	}
}

// labelMatch matches requests that carry label.
func labelMatch(label string) *awswafv2.CfnWebACL_StatementProperty {
	return &awswafv2.CfnWebACL_StatementProperty{LabelMatchStatement: &awswafv2.CfnWebACL_LabelMatchStatementProperty{
		Scope: jsii.String("LABEL"), Key: jsii.String(label),
	}}
}
