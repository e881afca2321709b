package cdktest

import (
	"encoding/json"
	"strings"
	"testing"
)

// acl is a web ACL in template form: a managed group that counts one rule,
// a rule that labels /files/ paths unless they hold "..", and a rule that
// blocks the counted rule's label elsewhere.
const acl = `{
  "DefaultAction": {"Allow": {}},
  "Rules": [
    {"Name": "Block", "Priority": 2, "Action": {"Block": {}}, "Statement": {"AndStatement": {"Statements": [
      {"LabelMatchStatement": {"Scope": "LABEL", "Key": "awswaf:managed:aws:core-rule-set:RestrictedExtensions_URIPath"}},
      {"NotStatement": {"Statement": {"LabelMatchStatement": {"Scope": "NAMESPACE", "Key": "files:"}}}}]}}},
    {"Name": "Paths", "Priority": 1, "Action": {"Count": {}}, "RuleLabels": [{"Name": "files:path"}], "Statement": {"AndStatement": {"Statements": [
      {"OrStatement": {"Statements": [
        {"ByteMatchStatement": {"FieldToMatch": {"UriPath": {}}, "PositionalConstraint": "STARTS_WITH", "SearchString": "/files/", "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}},
        {"ByteMatchStatement": {"FieldToMatch": {"UriPath": {}}, "PositionalConstraint": "EXACTLY", "SearchStringBase64": "L0ZJTEVT", "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}]}}]}},
      {"NotStatement": {"Statement": {"ByteMatchStatement": {"FieldToMatch": {"UriPath": {}}, "PositionalConstraint": "CONTAINS", "SearchString": "/..", "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"}]}}}}]}}},
    {"Name": "Core", "Priority": 0, "OverrideAction": {"None": {}}, "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet",
      "RuleActionOverrides": [{"Name": "RestrictedExtensions_URIPATH", "ActionToUse": {"Count": {}}}]}}}
  ]
}`

func parse(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestEvaluateWebACLRunsTheRulesInPriorityOrder(t *testing.T) {
	a := parse(t, acl)
	for _, c := range []struct {
		path  string
		trips []string
		want  string
	}{
		{"/files/a.log", []string{"RestrictedExtensions_URIPATH"}, "ALLOW"}, // counted, labelled, excepted
		{"/index/a.log", []string{"RestrictedExtensions_URIPATH"}, "BLOCK Block"},
		{"/FILES", []string{"RestrictedExtensions_URIPATH"}, "BLOCK Block"}, // LOWERCASE: /files is not /FILES
		{"/files/%2e%2e/a.log", []string{"RestrictedExtensions_URIPATH"}, "BLOCK Block"},
		{"/files/a.log", []string{"NoUserAgent_HEADER"}, "BLOCK Core"}, // not overridden
		{"/index/a.txt", nil, "ALLOW"},
	} {
		d := EvaluateWebACL(t, a, WAFRequest{Method: "GET", Path: c.path, Trips: c.trips})
		if got := strings.TrimSpace(d.Action + " " + d.Rule); got != c.want {
			t.Errorf("%s %v: %s (labels %v); want %s", c.path, c.trips, got, d.Labels, c.want)
		}
	}
}

func TestEvaluateWebACLQualifiesTheWebACLsOwnLabels(t *testing.T) {
	d := EvaluateWebACL(t, parse(t, acl), WAFRequest{Method: "GET", Path: "/files/a"})
	if strings.Join(d.Labels, ",") != "awswaf:111122223333:webacl:acl:files:path" {
		t.Errorf("labels %v", d.Labels)
	}
}

func TestEvaluateWebACLFailsOnWhatItDoesNotModel(t *testing.T) {
	for name, s := range map[string]string{
		"statement":      `{"Rules": [{"Name": "X", "Priority": 0, "Action": {"Block": {}}, "Statement": {"GeoMatchStatement": {"CountryCodes": ["FR"]}}}]}`,
		"field":          `{"Rules": [{"Name": "X", "Priority": 0, "Action": {"Block": {}}, "Statement": {"ByteMatchStatement": {"FieldToMatch": {"QueryString": {}}, "PositionalConstraint": "EXACTLY", "SearchString": "a", "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}}]}`,
		"transformation": `{"Rules": [{"Name": "X", "Priority": 0, "Action": {"Block": {}}, "Statement": {"ByteMatchStatement": {"FieldToMatch": {"UriPath": {}}, "PositionalConstraint": "EXACTLY", "SearchString": "a", "TextTransformations": [{"Priority": 0, "Type": "HTML_ENTITY_DECODE"}]}}}]}`,
		"group":          `{"Rules": [{"Name": "X", "Priority": 0, "OverrideAction": {"None": {}}, "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesBotControlRuleSet"}}}]}`,
	} {
		r := &recorder{TB: t}
		func() {
			defer func() { _ = recover() }() // Fatalf of the recorder does not stop the walk
			EvaluateWebACL(r, parse(t, s), WAFRequest{Method: "GET", Path: "/a"})
		}()
		if len(r.failures) == 0 {
			t.Errorf("%s: no failure; want one naming what is not modelled", name)
		}
	}
}

func TestWebACLCapacityAddsAWSsDocumentedCosts(t *testing.T) {
	// Core 700; Paths: 2 + 2 + 10 (LOWERCASE) + 10 + 10 (URL_DECODE); Block: 1 + 1.
	if got := WebACLCapacity(t, parse(t, acl)); got != 736 {
		t.Errorf("%d WCU; want 736", got)
	}
}
