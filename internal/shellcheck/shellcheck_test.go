package shellcheck_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tierkit/tierkit/internal/shellcheck"
)

// recorder is the test as Check sees it, recording its errors.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, format)
}

func TestCheckFailsOnAFindingAndFollowsWhatAScriptSources(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"clean":  "#!/usr/bin/env bash\n# shellcheck source=lib.sh\nsource \"$(dirname \"$0\")/lib.sh\"\ngreet \"$@\"\n",
		"lib.sh": "# shellcheck shell=bash\ngreet() { echo \"hello $*\"; }\n",
		// An unquoted expansion: a style-level finding, SC2086.
		"unquoted": "#!/usr/bin/env bash\necho $1\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	clean := &recorder{TB: t}
	shellcheck.Check(clean, filepath.Join(dir, "clean"))
	if len(clean.errors) != 0 {
		t.Errorf("a clean script failed: %q", clean.errors)
	}
	unquoted := &recorder{TB: t}
	shellcheck.Check(unquoted, filepath.Join(dir, "clean"), filepath.Join(dir, "unquoted"))
	if len(unquoted.errors) != 1 {
		t.Errorf("a script with a finding: %d errors, want 1", len(unquoted.errors))
	}
}
