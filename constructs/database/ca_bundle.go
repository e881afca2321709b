package database

import (
	_ "embed"
	"strings"

	"github.com/tierkit/tierkit/constructs/boot"
)

const (
	// CABundleURL is where servers fetch the certificate authorities of RDS.
	CABundleURL = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
	// CABundleFile is where CABundleStep writes them, for PHP to verify the
	// database server (MYSQL_ATTR_SSL_CA, sslrootcert).
	CABundleFile = "/etc/ssl/certs/rds-global-bundle.pem"
)

//go:embed ca-bundle.sh
var caBundleScript string

// CABundleStep returns the body of a boot step (boot.Script.AddStep) that
// installs the RDS certificate authorities at CABundleFile: both tiers need
// them, since the database refuses connections without TLS. The body is
// plain bash, without comment lines (user data is limited to 16 KB).
func CABundleStep() string { return CABundleStepAt(CABundleFile) }

// CABundleStepAt is CABundleStep installing the bundle at file instead of
// CABundleFile, e.g. "/etc/pki/tls/certs/rds-global-bundle.pem" on the RHEL
// family: a clean absolute path.
func CABundleStepAt(file string) string {
	lines := []string{"local url=" + boot.Quote(CABundleURL) + ` file="$ROOT"` + boot.Quote(file) + " tmp"}
	for _, line := range strings.Split(caBundleScript, "\n") {
		if trimmed := strings.TrimSpace(line); trimmed != "" && !strings.HasPrefix(trimmed, "#") {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, "\n")
}
