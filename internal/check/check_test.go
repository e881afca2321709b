package check

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
)

func TestRetention(t *testing.T) {
	cases := []struct {
		r    awslogs.RetentionDays
		want string
	}{
		{"", ""},
		{awslogs.RetentionDays_ONE_YEAR, ""},
		{awslogs.RetentionDays_INFINITE, "Retention: INFINITE keeps logs forever"},
		{"FOREVER", `Retention: "FOREVER" is not an awslogs.RetentionDays`},
	}
	for _, c := range cases {
		got := Retention("Retention", c.r)
		if (c.want == "") != (got == "") || !strings.HasPrefix(got, c.want) {
			t.Errorf("Retention(%q) = %q, want %q", c.r, got, c.want)
		}
	}
}

func TestHostNameAcceptsLowerCaseNamesOfTwoLabelsOrMore(t *testing.T) {
	for name, want := range map[string]bool{
		"example.com": true, "api.example.com": true, "a-1.example.com": true,
		"example": false, "Example.com": false, "example.com.": false, "-a.example.com": false, "a..example.com": false,
		strings.Repeat("a", 64) + ".com": false,
	} {
		if got := HostName(name); got != want {
			t.Errorf("HostName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestInZoneIsTheZoneOrANameBelowIt(t *testing.T) {
	for _, c := range []struct {
		name string
		want bool
	}{{"example.com", true}, {"api.example.com", true}, {"badexample.com", false}, {"example.org", false}} {
		if got := InZone(c.name, "example.com"); got != c.want {
			t.Errorf("InZone(%q, example.com) = %v, want %v", c.name, got, c.want)
		}
	}
}
