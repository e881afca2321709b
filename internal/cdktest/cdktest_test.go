package cdktest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...) }

func TestCheckTurnsAnAssertionPanicIntoATestError(t *testing.T) {
	r := &recorder{TB: t}
	Check(r, func() { panic("Template has 0 resources with type AWS::RDS::DBInstance") })
	if len(r.failures) != 1 || !strings.Contains(r.failures[0], "AWS::RDS::DBInstance") {
		t.Errorf("failures: got %q, want the panic's message once", r.failures)
	}
}

func TestCheckPassesAnAssertionThatHolds(t *testing.T) {
	r := &recorder{TB: t}
	Check(r, func() {})
	if len(r.failures) != 0 {
		t.Errorf("failures: got %q, want none", r.failures)
	}
}

func TestSharedReportsABuildPanicToEveryTestThatAsks(t *testing.T) {
	builds := 0
	shared := Shared(func(testing.TB) awscdk.Stack { builds++; panic("Validate: domainName is required") })
	first, second := &recorder{TB: t}, &recorder{TB: t}
	shared(first)
	shared(second)
	if builds != 1 || len(first.failures) != 1 || len(second.failures) != 1 || !strings.Contains(second.failures[0], "domainName is required") {
		t.Errorf("got %d builds, failures %q and %q; want one build and its panic reported to both", builds, first.failures, second.failures)
	}
}

func TestContextIsCDKJSONs(t *testing.T) {
	if got := Context(t)["@aws-cdk/core:validateAgainstDefaultRules"]; got != true {
		t.Errorf("@aws-cdk/core:validateAgainstDefaultRules: got %v, want true from cdk.json", got)
	}
}
