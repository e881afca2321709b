package webtier

import (
	"cmp"
	"regexp"

	"github.com/tierkit/tierkit/constructs/database"
	"github.com/tierkit/tierkit/internal/check"
)

// Platforms: the family of the golden server's Linux, which sets where the
// boot expects the web server, the web user, PHP-FPM and the certificate
// store (Props.Platform).
const (
	// PlatformDebian is Debian and Ubuntu: apache2 as www-data, PHP-FPM as
	// php<version>-fpm, certificates in /etc/ssl/certs.
	PlatformDebian = "debian"
	// PlatformRHEL is the RHEL family: Red Hat Enterprise Linux, Rocky,
	// AlmaLinux, CentOS Stream and Amazon Linux: httpd as apache, PHP-FPM
	// as php-fpm, certificates in /etc/pki/tls/certs.
	PlatformRHEL = "rhel"
)

// NoPHPFPM is the PHPFPMUnit that restarts no PHP-FPM unit, for a RHEL-family
// server whose PHP runs inside the web server (mod_php).
const NoPHPFPM = "none"

// platformDefaults are the settings Platform implies, each overridden by its
// field; the CA bundle path follows the platform alone.
type platformDefaults struct {
	webServer, webUser, phpFPMUnit, caBundleFile string
}

var (
	platforms = map[string]platformDefaults{
		PlatformDebian: {"apache2", "www-data", "", database.CABundleFile},
		PlatformRHEL:   {"httpd", "apache", "php-fpm", "/etc/pki/tls/certs/rds-global-bundle.pem"},
	}
	platformNames = []string{PlatformDebian, PlatformRHEL}
	// debianFPMUnit is Debian's and Ubuntu's name of the PHP-FPM unit.
	debianFPMUnit = regexp.MustCompile(`^php[0-9]+\.[0-9]+-fpm$`)
)

// platform returns the defaults of p's platform, Debian's for an unknown
// one (which validate refuses).
func (p Props) platform() platformDefaults {
	if d, ok := platforms[p.Platform]; ok {
		return d
	}
	return platforms[PlatformDebian]
}

// CABundleFile is where the boot installs the RDS certificate authorities,
// and where the application reads them (PDO's SSL CA, sslrootcert): the
// platform's certificate directory, /etc/ssl/certs/rds-global-bundle.pem on
// Debian (database.CABundleFile), /etc/pki/tls/certs/rds-global-bundle.pem on
// the RHEL family.
func (p Props) CABundleFile() string { return p.platform().caBundleFile }

// withPlatform fills in the web server, web user and PHP-FPM unit that
// Platform implies where the caller left them empty.
func (p Props) withPlatform() Props {
	d := p.platform()
	p.Platform = cmp.Or(p.Platform, PlatformDebian)
	p.WebServer = cmp.Or(p.WebServer, d.webServer)
	p.WebUser = cmp.Or(p.WebUser, d.webUser)
	switch p.PHPFPMUnit {
	case "":
		p.PHPFPMUnit = d.phpFPMUnit
	case NoPHPFPM:
		p.PHPFPMUnit = ""
	}
	return p
}

// validatePlatform refuses the settings of the other platform: a unit or user
// that does not exist there would fail every boot, or (a web user) leave
// the settings unreadable.
func (p Props) validatePlatform(pr *check.Problems) {
	if !pr.OneOf("Platform", p.Platform, platformNames, PlatformDebian) {
		return
	}
	platform := cmp.Or(p.Platform, PlatformDebian)
	type clash struct{ field, value, why string }
	var clashes []clash
	if platform == PlatformDebian {
		clashes = []clash{
			{"WebServer", "httpd", `the RHEL family's Apache (Debian's is apache2); set Platform "rhel" for a RHEL-family or Amazon Linux server`},
			{"WebUser", "apache", `the RHEL family's web user (Debian's is www-data); set Platform "rhel" for a RHEL-family or Amazon Linux server`},
			{"PHPFPMUnit", "php-fpm", `the RHEL family's PHP-FPM unit (Debian's is php<version>-fpm, e.g. php8.3-fpm); set Platform "rhel" for a RHEL-family or Amazon Linux server`},
		}
	} else {
		clashes = []clash{
			{"WebServer", "apache2", `Debian's Apache (the RHEL family's is httpd); leave Platform empty or "debian" for a Debian or Ubuntu server`},
			{"WebUser", "www-data", `Debian's web user (the RHEL family's is apache, or nginx); leave Platform empty or "debian" for a Debian or Ubuntu server`},
		}
		if debianFPMUnit.MatchString(p.PHPFPMUnit) {
			clashes = append(clashes, clash{"PHPFPMUnit", p.PHPFPMUnit, `Debian's name of the PHP-FPM unit (the RHEL family's is php-fpm, or e.g. php83-php-fpm from Remi's collections); leave Platform empty or "debian" for a Debian or Ubuntu server`})
		}
	}
	fields := map[string]string{"WebServer": p.WebServer, "WebUser": p.WebUser, "PHPFPMUnit": p.PHPFPMUnit}
	for _, c := range clashes {
		if fields[c.field] == c.value {
			pr.Add(c.field, "%q with Platform %q: %s", c.value, platform, c.why)
		}
	}
}
