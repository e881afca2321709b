package main

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"

	"github.com/tierkit/tierkit/internal/cdktest"
)

// TestRHELServerAndVirtualminLogsFromTheConfiguration: article 000's server
// as a RHEL-family image with Virtualmin's per-domain logs, from cdk.json.
func TestRHELServerAndVirtualminLogsFromTheConfiguration(t *testing.T) {
	env := strings.Replace(twoTiers, `"tiers": {"laravel": {}, "nextcloud": {}}`, `"tiers": {"laravel": {"platform": "rhel", "logFiles": [
		{"id": "SiteAccess", "path": "/var/log/virtualmin/example.org_access_log"},
		{"id": "SiteError", "path": "/var/log/virtualmin/example.org_error_log"}]}}`, 1)
	app := cdktest.NewApp(t, withEnvironments(t, env))
	tpl := &cdktest.Template{Template: assertions.Template_FromStack(build(app, selectEnv(t, app))[0], nil), Outdir: *app.Outdir()}
	script := cdktest.BootScript(t, tpl)
	for _, want := range []string{
		"WEB_SERVER='httpd'", "systemctl restart 'php-fpm'", "runuser -u 'apache'", "'/etc/pki/tls/certs/rds-global-bundle.pem'",
		`"file_path":"/var/log/httpd/*access_log"`, `"file_path":"/var/log/virtualmin/example.org_access_log"`, `"file_path":"/var/log/virtualmin/example.org_error_log"`,
	} {
		if !strings.Contains(script, want) {
			t.Errorf("the boot script lacks %s", want)
		}
	}
	for _, prefix := range []string{"TierLogsSiteAccess", "TierLogsSiteError"} {
		id := cdktest.LogicalID(t, tpl, "AWS::Logs::LogGroup", prefix)
		if g := tpl.Resources("AWS::Logs::LogGroup")[id]; g["DeletionPolicy"] != "Retain" {
			t.Errorf("%s is not retained", id)
		}
	}
}
