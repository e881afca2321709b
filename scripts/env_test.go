package scripts_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestAScriptRunByAnotherSeesTheSameGoEnvironment: lib/env.sh, sourced again
// by a script that another script (or a test run by scripts/test) starts,
// leaves the Go environment as it was. scripts/app compares it with the last
// build's: a GOFLAGS that grew at every nesting made it build again each time.
func TestAScriptRunByAnotherSeesTheSameGoEnvironment(t *testing.T) {
	out, err := exec.Command("bash", "-c", `source lib/env.sh && go env GOFLAGS && bash -c 'source scripts/lib/env.sh && go env GOFLAGS'`).CombinedOutput()
	if err != nil {
		t.Fatalf("sourcing lib/env.sh: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 || lines[0] != lines[1] || !strings.Contains(lines[0], "-trimpath") {
		t.Errorf("GOFLAGS, then GOFLAGS in a script run by the first: %q; want the same twice, with -trimpath", lines)
	}
}
