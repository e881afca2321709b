// Package boot builds the boot script (EC2 user data) of a fleet's servers.
//
// A fleet runs copies of one working server, baked into an AMI. What must
// differ on each copy comes from the template through this script, never from
// the AMI: the golden server's private IP in the web server's vhost and in
// /etc/hosts is rewritten to the instance's own, the CloudWatch agent gets its
// configuration, and each tier appends the steps its application needs. The
// web server is stopped first and started only when every step succeeded, so
// a half-configured server never receives traffic: it fails its load balancer
// health check and is replaced.
package boot

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/netip"
	"path"
	"regexp"
	"strings"
	"text/template"
)

// MaxUserDataBytes is EC2's limit on user data, counted before base64 encoding.
const MaxUserDataBytes = 16 * 1024

//go:embed boot.sh.tmpl
var scriptText string

var scriptTemplate = template.Must(template.New("boot.sh").Funcs(template.FuncMap{"quote": Quote}).Parse(shipped(scriptText)))

// shipped returns the script's template without its comment lines and blank
// lines: the comments explain the file in the repository, but user data is
// limited to 16 KB and the tiers need the room. The shebang, the line that
// names the source and shellcheck directives stay. Tier steps are not
// touched (their heredocs may hold lines starting with #).
func shipped(text string) string {
	var b strings.Builder
	for i, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		keep := trimmed != "" && (!strings.HasPrefix(trimmed, "#") || i <= 1 || strings.HasPrefix(trimmed, "# shellcheck"))
		if keep {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

var (
	webServerPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9@._-]{0,99}$`)
	pathPattern      = regexp.MustCompile(`^/[A-Za-z0-9@%+=:,._/-]*$`)
	stepNamePattern  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)
)

// reservedSteps are the names the script itself reports failures under; a
// tier step may not take one, so a failure message names one place only.
var reservedSteps = map[string]bool{
	"setup": true, "stop-web-server": true, "imds": true, "golden-ip": true,
	"cloudwatch-agent": true, "start-web-server": true, "mark-ok": true,
}

// Props configures a boot Script.
type Props struct {
	// GoldenIP is the private IPv4 address of the server the AMI was made from,
	// e.g. "10.0.1.25". Every whole occurrence of it in IPFiles is replaced by
	// the booting instance's own private IP (from IMDSv2).
	//
	// Default: "", nothing is rewritten.
	GoldenIP string

	// IPFiles are the absolute paths of the files in which GoldenIP is
	// replaced, e.g. "/etc/apache2/sites-available/api.example.com.conf". A
	// listed file that does not exist fails the boot. Setting IPFiles replaces
	// the default: list "/etc/hosts" too when it holds the golden address.
	//
	// Default: ["/etc/hosts"] when GoldenIP is set; allowed only with GoldenIP.
	IPFiles []string

	// WebServer is the systemd unit that serves the application, stopped at
	// the start of the boot and started at its end, e.g. "apache2", "httpd",
	// "nginx", "php8.3-fpm".
	//
	// Default: "apache2".
	WebServer string

	// AgentConfig is the CloudWatch agent's JSON configuration, written to
	// /opt/aws/amazon-cloudwatch-agent/etc/tierkit.json before the agent is
	// started (and installed, when the AMI lacks it). It is embedded as data,
	// never interpreted by the shell, so it may hold CDK tokens such as log
	// group names.
	//
	// Default: "", the agent is neither configured nor started.
	AgentConfig string

	// LogFile is where the script appends its output (it also goes to the
	// console, which the EC2 console's "Get system log" shows).
	//
	// Default: "/var/log/tierkit-boot.log".
	LogFile string
}

// Validate reports what is wrong with p, naming the field and what is allowed.
func (p Props) Validate() error {
	var problems []string
	if p.GoldenIP != "" {
		addr, err := netip.ParseAddr(p.GoldenIP)
		switch {
		case err != nil || !addr.Is4() || addr.String() != p.GoldenIP:
			problems = append(problems, fmt.Sprintf("GoldenIP: %q is not an IPv4 address; allowed: dotted decimal, e.g. 10.0.1.25", p.GoldenIP))
		case addr.IsUnspecified() || addr.IsLoopback() || addr.IsMulticast() || addr.IsLinkLocalUnicast() || addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
			problems = append(problems, fmt.Sprintf("GoldenIP: %s is not a server's private address; allowed: the golden server's private IPv4 address", p.GoldenIP))
		}
	}
	if len(p.IPFiles) > 0 && p.GoldenIP == "" {
		problems = append(problems, "IPFiles: set without GoldenIP; allowed: only with GoldenIP (there is nothing to replace)")
	}
	seen := map[string]bool{}
	for i, f := range p.IPFiles {
		switch {
		case !validPath(f):
			problems = append(problems, fmt.Sprintf("IPFiles[%d]: %q is not a clean absolute path; allowed: /, letters, digits and @%%+=:,._-", i, f))
		case seen[f]:
			problems = append(problems, fmt.Sprintf("IPFiles[%d]: %q is listed twice", i, f))
		}
		seen[f] = true
	}
	if p.WebServer != "" && !webServerPattern.MatchString(p.WebServer) {
		problems = append(problems, fmt.Sprintf("WebServer: %q is not a systemd unit name; allowed: letters, digits and @._-, e.g. apache2, httpd, nginx, php8.3-fpm", p.WebServer))
	}
	// json.Valid also guarantees that no line of the configuration can end
	// the heredoc that embeds it: a JSON document has no bare-word line.
	if p.AgentConfig != "" && !json.Valid([]byte(p.AgentConfig)) {
		problems = append(problems, "AgentConfig: not valid JSON; allowed: a CloudWatch agent configuration document")
	}
	if p.LogFile != "" && (!validPath(p.LogFile) || p.LogFile == "/" || strings.HasSuffix(p.LogFile, "/")) {
		problems = append(problems, fmt.Sprintf("LogFile: %q is not a clean absolute file path; allowed: /, letters, digits and @%%+=:,._-", p.LogFile))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

func validPath(p string) bool {
	return pathPattern.MatchString(p) && path.Clean(p) == p
}

type step struct{ Name, Body string }

// Script is a fleet's boot script: the fixed sequence (stop the web server,
// read IMDSv2, rewrite the golden IP, start the CloudWatch agent) followed by
// the tiers' steps in the order they were added, then the web server start.
type Script struct {
	props       Props
	steps       []step
	agentConfig func() string
}

// SetAgentConfig makes Render take the CloudWatch agent configuration from
// config, called when the script is rendered (at synthesis) instead of
// Props.AgentConfig: log files added to a logs block after New still reach
// the agent, e.g. SetAgentConfig(logs.AgentConfig). Render panics when config
// returns something that is not JSON.
func (s *Script) SetAgentConfig(config func() string) { s.agentConfig = config }

// New returns the boot script for props. It panics, with a message starting
// "boot: ", when props are invalid; call props.Validate first to get an error.
func New(props *Props) *Script {
	p := Props{}
	if props != nil {
		p = *props
		p.IPFiles = append([]string(nil), props.IPFiles...)
	}
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("boot: %v", err))
	}
	if p.GoldenIP != "" && len(p.IPFiles) == 0 {
		p.IPFiles = []string{"/etc/hosts"}
	}
	if p.WebServer == "" {
		p.WebServer = "apache2"
	}
	if p.LogFile == "" {
		p.LogFile = "/var/log/tierkit-boot.log"
	}
	p.AgentConfig = strings.TrimRight(p.AgentConfig, "\n")
	return &Script{props: p}
}

// AddStep appends a bash fragment that runs after the built-in steps and
// before the web server starts, in the order steps are added. name is short,
// lower case ([a-z0-9-], up to 40 characters) and unique: failures are
// reported under it. body runs as a function under set -Eeuo pipefail and
// sees ROOT (prefix every path with it), LOCAL_IP, INSTANCE_ID, REGION, the
// function imds PATH, is_singleton, which succeeds only on the fleet's
// singleton server (see fleet.Props.Singleton), and secret_field SECRET_ID
// FIELD, which prints a field of a JSON secret read with the instance role. A command that fails fails the boot; body must not call
// exit (use return to end early). Use Quote for values written into files.
// AddStep panics on an invalid name or an empty body.
func (s *Script) AddStep(name, body string) {
	if !stepNamePattern.MatchString(name) {
		panic(fmt.Sprintf("boot: step %q: name must match [a-z0-9][a-z0-9-]*, up to 40 characters", name))
	}
	if reservedSteps[name] {
		panic(fmt.Sprintf("boot: step %q: the name is the script's own step", name))
	}
	for _, st := range s.steps {
		if st.Name == name {
			panic(fmt.Sprintf("boot: step %q: added twice", name))
		}
	}
	body = strings.TrimRight(body, "\n")
	if strings.TrimSpace(body) == "" {
		panic(fmt.Sprintf("boot: step %q: body is empty", name))
	}
	s.steps = append(s.steps, step{name, body})
}

// Steps returns the names of the tier steps, in the order they run.
func (s *Script) Steps() []string {
	names := make([]string, len(s.steps))
	for i, st := range s.steps {
		names[i] = st.Name
	}
	return names
}

// Render returns the script. It panics when the script is longer than EC2
// accepts as user data (16 KB): a longer one would fail at deploy time. CDK
// tokens in it are resolved at synthesis, so the deployed size differs by the
// difference between each token and its value.
func (s *Script) Render() string {
	var b strings.Builder
	props := s.props
	if s.agentConfig != nil {
		props.AgentConfig = strings.TrimRight(s.agentConfig(), "\n")
		if !json.Valid([]byte(props.AgentConfig)) {
			panic("boot: the agent configuration from SetAgentConfig is not valid JSON")
		}
	}
	data := struct {
		Props
		Steps []step
	}{props, s.steps}
	if err := scriptTemplate.Execute(&b, data); err != nil {
		panic(fmt.Sprintf("boot: rendering the script: %v", err))
	}
	if b.Len() > MaxUserDataBytes {
		panic(fmt.Sprintf("boot: the script is %d bytes, over EC2's user data limit of %d; move large files to S3 or the AMI", b.Len(), MaxUserDataBytes))
	}
	return b.String()
}

// DisabledCronSuffix ends the name a disabled cron file is renamed to, after
// a leading dot: /etc/cron.d/laravel becomes /etc/cron.d/.laravel.disabled-by-tierkit.
const DisabledCronSuffix = ".disabled-by-tierkit"

//go:embed cron-off.sh.tmpl
var cronOffText string

var cronOffTemplate = template.Must(template.New("cron-off").Funcs(template.FuncMap{"quote": Quote}).Parse(cronOffText))

// DisableCronFilesStep returns the body of a step that disables the AMI's
// own cron entries for the application, files (absolute paths; a missing
// one is skipped), on every server: renamed with a leading dot and
// DisabledCronSuffix, which neither Debian's cron nor cronie reads. A tier
// adds it first, so that the golden server's jobs never run on a copy.
func DisableCronFilesStep(files []string) string {
	var b strings.Builder
	if err := cronOffTemplate.Execute(&b, struct {
		Files  []string
		Suffix string
	}{files, DisabledCronSuffix}); err != nil {
		panic(fmt.Sprintf("boot: rendering the cron-off step: %v", err))
	}
	return strings.TrimSpace(b.String())
}

// Quote returns v as a single bash word that expands to exactly v: v in
// single quotes, each single quote in it written as a closing quote, a
// backslash-escaped quote and an opening quote. A CDK token in v is resolved
// at deploy time inside the quotes, so its value must not hold a single quote
// (ARNs, names, endpoints and ports do not).
func Quote(v string) string {
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// StepTemplate parses the template of a step's body, with Quote as "quote".
// Template comments ({{/* */}}) explain a step in the repository and stay
// out of the user data. It panics on a template that does not parse.
func StepTemplate(name, text string) *template.Template {
	return template.Must(template.New(name).Funcs(template.FuncMap{"quote": Quote}).Parse(text))
}

// RenderStep returns a step's body rendered from data, without indentation or
// blank lines: EC2 caps user data at 16 KB, and the script's own part takes
// half of it. No step may depend on leading whitespace (heredocs included).
// It panics when the template fails, naming the step.
func RenderStep(tmpl *template.Template, data any) string {
	var b strings.Builder
	if err := tmpl.Execute(&b, data); err != nil {
		panic(fmt.Sprintf("boot: rendering step %s: %v", tmpl.Name(), err))
	}
	var lines []string
	for _, line := range strings.Split(b.String(), "\n") {
		if line = strings.TrimLeft(line, " \t"); line != "" {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, "\n")
}
