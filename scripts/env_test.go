package scripts_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestAScriptRunByAnotherSeesTheSameGoEnvironment: lib/env.sh, sourced again
// by a script that another script (or a test run by scripts/test) starts,
// leaves the Go environment (and NODE_OPTIONS) as it was. scripts/app compares
// it with the last build's: a GOFLAGS that grew at every nesting made it build
// again each time.
func TestAScriptRunByAnotherSeesTheSameGoEnvironment(t *testing.T) {
	out, err := exec.Command("bash", "-c", `source lib/env.sh && echo "$(go env GOFLAGS) $NODE_OPTIONS" && bash -c 'source scripts/lib/env.sh && echo "$(go env GOFLAGS) $NODE_OPTIONS"'`).CombinedOutput()
	if err != nil {
		t.Fatalf("sourcing lib/env.sh: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 || lines[0] != lines[1] || strings.Count(lines[0], "-trimpath") != 1 || strings.Count(lines[0], "--max-semi-space-size=4") != 1 {
		t.Errorf("GOFLAGS and NODE_OPTIONS, then in a script run by the first: %q; want the same twice, with -trimpath and --max-semi-space-size=4 once each", lines)
	}
}
