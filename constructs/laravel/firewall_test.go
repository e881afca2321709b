package laravel_test

import (
	"strings"
	"testing"

	"github.com/tierkit/tierkit/internal/cdktest"
)

// TestFirewallHasNoPathExceptions: the Laravel tier's web ACL is the rate
// limit and the four managed groups, with no rule scoped away from any path
// (Nextcloud's WebDAV exceptions are Nextcloud's).
func TestFirewallHasNoPathExceptions(t *testing.T) {
	acl := cdktest.WebACL(t, template(t))
	var names []string
	for _, r := range acl["Rules"].([]any) {
		names = append(names, r.(map[string]any)["Name"].(string))
	}
	want := "RateLimit,AWSManagedRulesCommonRuleSet,AWSManagedRulesKnownBadInputsRuleSet,AWSManagedRulesSQLiRuleSet,AWSManagedRulesPHPRuleSet"
	if strings.Join(names, ",") != want {
		t.Errorf("rules %v; want %s", names, want)
	}
	for _, path := range []string{"/remote.php/dav/files/alice/server.log", "/api/server.log"} {
		d := cdktest.EvaluateWebACL(t, acl, cdktest.WAFRequest{Method: "PUT", Path: path, Trips: []string{"RestrictedExtensions_URIPATH"}})
		if d.Action != "BLOCK" || d.Rule != "AWSManagedRulesCommonRuleSet" {
			t.Errorf("PUT %s: %+v; want blocked by the common rule set", path, d)
		}
	}
	if got := cdktest.WebACLCapacity(t, acl); got != 1202 {
		t.Errorf("%d WCU; want 1202", got)
	}
}

// TestRateLimitLetsAnOfficeBehindOneAddressWork: 20,000 requests per IP
// address in 5 minutes (the README's "Rate limit" has the numbers).
func TestRateLimitLetsAnOfficeBehindOneAddressWork(t *testing.T) {
	for name, tpl := range map[string]func(testing.TB) *cdktest.Template{"default": template, "variant": variant} {
		acl := cdktest.JSON(cdktest.WebACL(t, tpl(t)))
		if !strings.Contains(acl, `"RateBasedStatement":{"AggregateKeyType":"IP","EvaluationWindowSec":300,"Limit":20000}`) {
			t.Errorf("%s: the rate limit is not 20000 per IP per 5 minutes:\n%s", name, acl)
		}
	}
}
