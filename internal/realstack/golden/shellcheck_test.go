package golden_test

import (
	"testing"

	"github.com/tierkit/tierkit/internal/shellcheck"
)

// TestGoldenScriptsPassShellcheck checks the scripts of the end-to-end test's
// golden root, following what they source: its builders, the servers' boot
// and systemctl stand-in, the applications' installers. Without the e2e build
// tag, so that scripts/test checks them.
func TestGoldenScriptsPassShellcheck(t *testing.T) {
	shellcheck.Check(t, "base.sh", "layer.sh", "lib.sh", "init-server.sh", "systemctl", "fixture.sh", "laravel/install.sh", "nextcloud/install.sh")
}
