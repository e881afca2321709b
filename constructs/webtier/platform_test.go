package webtier_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/constructs/webtier"
	"github.com/tierkit/tierkit/internal/cdktest"
	"github.com/tierkit/tierkit/internal/fakeaws"
)

// A RHEL-family golden server (Platform), and log files the team names
// (LogFiles).

// rhelVhost is the vhost of a RHEL-family golden server.
const rhelVhost = "/etc/httpd/conf.d/app.example.com.conf"

// rhelProps is the tier on a RHEL-family golden server: the platform's
// defaults (httpd, apache, php-fpm) and its vhost.
func rhelProps(stack awscdk.Stack) *webtier.Props {
	p := props(stack)
	p.Platform = webtier.PlatformRHEL
	p.Boot = boot.Props{GoldenIP: fakeaws.GoldenIP, IPFiles: []string{"/etc/hosts", rhelVhost}}
	return p
}

// rhelTier is built with fixed's app; rhel is its template.
var (
	rhelTier *webtier.Tier[*testApp]
	rhel     = cdktest.Shared(func(tb testing.TB) awscdk.Stack {
		fixed(tb)
		return awscdk.Stack_Of(rhelTier)
	})
)

func TestRHELPlatformSetsTheWebServerUserAndPHPFPM(t *testing.T) {
	rhel(t)
	p := rhelTier.Props()
	if p.Platform != "rhel" || p.WebServer != "httpd" || p.WebUser != "apache" || p.PHPFPMUnit != "php-fpm" {
		t.Errorf("Platform %q: WebServer %q, WebUser %q, PHPFPMUnit %q; want httpd, apache, php-fpm", p.Platform, p.WebServer, p.WebUser, p.PHPFPMUnit)
	}
	if got := p.CABundleFile(); got != "/etc/pki/tls/certs/rds-global-bundle.pem" {
		t.Errorf("CABundleFile() = %q on rhel", got)
	}
	template(t)
	if got := fixedTier.Props(); got.Platform != "debian" || got.WebServer != "apache2" || got.WebUser != "www-data" || got.PHPFPMUnit != "" || got.CABundleFile() != "/etc/ssl/certs/rds-global-bundle.pem" {
		t.Errorf("the default platform: %+v, CABundleFile %q; want Debian's", got, got.CABundleFile())
	}
}

// TestRHELBoot boots the RHEL-family tier on a RHEL-style root: httpd
// stopped first and started last, the RDS CA bundle in /etc/pki/tls/certs,
// the job's entry as apache for cronie (crond), httpd's logs shipped.
func TestRHELBoot(t *testing.T) {
	m := fakeaws.NewGoldenMachine(t, true, nil, fakeaws.Golden{
		Host: "app.example.com", Vhost: rhelVhost, DocumentRoot: "/var/www/app",
		CronFile: "/etc/cron.d/app", CronLine: "* * * * * apache php /var/www/app/job.php",
	})
	m.RHEL(t)
	cdktest.WriteFile(t, m.Root+"/var/www/app/job.php", "<?php\n", 0o644)
	r := bootOn(t, m, rhel(t))
	if r.Calls[0] != "systemctl stop httpd" || r.Calls[len(r.Calls)-1] != "systemctl restart httpd" {
		t.Errorf("calls %q: want httpd stopped first and started last", r.Calls)
	}
	if got := m.Read(t, "etc/pki/tls/certs/rds-global-bundle.pem"); got != fakeaws.CABundle || m.Exists("etc/ssl") {
		t.Errorf("RDS CA bundle %q (Debian's /etc/ssl created: %v); want the truststore's in /etc/pki/tls/certs only", got, m.Exists("etc/ssl"))
	}
	if got := m.Read(t, "etc/cron.d/tierkit-app"); !strings.Contains(got, "\n* * * * * apache [ -e /var/lib/tierkit/boot-ok ] && cd /var/www/app && php job.php") {
		t.Errorf("cron entry:\n%s", got)
	}
	for _, c := range []string{"systemctl enable crond", "systemctl reload-or-restart crond"} {
		if !strings.Contains("\n"+strings.Join(r.Calls, "\n")+"\n", "\n"+c+"\n") {
			t.Errorf("calls %q lack %q", r.Calls, c)
		}
	}
	if m.Exists("etc/cron.d/app") || !m.Exists("etc/cron.d/.app"+boot.DisabledCronSuffix) {
		t.Errorf("the AMI's /etc/cron.d/app is not disabled for cronie (a name starting with a dot)")
	}
	if got := m.Read(t, rhelVhost); !strings.HasPrefix(got, "<VirtualHost 10.0.2.33:80>") {
		t.Errorf("httpd's vhost: %q", got)
	}
	agent := m.Read(t, "opt/aws/amazon-cloudwatch-agent/etc/tierkit.json")
	for _, f := range []string{"/var/log/httpd/*access_log", "/var/log/httpd/*error_log"} {
		if !strings.Contains(agent, `"file_path":"`+f+`"`) {
			t.Errorf("the agent does not ship %s:\n%s", f, agent)
		}
	}
}

func TestPlatformRefusesTheOtherPlatformsNames(t *testing.T) {
	valid := props(awscdk.NewStack(nil, nil, nil))
	for _, c := range []struct {
		name  string
		patch func(p *webtier.Props)
		want  string
	}{
		{"unknown platform", func(p *webtier.Props) { p.Platform = "amazonlinux" }, `Platform: "amazonlinux" is not supported; allowed: debian, rhel ("" for the default, "debian")`},
		{"httpd on debian", func(p *webtier.Props) { p.WebServer = "httpd" }, `WebServer: "httpd" with Platform "debian": the RHEL family's Apache (Debian's is apache2); set Platform "rhel"`},
		{"apache user on debian", func(p *webtier.Props) { p.WebUser = "apache" }, `WebUser: "apache" with Platform "debian": the RHEL family's web user`},
		{"php-fpm on debian", func(p *webtier.Props) { p.Platform, p.PHPFPMUnit = "debian", "php-fpm" }, `PHPFPMUnit: "php-fpm" with Platform "debian": the RHEL family's PHP-FPM unit`},
		{"apache2 on rhel", func(p *webtier.Props) { p.Platform, p.WebServer = "rhel", "apache2" }, `WebServer: "apache2" with Platform "rhel": Debian's Apache (the RHEL family's is httpd)`},
		{"www-data on rhel", func(p *webtier.Props) { p.Platform, p.WebUser = "rhel", "www-data" }, `WebUser: "www-data" with Platform "rhel": Debian's web user`},
		{"php8.3-fpm on rhel", func(p *webtier.Props) { p.Platform, p.PHPFPMUnit = "rhel", "php8.3-fpm" }, `PHPFPMUnit: "php8.3-fpm" with Platform "rhel": Debian's name of the PHP-FPM unit`},
		{"httpd as PHP-FPM on rhel", func(p *webtier.Props) { p.Platform, p.PHPFPMUnit = "rhel", "httpd" }, `PHPFPMUnit: "httpd" is the web server`},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := *valid
			c.patch(&p)
			if err := webtier.Validate(&p, &testApp{}); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
	for _, ok := range []func(p *webtier.Props){
		func(p *webtier.Props) { p.Platform, p.WebServer, p.WebUser = "rhel", "nginx", "nginx" },
		func(p *webtier.Props) { p.Platform, p.PHPFPMUnit = "rhel", webtier.NoPHPFPM },
		func(p *webtier.Props) { p.Platform, p.PHPFPMUnit = "rhel", "php83-php-fpm" },
		func(p *webtier.Props) { p.WebServer, p.PHPFPMUnit, p.WebUser = "nginx", "php8.3-fpm", "nginx" },
	} {
		p := *valid
		ok(&p)
		if err := webtier.Validate(&p, &testApp{}); err != nil {
			t.Errorf("Platform %q, WebServer %q, WebUser %q, PHPFPMUnit %q: %v", p.Platform, p.WebServer, p.WebUser, p.PHPFPMUnit, err)
		}
	}
}

func TestNoPHPFPMRestartsNone(t *testing.T) {
	stack := cdktest.NewStack(cdktest.NewApp(t), "Test")
	p := rhelProps(stack)
	p.PHPFPMUnit = webtier.NoPHPFPM
	if got := webtier.New(stack, "Tier", p, &testApp{}).Props().PHPFPMUnit; got != "" {
		t.Errorf("PHPFPMUnit %q resolves to %q, want none", webtier.NoPHPFPM, got)
	}
}

// TestTeamLogFilesShipToTheirOwnGroups: each of the caller's LogFiles gets a
// log group like the tier's own (retained, same retention and key), under a
// logical ID pinned here (renaming it replaces the group), linked on the
// dashboard, and the agent ships the file to it.
func TestTeamLogFilesShipToTheirOwnGroups(t *testing.T) {
	tpl := keyed(t)
	groups := tpl.Resources("AWS::Logs::LogGroup")
	boot := cdktest.Props(groups[cdktest.LogicalID(t, tpl, "AWS::Logs::LogGroup", "TierLogsBoot")])
	dashboard := cdktest.JSON(tpl.Resources("AWS::CloudWatch::Dashboard"))
	script := cdktest.BootScript(t, tpl)
	for id, path := range map[string]string{
		"TierLogsSiteAccess0E9D4907": "/var/log/virtualmin/example.com_access_log",
		"TierLogsSiteErrorCB56D5F9":  "/var/log/virtualmin/example.com_error_log",
	} {
		g, ok := groups[id]
		if !ok {
			t.Errorf("no log group %s: its logical ID changed, which replaces the group and its logs", id)
			continue
		}
		if g["DeletionPolicy"] != "Retain" || g["UpdateReplacePolicy"] != "Retain" {
			t.Errorf("%s is not retained: %v", id, g["DeletionPolicy"])
		}
		p := cdktest.Props(g)
		if cdktest.JSON(p["RetentionInDays"]) != cdktest.JSON(boot["RetentionInDays"]) || cdktest.JSON(p["KmsKeyId"]) != cdktest.JSON(boot["KmsKeyId"]) {
			t.Errorf("%s: retention %v, key %v; want the boot log's, %v and %v", id, p["RetentionInDays"], p["KmsKeyId"], boot["RetentionInDays"], boot["KmsKeyId"])
		}
		if !strings.Contains(dashboard, `{"Ref":"`+id+`"}`) {
			t.Errorf("the dashboard does not link %s", id)
		}
		if want := `"file_path":"` + path + `","log_group_name":"` + cdktest.RefValue(id) + `"`; !strings.Contains(script, want) {
			t.Errorf("the agent does not ship %s to %s", path, id)
		}
	}
}

func TestInvalidLogFiles(t *testing.T) {
	valid := props(awscdk.NewStack(nil, nil, nil))
	for _, c := range []struct {
		name  string
		files []webtier.LogFile
		want  string
	}{
		{"id with a dash", []webtier.LogFile{{ID: "site-access", Path: "/var/log/a.log"}}, `LogFiles[0]: id "site-access" is not a log file id; allowed: a letter, then up to 63 letters and digits`},
		{"no id", []webtier.LogFile{{Path: "/var/log/a.log"}}, `LogFiles[0]: id "" is not a log file id`},
		{"the tier's id", []webtier.LogFile{{ID: "WebAccess", Path: "/var/log/a.log"}}, `LogFiles[0]: id "WebAccess" is the tier's own; allowed: a new id per file`},
		{"the application's id", []webtier.LogFile{{ID: "App", Path: "/var/log/a.log"}}, `LogFiles[0]: id "App" is testapp's`},
		{"an id twice", []webtier.LogFile{{ID: "A", Path: "/var/log/a.log"}, {ID: "A", Path: "/var/log/b.log"}}, `LogFiles[1]: id "A" is LogFiles[0]'s`},
		{"relative path", []webtier.LogFile{{ID: "A", Path: "var/log/a.log"}}, `LogFiles[0]: path "var/log/a.log" is not a clean absolute file path or glob`},
		{"unclean path", []webtier.LogFile{{ID: "A", Path: "/var/log/../a.log"}}, `LogFiles[0]: path "/var/log/../a.log" is not a clean absolute file path or glob`},
		{"a space", []webtier.LogFile{{ID: "A", Path: "/var/log/a b.log"}}, `LogFiles[0]: path "/var/log/a b.log" is not a clean`},
		{"the web server's log", []webtier.LogFile{{ID: "A", Path: "/var/log/apache2/*access.log"}}, `LogFiles[0]: path "/var/log/apache2/*access.log" is already shipped: the web server's access log (WebAccess)`},
		{"the application's log", []webtier.LogFile{{ID: "A", Path: "/var/www/app/storage/logs/*.log"}}, `LogFiles[0]: path "/var/www/app/storage/logs/*.log" is already shipped: testapp's log (App)`},
		{"a path twice", []webtier.LogFile{{ID: "A", Path: "/var/log/a.log"}, {ID: "B", Path: "/var/log/a.log"}}, `LogFiles[1]: path "/var/log/a.log" is already shipped: LogFiles[0] (A)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := *valid
			p.LogFiles = c.files
			if err := webtier.Validate(&p, &testApp{}); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
	p := *valid
	p.LogFiles = []webtier.LogFile{{ID: "Vhosts", Path: "/var/log/virtualmin/*_access_log"}, {ID: "Php", Path: "/var/log/php-fpm/www-error.log"}}
	if err := webtier.Validate(&p, &testApp{}); err != nil {
		t.Errorf("a glob and a file: %v", err)
	}
}
