package nextcloud_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/tierkit/tierkit/internal/cdktest"
)

// The web ACL's WebDAV exceptions, run through cdktest's model of WAF: each
// request names the managed rules AWS would find in it (Trips), which a
// model cannot compute.

// webDAVRules are the rules scoped away from the WebDAV paths, by group.
var webDAVRules = map[string][]string{
	"AWSManagedRulesCommonRuleSet": {
		"RestrictedExtensions_URIPATH", "SizeRestrictions_URIPATH", "GenericLFI_URIPATH",
		"CrossSiteScripting_BODY", "GenericLFI_BODY", "GenericRFI_BODY", "EC2MetaDataSSRF_BODY",
	},
	"AWSManagedRulesKnownBadInputsRuleSet": {"ExploitablePaths_URIPATH", "JavaDeserializationRCE_BODY", "Log4JRCE_BODY", "ReactJSRCE_BODY"},
	"AWSManagedRulesSQLiRuleSet":           {"SQLi_BODY", "SQLiExtendedPatterns_BODY"},
	"AWSManagedRulesPHPRuleSet":            {"PHPHighRiskMethodsVariables_BODY"},
}

// davPrefixes are the paths of Nextcloud's DAV services.
var davPrefixes = []string{
	"/remote.php/dav/", "/remote.php/webdav/", "/remote.php/caldav/", "/remote.php/carddav/", "/public.php/dav/", "/public.php/webdav/",
}

// otherPaths are Nextcloud's other entry points (and look-alikes).
var otherPaths = []string{
	"/index.php/apps/files/server.log", "/index.php/login", "/ocs/v2.php/apps/files_sharing/api/v1/shares", "/status.php",
	"/remote.php/direct/abc", "/remote.php/dav", "/Remote.php/dav/files/alice/a", "/nextcloud/remote.php/dav/files/alice/a",
}

func allWebDAVRules() []string {
	var all []string
	for _, rules := range webDAVRules {
		all = append(all, rules...)
	}
	slices.Sort(all)
	return all
}

func send(t *testing.T, method, path string, trips ...string) cdktest.WAFDecision {
	t.Helper()
	return cdktest.EvaluateWebACL(t, cdktest.WebACL(t, template(t)), cdktest.WAFRequest{Method: method, Path: path, Trips: trips})
}

func TestWebDAVRulesCountInTheirManagedGroups(t *testing.T) {
	counted := map[string][]string{
		"AWSManagedRulesCommonRuleSet":         {"SizeRestrictions_BODY"},
		"AWSManagedRulesKnownBadInputsRuleSet": {"PROPFIND_METHOD"},
	}
	for _, r := range cdktest.WebACL(t, template(t))["Rules"].([]any) {
		r := r.(map[string]any)
		stmt, ok := r["Statement"].(map[string]any)["ManagedRuleGroupStatement"].(map[string]any)
		if !ok {
			continue
		}
		group := stmt["Name"].(string)
		var got []string
		for _, o := range stmt["RuleActionOverrides"].([]any) {
			o := o.(map[string]any)
			if cdktest.JSON(o["ActionToUse"]) == `{"Count":{}}` {
				got = append(got, o["Name"].(string))
			}
		}
		slices.Sort(got)
		want := append(slices.Clone(counted[group]), webDAVRules[group]...)
		slices.Sort(want)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s counts %v; want %v", group, got, want)
		}
	}
}

// TestEachWebDAVRuleBlocksOnEveryOtherPath: a request that trips a scoped
// rule is let through under each DAV prefix, and blocked by WebDAV-<rule>
// on every other path.
func TestEachWebDAVRuleBlocksOnEveryOtherPath(t *testing.T) {
	for _, rule := range allWebDAVRules() {
		for _, prefix := range davPrefixes {
			if d := send(t, "PUT", prefix+"files/alice/Documents/report.txt", rule); d.Action != "ALLOW" {
				t.Errorf("PUT under %s tripping %s: %+v; want allowed", prefix, rule, d)
			}
		}
		for _, path := range otherPaths {
			if d := send(t, "POST", path, rule); d.Action != "BLOCK" || d.Rule != "WebDAV-"+rule {
				t.Errorf("POST %s tripping %s: %+v; want blocked by WebDAV-%s", path, rule, d, rule)
			}
		}
	}
}

func TestALogFileSyncsButStaysBlockedOutsideWebDAV(t *testing.T) {
	if d := send(t, "PUT", "/remote.php/dav/files/alice/server.log", "RestrictedExtensions_URIPATH"); d.Action != "ALLOW" {
		t.Errorf("PUT server.log over WebDAV: %+v; want allowed", d)
	}
	if d := send(t, "GET", "/index.php/server.log", "RestrictedExtensions_URIPATH"); d.Action != "BLOCK" || d.Rule != "WebDAV-RestrictedExtensions_URIPATH" {
		t.Errorf("GET /index.php/server.log: %+v; want blocked", d)
	}
}

// TestALongJapanesePathSyncs: a name of 119 Japanese characters is 1,071
// bytes once percent-encoded, over the common rule set's 1,024.
func TestALongJapanesePathSyncs(t *testing.T) {
	name := url.PathEscape(strings.Repeat("議事録の下書き", 17)) + ".txt"
	if len(name) <= 1024 {
		t.Fatalf("the name is %d bytes; want it over 1,024 to trip SizeRestrictions_URIPATH", len(name))
	}
	for _, method := range []string{"PUT", "PROPFIND", "MOVE"} {
		if d := send(t, method, "/remote.php/dav/files/alice/"+name, "SizeRestrictions_URIPATH"); d.Action != "ALLOW" {
			t.Errorf("%s of a long Japanese name: %+v; want allowed", method, d)
		}
	}
	if d := send(t, "GET", "/index.php/apps/files/"+name, "SizeRestrictions_URIPATH"); d.Action != "BLOCK" {
		t.Errorf("the same path outside WebDAV: %+v; want blocked", d)
	}
}

// TestHTMLSQLAndPHPFilesUpload: a chunk of an upload (over 8 KB) of an HTML
// page, an SQL dump and a PHP source, and the same bodies sent elsewhere.
func TestHTMLSQLAndPHPFilesUpload(t *testing.T) {
	for file, trips := range map[string][]string{
		"index.html": {"SizeRestrictions_BODY", "CrossSiteScripting_BODY"},
		"dump.sql":   {"SizeRestrictions_BODY", "SQLi_BODY", "SQLiExtendedPatterns_BODY"},
		"plugin.php": {"SizeRestrictions_BODY", "PHPHighRiskMethodsVariables_BODY"},
	} {
		for _, path := range []string{"/remote.php/dav/files/alice/" + file, "/remote.php/dav/uploads/alice/web-file-upload-1/00001", "/public.php/dav/files/Tok3n/" + file} {
			if d := send(t, "PUT", path, trips...); d.Action != "ALLOW" {
				t.Errorf("PUT %s (%s): %+v; want allowed", path, file, d)
			}
		}
		if d := send(t, "POST", "/index.php/apps/text/session/push", trips...); d.Action != "BLOCK" || d.Rule != "WebDAV-"+trips[1] {
			t.Errorf("POST of %s's body outside WebDAV: %+v; want blocked by WebDAV-%s", file, d, trips[1])
		}
	}
}

func TestPROPFINDIsCountedOnEveryPath(t *testing.T) {
	for _, path := range []string{"/remote.php/dav/files/alice/", "/.well-known/caldav"} {
		if d := send(t, "PROPFIND", path, "PROPFIND_METHOD"); d.Action != "ALLOW" {
			t.Errorf("PROPFIND %s: %+v; want allowed", path, d)
		}
	}
}

// TestADotDotSegmentLeavesTheWebDAVException: the web server resolves it, so
// /remote.php/dav/../../index.php is index.php.
func TestADotDotSegmentLeavesTheWebDAVException(t *testing.T) {
	for _, path := range []string{"/remote.php/dav/../../index.php/login", "/remote.php/dav/files/%2e%2e/%2e%2e/%2e%2e/index.php"} {
		if d := send(t, "POST", path, "SQLi_BODY"); d.Action != "BLOCK" || d.Rule != "WebDAV-SQLi_BODY" {
			t.Errorf("POST %s: %+v; want blocked", path, d)
		}
	}
}

func TestRulesOutsideTheExceptionStillBlockWebDAV(t *testing.T) {
	for rule, group := range map[string]string{
		"SQLi_QUERYARGUMENTS":       "AWSManagedRulesSQLiRuleSet",
		"NoUserAgent_HEADER":        "AWSManagedRulesCommonRuleSet",
		"Log4JRCE_HEADER":           "AWSManagedRulesKnownBadInputsRuleSet",
		"CrossSiteScripting_COOKIE": "AWSManagedRulesCommonRuleSet",
	} {
		if d := send(t, "PUT", "/remote.php/dav/files/alice/a.txt", rule); d.Action != "BLOCK" || d.Rule != group {
			t.Errorf("PUT over WebDAV tripping %s: %+v; want blocked by %s", rule, d, group)
		}
	}
}

// TestWebACLStaysWithinTheBasePrice: 1,202 WCU of the groups and the rate
// limit, 20 + 6 × 2 of the WebDAV paths' rule, 14 × 2 of the scoped rules.
func TestWebACLStaysWithinTheBasePrice(t *testing.T) {
	if got := cdktest.WebACLCapacity(t, cdktest.WebACL(t, template(t))); got != 1262 {
		t.Errorf("%d WCU; want 1262 (at most 1500)", got)
	}
}

// TestARuleCountedEverywhereLeavesTheWebDAVException: the variant counts
// CrossSiteScripting_BODY everywhere, so no rule scopes it.
func TestARuleCountedEverywhereLeavesTheWebDAVException(t *testing.T) {
	scoped := tiers["Variant"].Props().Firewall.ScopedRules
	if len(scoped) != 1 || slices.Contains(scoped[0].Rules, "CrossSiteScripting_BODY") || len(scoped[0].Rules) != 13 {
		t.Errorf("ScopedRules %+v; want WebDAV's without CrossSiteScripting_BODY", scoped)
	}
	if d := cdktest.EvaluateWebACL(t, cdktest.WebACL(t, variant(t)), cdktest.WAFRequest{Method: "POST", Path: "/index.php/x", Trips: []string{"CrossSiteScripting_BODY"}}); d.Action != "ALLOW" {
		t.Errorf("%+v; want counted, allowed", d)
	}
}
