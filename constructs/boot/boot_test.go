package boot_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/internal/cdktest"
)

const (
	golden = "10.0.0.1"
	vhost  = "/etc/apache2/sites-available/api.example.com.conf"
	// agentConfig holds a CDK token marker, as the logs block's does: the
	// script must carry it to the file untouched.
	agentConfig = `{"logs":{"logs_collected":{"files":{"collect_list":[{"file_path":"/var/log/apache2/access.log","log_group_name":"${Token[TOKEN.123]}"}]}}}}`
)

func exitCode(err error) int {
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	return -1
}

func TestGoldenIPIsReplacedByTheInstanceIP(t *testing.T) {
	m := newMachine(t)
	cdktest.WriteFile(t, filepath.Join(m.Root, "etc/hosts"), "127.0.0.1 localhost\n10.0.0.1 api.example.com api\n10.0.0.10 db.internal\n110.0.0.1 far\n", 0o644)
	cdktest.WriteFile(t, filepath.Join(m.Root, vhost), strings.Join([]string{
		"<VirtualHost 10.0.0.1:80>",
		"  ServerName api.example.com",
		"  Require ip 10.0.0.1 10.0.0.1 10.0.0.10",
		"  # moved from 10.0.0.1.",
		"  Define NOT_AN_IP 10.0.0.1.5 10a0b0c1",
		"</VirtualHost>",
		"",
	}, "\n"), 0o644)
	// Apache serves sites-enabled, a symlink into sites-available: it must stay one.
	enabled := filepath.Join(m.Root, "etc/apache2/sites-enabled/api.example.com.conf")
	if err := os.MkdirAll(filepath.Dir(enabled), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../sites-available/api.example.com.conf", enabled); err != nil {
		t.Fatal(err)
	}
	s := boot.New(&boot.Props{GoldenIP: golden, IPFiles: []string{"/etc/hosts", "/etc/apache2/sites-enabled/api.example.com.conf"}})

	r := m.run(t, s.Render())
	if r.Err != nil {
		t.Fatalf("boot failed: %v\n%s", r.Err, r.Console)
	}
	if got, want := cdktest.ReadFile(t, filepath.Join(m.Root, "etc/hosts")), "127.0.0.1 localhost\n10.0.2.33 api.example.com api\n10.0.0.10 db.internal\n110.0.0.1 far\n"; got != want {
		t.Errorf("/etc/hosts:\n%s\nwant:\n%s", got, want)
	}
	want := strings.Join([]string{
		"<VirtualHost 10.0.2.33:80>",
		"  ServerName api.example.com",
		"  Require ip 10.0.2.33 10.0.2.33 10.0.0.10",
		"  # moved from 10.0.2.33.",
		"  Define NOT_AN_IP 10.0.0.1.5 10a0b0c1",
		"</VirtualHost>",
		"",
	}, "\n")
	if got := cdktest.ReadFile(t, filepath.Join(m.Root, vhost)); got != want {
		t.Errorf("vhost:\n%s\nwant:\n%s", got, want)
	}
	if fi, err := os.Lstat(enabled); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("sites-enabled is no longer a symlink (%v)", err)
	}
	if !strings.Contains(r.Log, "/etc/hosts: 1 line(s) rewritten from 10.0.0.1 to 10.0.2.33") {
		t.Errorf("the log does not say what was rewritten:\n%s", r.Log)
	}
}

func TestMissingIPFileFailsTheBoot(t *testing.T) {
	m := newMachine(t)
	r := m.run(t, boot.New(&boot.Props{GoldenIP: golden, IPFiles: []string{"/etc/hosts", vhost}}).Render())
	if r.Err == nil || !strings.Contains(r.Log, "golden-ip: "+vhost+" not found") || !m.exists("var/lib/tierkit/boot-failed") {
		t.Errorf("a listed file that is missing must fail the boot (err %v):\n%s", r.Err, r.Log)
	}
}

func TestAgentConfigIsWrittenAndTheAgentStarted(t *testing.T) {
	m := newMachine(t)
	m.withAgent(t)
	r := m.run(t, boot.New(&boot.Props{AgentConfig: agentConfig}).Render())
	if r.Err != nil {
		t.Fatalf("boot failed: %v\n%s", r.Err, r.Console)
	}
	config := filepath.Join(m.Root, "opt/aws/amazon-cloudwatch-agent/etc/tierkit.json")
	if got := cdktest.ReadFile(t, config); got != agentConfig+"\n" {
		t.Errorf("agent config:\n%s\nwant:\n%s", got, agentConfig)
	}
	want := "agent-ctl -a fetch-config -m ec2 -s -c file:" + config
	if !slices.Contains(r.Calls, want) {
		t.Errorf("calls %q; want %q", r.Calls, want)
	}
}

func TestAgentIsNeverInstalledUnderATestRoot(t *testing.T) {
	m := newMachine(t) // no agent stub: the script would download and install it on EC2
	r := m.run(t, boot.New(&boot.Props{AgentConfig: agentConfig}).Render())
	if r.Err == nil || !strings.Contains(r.Log, "cloudwatch-agent: no agent at ") {
		t.Errorf("want the boot to fail instead of installing the agent (err %v):\n%s", r.Err, r.Log)
	}
}

func TestStepsRunInOrderAndSeeTheInstance(t *testing.T) {
	m := newMachine(t)
	s := boot.New(nil)
	s.AddStep("first", `echo "first $LOCAL_IP $INSTANCE_ID $REGION" >>"$TIERKIT_TEST_CALLS"`)
	s.AddStep("second", `local az
az=$(imds placement/availability-zone)
echo "second $az $(imds /latest/dynamic/instance-identity/document)" >>"$TIERKIT_TEST_CALLS"
mkdir -p "$ROOT/etc/app"
printf 'LOCAL_IP=%s\n' `+boot.Quote("it's $LOCAL_IP, literally")+` >"$ROOT/etc/app/env"`)
	if got := s.Steps(); !slices.Equal(got, []string{"first", "second"}) {
		t.Errorf("Steps() = %q", got)
	}

	r := m.run(t, s.Render())
	if r.Err != nil {
		t.Fatalf("boot failed: %v\n%s", r.Err, r.Console)
	}
	want := []string{
		"systemctl stop apache2",
		"first 10.0.2.33 i-0123456789abcdef0 us-east-1",
		`second us-east-1b {"region":"us-east-1"}`,
		"systemctl restart apache2",
	}
	if !slices.Equal(r.Calls, want) {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(r.Calls, "\n"), strings.Join(want, "\n"))
	}
	if got := cdktest.ReadFile(t, filepath.Join(m.Root, "etc/app/env")); got != "LOCAL_IP=it's $LOCAL_IP, literally\n" {
		t.Errorf("a quoted value was expanded: %q", got)
	}
	if !strings.Contains(r.Log, "tierkit-boot: step first") || !strings.Contains(r.Console, "tierkit-boot: step second") {
		t.Errorf("steps are not announced in the log and on the console")
	}
}

func TestWebServerIsStoppedFirstAndStartedLast(t *testing.T) {
	m := newMachine(t)
	m.withAgent(t)
	s := boot.New(&boot.Props{WebServer: "php8.3-fpm", GoldenIP: golden, AgentConfig: agentConfig})
	s.AddStep("configure", `echo configure >>"$TIERKIT_TEST_CALLS"`)

	r := m.run(t, s.Render())
	if r.Err != nil {
		t.Fatalf("boot failed: %v\n%s", r.Err, r.Console)
	}
	if len(r.Calls) < 3 || r.Calls[0] != "systemctl stop php8.3-fpm" || r.Calls[len(r.Calls)-1] != "systemctl restart php8.3-fpm" {
		t.Errorf("calls %q: want the web server stopped first and started last", r.Calls)
	}
	if !m.exists("var/lib/tierkit/boot-ok") || m.exists("var/lib/tierkit/boot-failed") {
		t.Errorf("want boot-ok and no boot-failed")
	}
	if !strings.Contains(r.Log, "tierkit-boot: boot succeeded") || !strings.Contains(r.Console, "tierkit-boot: boot succeeded") {
		t.Errorf("success is not in the log and on the console:\n%s", r.Log)
	}
}

func TestFailingStepKeepsTheWebServerDown(t *testing.T) {
	m := newMachine(t)
	cdktest.WriteFile(t, filepath.Join(m.Root, "var/lib/tierkit/boot-ok"), "baked into the AMI\n", 0o644)
	s := boot.New(nil)
	s.AddStep("migrate", `echo migrating
sh -c 'exit 3' # the failing command
echo "not reached" >>"$TIERKIT_TEST_CALLS"`)
	s.AddStep("after", `echo "after" >>"$TIERKIT_TEST_CALLS"`)
	script := s.Render()

	r := m.run(t, script)
	if code := exitCode(r.Err); code != 3 {
		t.Errorf("exit code %d, want 3 (the failing command's)", code)
	}
	if strings.Contains(r.Console, "Bad file descriptor") {
		t.Errorf("the exit handler stumbled on the step's closed descriptors:\n%s", r.Console)
	}
	line := fmt.Sprintf("tierkit-boot: step migrate failed (exit 3, line %d)", lineOf(t, script, "# the failing command"))
	if !strings.Contains(r.Log, line) || !strings.Contains(r.Console, line) {
		t.Errorf("want %q in the log and on the console; log:\n%s", line, r.Log)
	}
	if got := cdktest.ReadFile(t, filepath.Join(m.Root, "var/lib/tierkit/boot-failed")); !strings.Contains(got, "step migrate failed") {
		t.Errorf("boot-failed: %q", got)
	}
	if m.exists("var/lib/tierkit/boot-ok") {
		t.Errorf("boot-ok exists after a failed boot")
	}
	for _, c := range r.Calls {
		if strings.Contains(c, "start") || c == "after" || c == "not reached" {
			t.Errorf("ran %q after the failure; calls %q", c, r.Calls)
		}
	}
	if strings.Count(r.Log, "failed (exit") != 1 {
		t.Errorf("the failure is reported more than once:\n%s", r.Log)
	}
}

func TestStepThatEndsTheShellFailsTheBoot(t *testing.T) {
	for name, body := range map[string]string{"exit": "exit 0", "unset variable": `echo "$NOT_SET_ANYWHERE"`} {
		t.Run(name, func(t *testing.T) {
			m := newMachine(t)
			s := boot.New(nil)
			s.AddStep("quit", body)
			r := m.run(t, s.Render())
			if r.Err == nil || !m.exists("var/lib/tierkit/boot-failed") || slices.Contains(r.Calls, "systemctl restart apache2") {
				t.Errorf("a step that ends the shell must fail the boot (err %v, calls %q):\n%s", r.Err, r.Calls, r.Log)
			}
			if !strings.Contains(r.Log, "tierkit-boot: step quit failed (exit ") {
				t.Errorf("the log does not name the step:\n%s", r.Log)
			}
		})
	}
}

func TestIMDSIsNeverReadWithoutAToken(t *testing.T) {
	m := newMachine(t)
	s := boot.New(&boot.Props{GoldenIP: golden})
	s.AddStep("read", `imds placement/availability-zone >/dev/null`)
	if r := m.run(t, s.Render()); r.Err != nil {
		t.Fatalf("boot failed: %v\n%s", r.Err, r.Console)
	}
	reqs := m.imds.Requests()
	if len(reqs) < 4 || reqs[0].Method != "PUT" || reqs[0].Path != "/latest/api/token" || reqs[0].TTL == "" {
		t.Fatalf("want a token first, then reads; got %+v", reqs)
	}
	for _, r := range reqs[1:] {
		if r.Method != "GET" || r.Token != imdsToken {
			t.Errorf("%s %s with token %q: every read must carry the session token", r.Method, r.Path, r.Token)
		}
	}
}

func TestBootFailsWhenIMDSRefusesTheReads(t *testing.T) {
	m := newMachine(t)
	m.imds.rejectAll = true // 401, as IMDS answers a read without a valid token
	r := m.run(t, boot.New(nil).Render())
	if r.Err == nil || !m.exists("var/lib/tierkit/boot-failed") || !strings.Contains(r.Log, "tierkit-boot: step imds failed (exit 22") {
		t.Errorf("want the boot to fail in step imds (err %v):\n%s", r.Err, r.Log)
	}
	if slices.Contains(r.Calls, "systemctl restart apache2") {
		t.Errorf("the web server was started: %q", r.Calls)
	}
}

func TestRenderedScriptsPassShellcheck(t *testing.T) {
	if _, err := exec.LookPath("shellcheck"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("shellcheck is not on PATH: install shellcheck (Debian package shellcheck)")
		}
		t.Skip("install shellcheck (Debian package shellcheck)")
	}
	full := boot.New(&boot.Props{GoldenIP: golden, IPFiles: []string{"/etc/hosts", vhost}, WebServer: "httpd", AgentConfig: agentConfig})
	full.AddStep("env", `cat >"$ROOT/etc/app.env" <<EOF
APP_URL=`+boot.Quote("https://api.example.com")+`
LOCAL_IP=$LOCAL_IP
EOF`)
	full.AddStep("cache", `php artisan config:cache`)
	for name, s := range map[string]*boot.Script{"default": boot.New(nil), "full": full} {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "user-data")
			cdktest.WriteFile(t, file, s.Render(), 0o644)
			if out, err := exec.Command("shellcheck", "--severity=style", file).CombinedOutput(); err != nil {
				t.Errorf("shellcheck: %v\n%s", err, out)
			}
		})
	}
}

func TestScriptStaysWellUnderTheUserDataLimit(t *testing.T) {
	s := boot.New(&boot.Props{GoldenIP: golden, IPFiles: []string{"/etc/hosts", vhost}, AgentConfig: agentConfig})
	if n := len(s.Render()); n > boot.MaxUserDataBytes/2 {
		t.Errorf("the script alone is %d bytes: it leaves the tiers less than half of the %d-byte limit", n, boot.MaxUserDataBytes)
	}
}

func TestRenderRefusesAScriptOverTheUserDataLimit(t *testing.T) {
	s := boot.New(nil)
	s.AddStep("big", "echo "+strings.Repeat("x", boot.MaxUserDataBytes))
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "over EC2's user data limit of 16384") {
			t.Errorf("got %v, want a panic naming the limit", r)
		}
	}()
	s.Render()
}

func TestQuoteKeepsValuesLiteral(t *testing.T) {
	for _, v := range []string{"", "plain", "it's", `$HOME "$(id)" ${Token[TOKEN.12]}`, "a\nb", `\'`, "'''"} {
		out, err := exec.Command("bash", "-c", "printf %s "+boot.Quote(v)).Output()
		if err != nil || string(out) != v {
			t.Errorf("Quote(%q) expands to %q (%v)", v, out, err)
		}
	}
}

func TestInvalidProps(t *testing.T) {
	cases := []struct {
		name  string
		props boot.Props
		want  string
	}{
		{"golden IP not an address", boot.Props{GoldenIP: "10.0.0"}, `GoldenIP: "10.0.0" is not an IPv4 address`},
		{"golden IP with leading zeros", boot.Props{GoldenIP: "10.0.0.01"}, `GoldenIP: "10.0.0.01" is not an IPv4 address`},
		{"golden IP v6", boot.Props{GoldenIP: "fd00::1"}, `GoldenIP: "fd00::1" is not an IPv4 address`},
		{"golden IP loopback", boot.Props{GoldenIP: "127.0.0.1"}, "GoldenIP: 127.0.0.1 is not a server's private address"},
		{"IP files without golden IP", boot.Props{IPFiles: []string{"/etc/hosts"}}, "IPFiles: set without GoldenIP"},
		{"relative IP file", boot.Props{GoldenIP: golden, IPFiles: []string{"etc/hosts"}}, `IPFiles[0]: "etc/hosts" is not a clean absolute path`},
		{"IP file with dot-dot", boot.Props{GoldenIP: golden, IPFiles: []string{"/etc/../etc/hosts"}}, `IPFiles[0]: "/etc/../etc/hosts" is not a clean absolute path`},
		{"IP file with a quote", boot.Props{GoldenIP: golden, IPFiles: []string{"/etc/host's"}}, `IPFiles[0]: "/etc/host's" is not a clean absolute path`},
		{"IP file twice", boot.Props{GoldenIP: golden, IPFiles: []string{"/etc/hosts", "/etc/hosts"}}, `IPFiles[1]: "/etc/hosts" is listed twice`},
		{"web server with a space", boot.Props{WebServer: "apache2; reboot"}, `WebServer: "apache2; reboot" is not a systemd unit name`},
		{"agent config not JSON", boot.Props{AgentConfig: "{logs:"}, "AgentConfig: not valid JSON"},
		{"agent config heredoc end", boot.Props{AgentConfig: "{}\nTIERKIT_AGENT_CONFIG\nrm -rf /"}, "AgentConfig: not valid JSON"},
		{"log file relative", boot.Props{LogFile: "boot.log"}, `LogFile: "boot.log" is not a clean absolute file path`},
		{"log file a directory", boot.Props{LogFile: "/var/log/"}, `LogFile: "/var/log/" is not a clean absolute file path`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.props.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	err := boot.Props{GoldenIP: "x", WebServer: "a b", LogFile: "log"}.Validate()
	for _, field := range []string{"GoldenIP: ", "; WebServer: ", "; LogFile: "} {
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("got %v, want a problem with %s", err, strings.Trim(field, "; "))
		}
	}
}

func TestNewPanicsOnInvalidProps(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "boot: GoldenIP:") {
			t.Errorf("got %v, want a panic starting with boot: GoldenIP:", r)
		}
	}()
	boot.New(&boot.Props{GoldenIP: "not-an-ip"})
}

func TestAddStepRefusesBadSteps(t *testing.T) {
	cases := []struct{ name, stepName, body, want string }{
		{"upper case", "Migrate", "true", `boot: step "Migrate": name must match`},
		{"empty name", "", "true", `boot: step "": name must match`},
		{"space", "run migrations", "true", `boot: step "run migrations": name must match`},
		{"reserved", "imds", "true", `boot: step "imds": the name is the script's own step`},
		{"twice", "env", "true", `boot: step "env": added twice`},
		{"empty body", "blank", " \n\t\n", `boot: step "blank": body is empty`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := boot.New(nil)
			s.AddStep("env", "true")
			defer func() {
				if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), c.want) {
					t.Errorf("got %v, want a panic starting with %q", r, c.want)
				}
			}()
			s.AddStep(c.stepName, c.body)
		})
	}
}

func TestNewCopiesProps(t *testing.T) {
	files := []string{"/etc/hosts"}
	s := boot.New(&boot.Props{GoldenIP: golden, IPFiles: files})
	files[0] = "/etc/changed"
	if script := s.Render(); !strings.Contains(script, "'/etc/hosts'") || strings.Contains(script, "/etc/changed") {
		t.Errorf("the script follows the caller's slice after New")
	}
}

func TestSetAgentConfigIsReadWhenTheScriptIsRendered(t *testing.T) {
	s := boot.New(nil)
	config := `{"logs":{}}`
	s.SetAgentConfig(func() string { return config })
	config = `{"logs":{"late":true}}`
	if out := s.Render(); !strings.Contains(out, `{"logs":{"late":true}}`) {
		t.Errorf("the rendered script does not hold the configuration current at render time:\n%s", out)
	}
}

func TestSetAgentConfigRefusesInvalidJSON(t *testing.T) {
	s := boot.New(nil)
	s.SetAgentConfig(func() string { return "{logs:" })
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "not valid JSON") {
			t.Errorf("got %v, want a panic about invalid JSON", r)
		}
	}()
	s.Render()
}

// TestIsSingletonHoldsOnlyOnTheTaggedServer runs one script on two servers:
// the one tagged tierkit-singleton=true and one without the tag (IMDS 404).
func TestIsSingletonHoldsOnlyOnTheTaggedServer(t *testing.T) {
	s := boot.New(nil)
	s.AddStep("once", `if is_singleton; then touch "$ROOT/singleton"; else touch "$ROOT/not-singleton"; fi`)
	script := s.Render()
	for _, singleton := range []bool{true, false} {
		m := newMachine(t)
		m.imds.singleton = singleton
		if r := m.run(t, script); r.Err != nil {
			t.Fatalf("singleton=%v: boot failed: %v\n%s", singleton, r.Err, r.Console)
		}
		_, errYes := os.Stat(filepath.Join(m.Root, "singleton"))
		_, errNo := os.Stat(filepath.Join(m.Root, "not-singleton"))
		if (errYes == nil) != singleton || (errNo == nil) == singleton {
			t.Errorf("singleton=%v: is_singleton answered the other way", singleton)
		}
	}
}

// TestSecretFieldReadsTheSecretWithASignedRequest serves a fake Secrets
// Manager that answers only signed GetSecretValue calls with the role's
// session token, and checks the value reaches the step but not the log.
func TestSecretFieldReadsTheSecretWithASignedRequest(t *testing.T) {
	var sawSigned bool
	sm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/") ||
			r.Header.Get("X-Amz-Security-Token") != "session-token" ||
			r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" || !strings.Contains(string(body), `"SecretId":"arn:db"`) {
			http.Error(w, `{"__type":"AccessDeniedException"}`, http.StatusBadRequest)
			return
		}
		sawSigned = true
		w.Write([]byte(`{"ARN":"arn:db","SecretString":"{\"username\":\"app\",\"password\":\"pw-3xAmple\"}"}`))
	}))
	defer sm.Close()
	s := boot.New(nil)
	s.AddStep("read", `local pw
pw=$(secret_field arn:db password)
printf '%s' "$pw" >"$ROOT/password"
secret_field arn:db missing >/dev/null || echo "missing field fails" >>"$TIERKIT_TEST_CALLS"`)
	m := newMachine(t)
	m.extraEnv = append(m.extraEnv, "TIERKIT_SECRETS_ENDPOINT="+sm.URL)
	r := m.run(t, s.Render())
	if !sawSigned {
		t.Fatalf("no signed request reached the fake; boot: %v\n%s", r.Err, r.Console)
	}
	if r.Err != nil || !slices.Contains(r.Calls, "missing field fails") {
		t.Errorf("boot: %v, calls %q; want success, with a missing field reported as a failure the step handles", r.Err, r.Calls)
	}
	if got := cdktest.ReadFile(t, filepath.Join(m.Root, "password")); got != "pw-3xAmple" {
		t.Errorf("the step read %q, want the secret's password", got)
	}
	if strings.Contains(r.Log, "pw-3xAmple") || strings.Contains(r.Console, "pw-3xAmple") {
		t.Errorf("the secret is in the boot log")
	}
}

func TestDisableCronFilesStepRenamesTheAMIsEntries(t *testing.T) {
	m := newMachine(t)
	cdktest.WriteFile(t, filepath.Join(m.Root, "etc/cron.d/laravel"), "* * * * * www-data php artisan schedule:run\n", 0o644)
	s := boot.New(nil)
	s.AddStep("cron-off", boot.DisableCronFilesStep([]string{"/etc/cron.d/laravel", "/etc/cron.d/absent"}))
	if r := m.run(t, s.Render()); r.Err != nil {
		t.Fatalf("boot failed: %v\n%s", r.Err, r.Console)
	}
	if m.exists("etc/cron.d/laravel") || !m.exists("etc/cron.d/.laravel"+boot.DisabledCronSuffix) {
		t.Errorf("/etc/cron.d/laravel was not renamed to .laravel%s", boot.DisabledCronSuffix)
	}
}
