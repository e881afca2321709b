package scripts_test

import (
	"testing"

	"github.com/tierkit/tierkit/internal/shellcheck"
)

// TestScriptsPassShellcheck checks every script, following what they source.
// The tests run in scripts/; CI's script is beside it.
func TestScriptsPassShellcheck(t *testing.T) {
	shellcheck.Check(t, "../.ci/run", "lib/env.sh", "app", "bench", "cdk", "drill", "drill-database", "drill-restore", "e2e", "publish", "release", "review", "synth", "test")
}
