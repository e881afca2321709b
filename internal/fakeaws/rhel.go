package fakeaws

import (
	"path/filepath"
	"testing"

	"github.com/tierkit/tierkit/internal/cdktest"
)

// RHELPool is the www pool of PHP-FPM as the RHEL family ships it
// (/etc/php-fpm.d/www.conf, abridged): the pool sets its own session
// handler and path, which override every ini file.
const RHELPool = `[www]
user = apache
group = apache
listen = /run/php-fpm/www.sock
php_admin_value[error_log] = /var/log/php-fpm/www-error.log
php_value[session.save_handler] = files
php_value[session.save_path]    = /var/lib/php/session
php_value[soap.wsdl_cache_dir]  = /var/lib/php/wsdlcache
`

// RHEL makes m a server of the RHEL family (RHEL, Rocky, AlmaLinux, Amazon
// Linux) instead of a Debian one: cronie's crond.service and no
// cron.service, the certificate directory /etc/pki/tls/certs and no Debian
// /etc/ssl/certs, PHP's /etc/php.d and no /etc/php/<version>, PHP-FPM's
// /etc/php-fpm.d/www.conf (RHELPool), cronie's /etc/cron.d/0hourly and
// httpd's /etc/httpd and /var/log/httpd. Call it before the first boot.
func (m *Machine) RHEL(t *testing.T) {
	t.Helper()
	m.Stub(t, "systemctl", `echo "systemctl $*" >>"$TIERKIT_TEST_CALLS"
[[ "$*" != "cat cron.service" ]]`)
	for file, content := range map[string]string{
		"etc/pki/tls/certs/ca-bundle.crt": "-----BEGIN CERTIFICATE-----\nsystem\n-----END CERTIFICATE-----\n",
		"etc/php.d/50-redis.ini":          "extension=redis\n",
		"etc/php.d/40-apcu.ini":           "extension=apcu\n",
		"etc/php-fpm.d/www.conf":          RHELPool,
		"etc/cron.d/0hourly":              "01 * * * * root run-parts /etc/cron.hourly\n",
		"etc/httpd/conf/httpd.conf":       "User apache\nGroup apache\nIncludeOptional conf.d/*.conf\n",
		"var/log/httpd/access_log":        "",
	} {
		cdktest.WriteFile(t, filepath.Join(m.Root, file), content, 0o644)
	}
}
