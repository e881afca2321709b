package cdktest

import (
	"cmp"
	"encoding/base64"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// A small model of how AWS WAF evaluates a web ACL, for tests that send
// requests through a synthesized AWS::WAFv2::WebACL: the statements the
// tiers emit (managed rule groups with rule action overrides, label match,
// string match on the URI path, and, or, not) and the web ACL's capacity.
// Anything else fails the test rather than being guessed.

// WAFRequest is a web request as a web ACL's rules see it.
type WAFRequest struct {
	// Method is the HTTP method, e.g. "PUT".
	Method string
	// Path is the URI path as the client sends it (percent-encoded).
	Path string
	// Trips are the AWS managed rules whose inspection matches the request,
	// e.g. RestrictedExtensions_URIPATH for a path ending in ".log": what
	// AWS's rule would detect, which the model cannot compute.
	Trips []string
}

// WAFDecision is what a web ACL does with a request.
type WAFDecision struct {
	// Action is "ALLOW" or "BLOCK".
	Action string
	// Rule is the terminating rule's name, "" for the default action.
	Rule string
	// Labels are the labels the request carries at the end.
	Labels []string
}

// managedRule is a rule of an AWS managed rule group as AWS documents it.
type managedRule struct{ group, label string }

// managedRules are the AWS managed rule groups' rules and the labels AWS
// documents for them (AWS WAF Developer Guide, "Baseline rule groups" and
// "Use-case specific rule groups"), in each group's order. This is the
// model's own copy, kept apart from constructs/firewall's so that a wrong
// label there fails the tests that use it.
var managedRules = func() map[string]managedRule {
	m := map[string]managedRule{}
	add := func(group, namespace string, pairs ...string) {
		for i := 0; i < len(pairs); i += 2 {
			m[pairs[i]] = managedRule{group, "awswaf:managed:aws:" + namespace + ":" + pairs[i+1]}
		}
	}
	add("AWSManagedRulesCommonRuleSet", "core-rule-set",
		"NoUserAgent_HEADER", "NoUserAgent_Header", "UserAgent_BadBots_HEADER", "BadBots_Header",
		"SizeRestrictions_QUERYSTRING", "SizeRestrictions_QueryString", "SizeRestrictions_Cookie_HEADER", "SizeRestrictions_Cookie_Header",
		"SizeRestrictions_BODY", "SizeRestrictions_Body", "SizeRestrictions_URIPATH", "SizeRestrictions_URIPath",
		"EC2MetaDataSSRF_BODY", "EC2MetaDataSSRF_Body", "EC2MetaDataSSRF_COOKIE", "EC2MetaDataSSRF_Cookie",
		"EC2MetaDataSSRF_URIPATH", "EC2MetaDataSSRF_URIPath", "EC2MetaDataSSRF_QUERYARGUMENTS", "EC2MetaDataSSRF_QueryArguments",
		"GenericLFI_QUERYARGUMENTS", "GenericLFI_QueryArguments", "GenericLFI_URIPATH", "GenericLFI_URIPath", "GenericLFI_BODY", "GenericLFI_Body",
		"RestrictedExtensions_URIPATH", "RestrictedExtensions_URIPath", "RestrictedExtensions_QUERYARGUMENTS", "RestrictedExtensions_QueryArguments",
		"GenericRFI_QUERYARGUMENTS", "GenericRFI_QueryArguments", "GenericRFI_BODY", "GenericRFI_Body", "GenericRFI_URIPATH", "GenericRFI_URIPath",
		"CrossSiteScripting_COOKIE", "CrossSiteScripting_Cookie", "CrossSiteScripting_QUERYARGUMENTS", "CrossSiteScripting_QueryArguments",
		"CrossSiteScripting_BODY", "CrossSiteScripting_Body", "CrossSiteScripting_URIPATH", "CrossSiteScripting_URIPath")
	add("AWSManagedRulesKnownBadInputsRuleSet", "known-bad-inputs",
		"JavaDeserializationRCE_HEADER", "JavaDeserializationRCE_Header", "JavaDeserializationRCE_BODY", "JavaDeserializationRCE_Body",
		"JavaDeserializationRCE_URIPATH", "JavaDeserializationRCE_URIPath", "JavaDeserializationRCE_QUERYSTRING", "JavaDeserializationRCE_QueryString",
		"Host_localhost_HEADER", "Host_Localhost_Header", "PROPFIND_METHOD", "Propfind_Method", "ExploitablePaths_URIPATH", "ExploitablePaths_URIPath",
		"Log4JRCE_HEADER", "Log4JRCE_Header", "Log4JRCE_QUERYSTRING", "Log4JRCE_QueryString", "Log4JRCE_BODY", "Log4JRCE_Body",
		"Log4JRCE_URIPATH", "Log4JRCE_URIPath", "ReactJSRCE_BODY", "ReactJSRCE_Body")
	add("AWSManagedRulesSQLiRuleSet", "sql-database",
		"SQLi_QUERYARGUMENTS", "SQLi_QueryArguments", "SQLiExtendedPatterns_QUERYARGUMENTS", "SQLiExtendedPatterns_QueryArguments",
		"SQLi_BODY", "SQLi_Body", "SQLiExtendedPatterns_BODY", "SQLiExtendedPatterns_Body", "SQLi_COOKIE", "SQLi_Cookie", "SQLi_URIPATH", "SQLi_URIPath")
	add("AWSManagedRulesPHPRuleSet", "php-app",
		"PHPHighRiskMethodsVariables_HEADER", "PHPHighRiskMethodsVariables_Header",
		"PHPHighRiskMethodsVariables_QUERYSTRING", "PHPHighRiskMethodsVariables_QueryString",
		"PHPHighRiskMethodsVariables_BODY", "PHPHighRiskMethodsVariables_Body")
	return m
}()

// managedCapacity is the WCU AWS documents for each managed rule group.
var managedCapacity = map[string]int{
	"AWSManagedRulesCommonRuleSet":         700,
	"AWSManagedRulesKnownBadInputsRuleSet": 200,
	"AWSManagedRulesSQLiRuleSet":           200,
	"AWSManagedRulesPHPRuleSet":            100,
}

// ManagedRuleLabel returns the label AWS documents for a managed rule, or ""
// when the model does not know the rule.
func ManagedRuleLabel(rule string) string { return managedRules[rule].label }

// WebACL returns the properties of the only web ACL of tpl.
func WebACL(tb testing.TB, tpl *Template) map[string]any {
	tb.Helper()
	acls := tpl.Resources("AWS::WAFv2::WebACL")
	if len(acls) != 1 {
		tb.Fatalf("%d web ACLs; want 1", len(acls))
	}
	for _, acl := range acls {
		return acl["Properties"].(map[string]any)
	}
	return nil
}

// wafAccount and the web ACL's name make the namespace of the labels the web
// ACL's own rules add.
const wafAccount = "111122223333"

// EvaluateWebACL returns what the web ACL with properties acl does with req.
func EvaluateWebACL(tb testing.TB, acl map[string]any, req WAFRequest) WAFDecision {
	tb.Helper()
	for _, rule := range req.Trips {
		if _, ok := managedRules[rule]; !ok {
			tb.Fatalf("request trips %q, which is no managed rule the model knows", rule)
		}
	}
	name, _ := acl["Name"].(string)
	e := evaluation{tb: tb, req: req, namespace: "awswaf:" + wafAccount + ":webacl:" + cmp.Or(name, "acl") + ":"}
	for _, r := range sortedRules(tb, acl) {
		if d, done := e.rule(r); done {
			d.Labels = e.labels
			return d
		}
	}
	action := "ALLOW"
	if _, ok := mapOf(acl["DefaultAction"])["Block"]; ok {
		action = "BLOCK"
	}
	return WAFDecision{Action: action, Labels: e.labels}
}

// WebACLCapacity returns the web ACL's capacity in WCU, from AWS's
// documented costs: managed groups as documented, a rate-based rule 2, a
// label match 1, a string match 2 (exactly, starts with, ends with) or 10
// (contains) plus 10 a text transformation, and, or, not the sum of theirs.
func WebACLCapacity(tb testing.TB, acl map[string]any) int {
	tb.Helper()
	n := 0
	for _, r := range sortedRules(tb, acl) {
		n += statementCapacity(tb, mapOf(r["Statement"]))
	}
	return n
}

func statementCapacity(tb testing.TB, s map[string]any) int {
	tb.Helper()
	kind, body := only(tb, s)
	switch kind {
	case "ManagedRuleGroupStatement":
		n, ok := managedCapacity[body["Name"].(string)]
		if !ok || body["ScopeDownStatement"] != nil {
			tb.Fatalf("no capacity known for %s", JSON(body))
		}
		return n
	case "RateBasedStatement":
		if body["ScopeDownStatement"] != nil || body["AggregateKeyType"] != "IP" {
			tb.Fatalf("no capacity known for %s", JSON(body))
		}
		return 2
	case "LabelMatchStatement":
		return 1
	case "ByteMatchStatement":
		n := 2
		if c := body["PositionalConstraint"]; c == "CONTAINS" || c == "CONTAINS_WORD" {
			n = 10
		}
		for _, t := range transformations(body) {
			if t != "NONE" {
				n += 10
			}
		}
		return n
	case "AndStatement", "OrStatement":
		n := 0
		for _, sub := range body["Statements"].([]any) {
			n += statementCapacity(tb, mapOf(sub))
		}
		return n
	case "NotStatement":
		return statementCapacity(tb, mapOf(body["Statement"]))
	}
	tb.Fatalf("no capacity known for %s", kind)
	return 0
}

type evaluation struct {
	tb        testing.TB
	req       WAFRequest
	namespace string
	labels    []string
}

func (e *evaluation) label(l string) {
	if !slices.Contains(e.labels, l) {
		e.labels = append(e.labels, l)
	}
}

// rule evaluates one rule of the web ACL; done reports a terminating action.
func (e *evaluation) rule(r map[string]any) (d WAFDecision, done bool) {
	e.tb.Helper()
	name := r["Name"].(string)
	statement := mapOf(r["Statement"])
	if group, ok := statement["ManagedRuleGroupStatement"]; ok {
		return e.group(name, mapOf(group), mapOf(r["OverrideAction"]))
	}
	if !e.matches(statement) {
		return WAFDecision{}, false
	}
	for _, l := range sliceOf(r["RuleLabels"]) {
		e.label(e.namespace + mapOf(l)["Name"].(string))
	}
	action, _ := only(e.tb, mapOf(r["Action"]))
	switch action {
	case "Block":
		return WAFDecision{Action: "BLOCK", Rule: name}, true
	case "Allow":
		return WAFDecision{Action: "ALLOW", Rule: name}, true
	case "Count":
		return WAFDecision{}, false
	}
	e.tb.Fatalf("rule %s: action %s is not modelled", name, action)
	return WAFDecision{}, false
}

// group evaluates a managed rule group: each rule the request trips adds its
// label, and the first whose action (after overrides) is Block blocks,
// unless the group's override action is Count.
func (e *evaluation) group(name string, g, override map[string]any) (WAFDecision, bool) {
	e.tb.Helper()
	if g["VendorName"] != "AWS" || managedCapacity[g["Name"].(string)] == 0 || g["ScopeDownStatement"] != nil || g["Version"] != nil {
		e.tb.Fatalf("rule %s: managed group %s is not modelled", name, JSON(g))
	}
	actions := map[string]string{}
	for _, o := range sliceOf(g["RuleActionOverrides"]) {
		o := mapOf(o)
		actions[o["Name"].(string)], _ = only(e.tb, mapOf(o["ActionToUse"]))
	}
	countAll := false
	if kind, _ := only(e.tb, override); kind == "Count" {
		countAll = true
	} else if kind != "None" {
		e.tb.Fatalf("rule %s: override action %s is not modelled", name, kind)
	}
	for _, rule := range e.req.Trips {
		if managedRules[rule].group != g["Name"] {
			continue
		}
		e.label(managedRules[rule].label)
		switch action := cmp.Or(actions[rule], "Block"); {
		case action == "Count":
		case action == "Block" && !countAll:
			return WAFDecision{Action: "BLOCK", Rule: name}, true
		case action != "Block":
			e.tb.Fatalf("rule %s: action %s for %s is not modelled", name, action, rule)
		}
	}
	return WAFDecision{}, false
}

func (e *evaluation) matches(s map[string]any) bool {
	e.tb.Helper()
	kind, body := only(e.tb, s)
	switch kind {
	case "AndStatement":
		for _, sub := range body["Statements"].([]any) {
			if !e.matches(mapOf(sub)) {
				return false
			}
		}
		return true
	case "OrStatement":
		for _, sub := range body["Statements"].([]any) {
			if e.matches(mapOf(sub)) {
				return true
			}
		}
		return false
	case "NotStatement":
		return !e.matches(mapOf(body["Statement"]))
	case "RateBasedStatement":
		return false // one request never reaches a rate limit
	case "LabelMatchStatement":
		key := body["Key"].(string)
		if !strings.HasPrefix(key, "awswaf:") {
			key = e.namespace + key // same context as the rule
		}
		for _, l := range e.labels {
			switch body["Scope"] {
			case "LABEL":
				if l == key {
					return true
				}
			case "NAMESPACE":
				if strings.HasPrefix(l, strings.TrimSuffix(key, ":")+":") {
					return true
				}
			default:
				e.tb.Fatalf("label match scope %v is not modelled", body["Scope"])
			}
		}
		return false
	case "ByteMatchStatement":
		return e.byteMatch(body)
	}
	e.tb.Fatalf("statement %s is not modelled", kind)
	return false
}

func (e *evaluation) byteMatch(b map[string]any) bool {
	e.tb.Helper()
	if field, _ := only(e.tb, mapOf(b["FieldToMatch"])); field != "UriPath" {
		e.tb.Fatalf("string match on %s is not modelled", field)
	}
	value := e.req.Path
	for _, t := range transformations(b) {
		switch t {
		case "NONE":
		case "URL_DECODE":
			value = urlDecode(value)
		case "LOWERCASE":
			value = strings.ToLower(value)
		default:
			e.tb.Fatalf("text transformation %s is not modelled", t)
		}
	}
	search, ok := b["SearchString"].(string)
	if !ok {
		raw, err := base64.StdEncoding.DecodeString(b["SearchStringBase64"].(string))
		if err != nil {
			e.tb.Fatalf("SearchStringBase64: %v", err)
		}
		search = string(raw)
	}
	switch b["PositionalConstraint"] {
	case "EXACTLY":
		return value == search
	case "STARTS_WITH":
		return strings.HasPrefix(value, search)
	case "ENDS_WITH":
		return strings.HasSuffix(value, search)
	case "CONTAINS":
		return strings.Contains(value, search)
	}
	e.tb.Fatalf("positional constraint %v is not modelled", b["PositionalConstraint"])
	return false
}

// urlDecode decodes %XX sequences and leaves anything else, as WAF's
// URL_DECODE does with malformed input.
func urlDecode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// transformations returns a string match's text transformations in order.
func transformations(b map[string]any) []string {
	list := sliceOf(b["TextTransformations"])
	sort.SliceStable(list, func(i, j int) bool {
		return mapOf(list[i])["Priority"].(float64) < mapOf(list[j])["Priority"].(float64)
	})
	var types []string
	for _, t := range list {
		types = append(types, mapOf(t)["Type"].(string))
	}
	return types
}

// sortedRules returns the web ACL's rules in priority order.
func sortedRules(tb testing.TB, acl map[string]any) []map[string]any {
	tb.Helper()
	var rules []map[string]any
	for _, r := range sliceOf(acl["Rules"]) {
		rules = append(rules, mapOf(r))
	}
	sort.SliceStable(rules, func(i, j int) bool { return rules[i]["Priority"].(float64) < rules[j]["Priority"].(float64) })
	return rules
}

// only returns the one key of m and its value as a map.
func only(tb testing.TB, m map[string]any) (string, map[string]any) {
	tb.Helper()
	if len(m) != 1 {
		tb.Fatalf("want exactly one key in %s", JSON(m))
	}
	for k, v := range m {
		return k, mapOf(v)
	}
	return "", nil
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func sliceOf(v any) []any {
	s, _ := v.([]any)
	return slices.Clone(s)
}
