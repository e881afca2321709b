// Package shellcheck checks the project's shell scripts in their tests.
package shellcheck

import (
	"os"
	"os/exec"
	"testing"
)

// Check runs shellcheck on files (paths from the test's directory, where go
// test runs it), following what they source, at the style severity: any
// finding fails the test. Without shellcheck on PATH the test is skipped,
// except in CI (CI set), where it fails.
func Check(tb testing.TB, files ...string) {
	tb.Helper()
	if _, err := exec.LookPath("shellcheck"); err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatal("shellcheck is not on PATH: install shellcheck (Debian package shellcheck)")
		}
		tb.Skip("install shellcheck (Debian package shellcheck)")
	}
	args := append([]string{"-x", "--source-path=SCRIPTDIR", "--severity=style"}, files...)
	if out, err := exec.Command("shellcheck", args...).CombinedOutput(); err != nil {
		tb.Errorf("shellcheck: %v\n%s", err, out)
	}
}
