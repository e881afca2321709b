package firewall_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/tierkit/tierkit/constructs/firewall"
	"github.com/tierkit/tierkit/constructs/firewall/firewalltest"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// scopedRules are the scoped variant's exceptions (firewalltest.ScopedRules):
// a sync protocol under two prefixes with rules of every group, and a
// webhook path (one prefix).
var scopedRules = firewalltest.ScopedRules

// evaluate sends req through the scoped variant's web ACL.
func evaluate(t *testing.T, tpl *cdktest.Template, req cdktest.WAFRequest) cdktest.WAFDecision {
	t.Helper()
	return cdktest.EvaluateWebACL(t, cdktest.WebACL(t, tpl), req)
}

func TestScopedRulesCountInTheManagedGroupThatHoldsThem(t *testing.T) {
	tpl := scopedTemplate(t)
	want := map[string][]string{
		"AWSManagedRulesCommonRuleSet":         {"SizeRestrictions_BODY", "RestrictedExtensions_URIPATH", "SizeRestrictions_URIPATH", "CrossSiteScripting_BODY", "GenericRFI_BODY"},
		"AWSManagedRulesKnownBadInputsRuleSet": {"Log4JRCE_BODY"},
		"AWSManagedRulesSQLiRuleSet":           {"SQLi_BODY"},
		"AWSManagedRulesPHPRuleSet":            {"PHPHighRiskMethodsVariables_BODY"},
	}
	for _, group := range managedGroups {
		if got := overrides(t, rule(t, tpl, group)); strings.Join(got, ",") != strings.Join(want[group], ",") {
			t.Errorf("%s counts %v; want %v", group, got, want[group])
		}
	}
}

func TestScopedRulesFollowTheManagedGroupsWhosePrioritiesStay(t *testing.T) {
	var got []string
	for i, r := range rules(t, scopedTemplate(t)) {
		if r["Priority"] != float64(i) {
			t.Errorf("rule %v at position %d has priority %v", r["Name"], i, r["Priority"])
		}
		got = append(got, r["Name"].(string))
	}
	want := append([]string{"RateLimit"}, managedGroups...)
	want = append(want, "SyncPaths", "Sync-RestrictedExtensions_URIPATH", "Sync-SizeRestrictions_URIPATH", "Sync-CrossSiteScripting_BODY",
		"Sync-Log4JRCE_BODY", "Sync-SQLi_BODY", "Sync-PHPHighRiskMethodsVariables_BODY", "HooksPaths", "Hooks-GenericRFI_BODY")
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("rules %v; want %v", got, want)
	}
}

// TestEachScopedRuleBlocksOutsideItsPathsAndNotUnderThem: a request that
// trips a scoped rule is blocked by the rule named after it on any other
// path, and let through under each excepted prefix.
func TestEachScopedRuleBlocksOutsideItsPathsAndNotUnderThem(t *testing.T) {
	tpl := scopedTemplate(t)
	for _, s := range scopedRules {
		for _, r := range s.Rules {
			for _, path := range []string{"/index.php/notes.log", "/api/upload", "/", "/davx/a", "/DAV/a", "/x/dav/a"} {
				if d := evaluate(t, tpl, cdktest.WAFRequest{Method: "PUT", Path: path, Trips: []string{r}}); d.Action != "BLOCK" || d.Rule != s.Name+"-"+r {
					t.Errorf("PUT %s tripping %s: %+v; want blocked by %s-%s", path, r, d, s.Name, r)
				}
			}
			for _, prefix := range s.ExceptPathPrefixes {
				path := prefix + "files/alice/notes.log"
				if d := evaluate(t, tpl, cdktest.WAFRequest{Method: "PUT", Path: path, Trips: []string{r}}); d.Action != "ALLOW" {
					t.Errorf("PUT %s tripping %s: %+v; want allowed", path, r, d)
				}
			}
		}
	}
}

func TestAnExceptedPathCarriesThePathLabelAndTheRulesOwn(t *testing.T) {
	d := evaluate(t, scopedTemplate(t), cdktest.WAFRequest{Method: "PUT", Path: "/dav/server.log", Trips: []string{"RestrictedExtensions_URIPATH"}})
	want := []string{"awswaf:managed:aws:core-rule-set:RestrictedExtensions_URIPath", "awswaf:111122223333:webacl:acl:path-exception:Sync"}
	if strings.Join(d.Labels, ",") != strings.Join(want, ",") {
		t.Errorf("labels %v; want %v", d.Labels, want)
	}
}

// TestADotDotSegmentIsNeverExcepted: the web server resolves "..", also
// percent-encoded, so such a path could lead from the prefix to any script.
func TestADotDotSegmentIsNeverExcepted(t *testing.T) {
	tpl := scopedTemplate(t)
	for _, path := range []string{"/dav/../index.php", "/dav/a/../../index.php", "/dav/%2e%2e/index.php", "/dav/%2E%2E/index.php", "/dav/..%2findex.php", "/dav/.."} {
		if d := evaluate(t, tpl, cdktest.WAFRequest{Method: "POST", Path: path, Trips: []string{"SQLi_BODY"}}); d.Action != "BLOCK" || d.Rule != "Sync-SQLi_BODY" {
			t.Errorf("POST %s tripping SQLi_BODY: %+v; want blocked by Sync-SQLi_BODY", path, d)
		}
	}
	// Dots that are not a ".." segment stay excepted.
	for _, path := range []string{"/dav/files/alice/Ideas.../notes.log", "/dav/files/alice/.hidden/a.log", "/dav/v1..2.log"} {
		if d := evaluate(t, tpl, cdktest.WAFRequest{Method: "PUT", Path: path, Trips: []string{"RestrictedExtensions_URIPATH"}}); d.Action != "ALLOW" {
			t.Errorf("PUT %s: %+v; want allowed", path, d)
		}
	}
}

func TestRulesThatAreNotScopedStillBlockUnderTheExceptedPaths(t *testing.T) {
	tpl := scopedTemplate(t)
	for rule, group := range map[string]string{
		"SQLi_QUERYARGUMENTS": "AWSManagedRulesSQLiRuleSet", "NoUserAgent_HEADER": "AWSManagedRulesCommonRuleSet",
		"GenericRFI_BODY": "AWSManagedRulesCommonRuleSet", // scoped to /hooks/ only
	} {
		if d := evaluate(t, tpl, cdktest.WAFRequest{Method: "PUT", Path: "/dav/a.txt", Trips: []string{rule}}); d.Action != "BLOCK" || d.Rule != group && d.Rule != "Hooks-"+rule {
			t.Errorf("PUT /dav/a.txt tripping %s: %+v; want blocked", rule, d)
		}
	}
}

func TestWithoutScopedRulesTheGroupsBlockOnEveryPath(t *testing.T) {
	d := evaluate(t, template(t), cdktest.WAFRequest{Method: "PUT", Path: "/dav/server.log", Trips: []string{"RestrictedExtensions_URIPATH"}})
	if d.Action != "BLOCK" || d.Rule != "AWSManagedRulesCommonRuleSet" {
		t.Errorf("%+v; want blocked by the common rule set", d)
	}
	if d := evaluate(t, template(t), cdktest.WAFRequest{Method: "PUT", Path: "/dav/big.bin", Trips: []string{"SizeRestrictions_BODY"}}); d.Action != "ALLOW" {
		t.Errorf("a large body: %+v; want counted, allowed", d)
	}
}

// TestWebACLCapacityStaysWithinTheBasePrice: 1,202 WCU without scoped rules;
// each entry adds 20 (its ".." guard), 2 a prefix and 2 a rule.
func TestWebACLCapacityStaysWithinTheBasePrice(t *testing.T) {
	for name, c := range map[string]struct {
		tpl  func(testing.TB) *cdktest.Template
		want int
	}{
		"default": {template, 1202},
		"scoped":  {scopedTemplate, 1202 + (20 + 2*2 + 2*6) + (20 + 2 + 2)},
	} {
		if got := cdktest.WebACLCapacity(t, cdktest.WebACL(t, c.tpl(t))); got != c.want || got > 1500 {
			t.Errorf("%s: %d WCU; want %d (at most 1500)", name, got, c.want)
		}
	}
}

func TestInvalidScopedRules(t *testing.T) {
	lb := newLoadBalancer(awscdk.NewStack(nil, nil, nil))
	ok := firewall.ScopedRules{Name: "Sync", Rules: []string{"RestrictedExtensions_URIPATH"}, ExceptPathPrefixes: []string{"/dav/"}}
	with := func(change func(*firewall.ScopedRules)) firewall.ScopedRules {
		s := ok
		s.Rules, s.ExceptPathPrefixes = slices.Clone(ok.Rules), slices.Clone(ok.ExceptPathPrefixes)
		change(&s)
		return s
	}
	many := make([]string, 150)
	for i := range many {
		many[i] = "/p" + strings.Repeat("x", i) + "/"
	}
	cases := []struct {
		name   string
		scoped []firewall.ScopedRules
		count  []string
		want   string
	}{
		{"no name", []firewall.ScopedRules{with(func(s *firewall.ScopedRules) { s.Name = "" })}, nil,
			`ScopedRules[0].Name: "" is not a name; allowed: a letter, then up to 31 letters and digits, e.g. WebDAV`},
		{"name with a dash", []firewall.ScopedRules{with(func(s *firewall.ScopedRules) { s.Name = "Web-DAV" })}, nil, `ScopedRules[0].Name: "Web-DAV" is not a name`},
		{"name twice", []firewall.ScopedRules{ok, with(func(s *firewall.ScopedRules) { s.Rules = []string{"SQLi_BODY"} })}, nil,
			`ScopedRules[1].Name: "Sync" is used twice; allowed: a name per entry`},
		{"no rules", []firewall.ScopedRules{with(func(s *firewall.ScopedRules) { s.Rules = nil })}, nil,
			"ScopedRules[0].Rules: is empty; allowed: one or more rules of the managed groups whose label AWS documents"},
		{"unknown rule", []firewall.ScopedRules{with(func(s *firewall.ScopedRules) { s.Rules = []string{"RestrictedExtensions_URIPath"} })}, nil,
			`ScopedRules[0].Rules[0]: "RestrictedExtensions_URIPath" is not a rule of AWSManagedRulesCommonRuleSet, AWSManagedRulesKnownBadInputsRuleSet, AWSManagedRulesSQLiRuleSet or AWSManagedRulesPHPRuleSet; did you mean "RestrictedExtensions_URIPATH"?`},
		{"undocumented label", []firewall.ScopedRules{with(func(s *firewall.ScopedRules) { s.Rules = []string{"SQLiExtendedPatterns_URIPATH"} })}, nil,
			`ScopedRules[0].Rules[0]: "SQLiExtendedPatterns_URIPATH" has no label in AWS's documentation`},
		{"rule scoped twice", []firewall.ScopedRules{ok, {Name: "Other", Rules: []string{"RestrictedExtensions_URIPATH"}, ExceptPathPrefixes: []string{"/o/"}}}, nil,
			`ScopedRules[1].Rules[0]: "RestrictedExtensions_URIPATH" is scoped already by ScopedRules[0].Rules[0]; allowed: each rule in one entry, once`},
		{"rule also counted", []firewall.ScopedRules{ok}, []string{"RestrictedExtensions_URIPATH"},
			`ScopedRules[0].Rules[0]: "RestrictedExtensions_URIPATH" is also in CountOnlyRules, which counts it everywhere; allowed: a rule either counted everywhere or scoped`},
		{"no prefixes", []firewall.ScopedRules{with(func(s *firewall.ScopedRules) { s.ExceptPathPrefixes = nil })}, nil,
			"ScopedRules[0].ExceptPathPrefixes: is empty; allowed: one or more URI path prefixes, e.g. /remote.php/dav/"},
		{"every path", []firewall.ScopedRules{with(func(s *firewall.ScopedRules) { s.ExceptPathPrefixes = []string{"/"} })}, nil,
			`ScopedRules[0].ExceptPathPrefixes[0]: "/" is not a path prefix; allowed: up to 200 printable ASCII characters without spaces, % or .., starting and ending with /, e.g. /remote.php/dav/ (/ alone would except every path)`},
		{"relative prefix", []firewall.ScopedRules{with(func(s *firewall.ScopedRules) { s.ExceptPathPrefixes = []string{"dav/"} })}, nil, `ScopedRules[0].ExceptPathPrefixes[0]: "dav/" is not a path prefix`},
		{"prefix without its slash", []firewall.ScopedRules{with(func(s *firewall.ScopedRules) { s.ExceptPathPrefixes = []string{"/dav"} })}, nil, `ScopedRules[0].ExceptPathPrefixes[0]: "/dav" is not a path prefix`},
		{"prefix with a space", []firewall.ScopedRules{with(func(s *firewall.ScopedRules) { s.ExceptPathPrefixes = []string{"/my dav/"} })}, nil, `"/my dav/" is not a path prefix`},
		{"encoded prefix", []firewall.ScopedRules{with(func(s *firewall.ScopedRules) { s.ExceptPathPrefixes = []string{"/%64av/"} })}, nil, `"/%64av/" is not a path prefix`},
		{"dot-dot prefix", []firewall.ScopedRules{with(func(s *firewall.ScopedRules) { s.ExceptPathPrefixes = []string{"/dav/../"} })}, nil, `"/dav/../" is not a path prefix`},
		{"long prefix", []firewall.ScopedRules{with(func(s *firewall.ScopedRules) { s.ExceptPathPrefixes = []string{"/" + strings.Repeat("a", 199) + "/"} })}, nil, `is not a path prefix; allowed: up to 200`},
		{"prefix twice", []firewall.ScopedRules{with(func(s *firewall.ScopedRules) { s.ExceptPathPrefixes = []string{"/dav/", "/dav/"} })}, nil,
			`ScopedRules[0].ExceptPathPrefixes[1]: "/dav/" is listed twice; allowed: each prefix once`},
		{"over capacity", []firewall.ScopedRules{with(func(s *firewall.ScopedRules) { s.ExceptPathPrefixes = many })}, nil,
			"ScopedRules: the web ACL would need 1524 WCU; allowed: at most 1500, the capacity of its base price (each entry costs 20, plus 2 a prefix and 2 a rule)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := firewall.Props{LoadBalancer: lb, CountOnlyRules: c.count, ScopedRules: c.scoped}.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestValidScopedRulesPass(t *testing.T) {
	lb := newLoadBalancer(awscdk.NewStack(nil, nil, nil))
	if err := (firewall.Props{LoadBalancer: lb, ScopedRules: scopedRules}).Validate(); err != nil {
		t.Error(err)
	}
}
