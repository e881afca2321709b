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
