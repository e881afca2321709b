package laravel

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tierkit/tierkit/constructs/webtier"
	"github.com/tierkit/tierkit/internal/check"
)

// TestSessionDomainIsTheCommonParentBelowThePublicSuffix: the article's site
// and API share .example.com; unrelated names, names whose only common
// parent is a public suffix and the API's own name share nothing; the
// setting overrides or turns it off.
func TestSessionDomainIsTheCommonParentBelowThePublicSuffix(t *testing.T) {
	for _, c := range []struct {
		name, domain, setting string
		origins               []string
		want                  string
	}{
		{"shared parent", "api.example.com", "", []string{"https://example.com"}, ".example.com"},
		{"shared with a port", "api.example.com", "", []string{"https://www.example.com:8443"}, ".example.com"},
		{"widest of several", "api.shop.example.com", "", []string{"https://shop.example.com", "https://example.com"}, ".example.com"},
		{"unrelated origin left out", "api.example.com", "", []string{"http://localhost:3000", "https://app.example.com"}, ".example.com"},
		{"unrelated", "api.example.com", "", []string{"https://example.org", "http://localhost:3000"}, ""},
		{"only .com in common", "api.example.com", "", []string{"https://other.com"}, ""},
		{"only a public suffix in common", "api.example.co.uk", "", []string{"https://site.co.uk"}, ""},
		{"the API's own name", "api.example.com", "", []string{"https://api.example.com"}, ""},
		{"no frontend", "api.example.com", "", nil, ""},
		{"set", "api.example.com", "api.example.com", []string{"https://example.com"}, ".api.example.com"},
		{"set with its dot", "api.example.com", ".example.com", nil, ".example.com"},
		{"off", "api.example.com", SessionDomainOff, []string{"https://example.com"}, ""},
	} {
		a := App{FrontendOrigins: c.origins, SessionDomain: c.setting}
		if got := a.sessionDomain(c.domain); got != c.want {
			t.Errorf("%s: SESSION_DOMAIN for %s with %q (setting %q) = %q, want %q", c.name, c.domain, c.origins, c.setting, got, c.want)
		}
	}
}

// TestSessionDomainOnAPublicSuffixIsRefused: browsers refuse such cookies.
func TestSessionDomainOnAPublicSuffixIsRefused(t *testing.T) {
	var pr check.Problems
	(&App{SessionDomain: ".co.uk"}).validateSettings(webtier.Props{DomainName: "api.example.co.uk"}, &pr)
	if got := fmt.Sprint(pr.Err()); !strings.Contains(got, `SessionDomain: ".co.uk" is a public suffix`) {
		t.Errorf("got %s, want the public suffix refused", got)
	}
}
