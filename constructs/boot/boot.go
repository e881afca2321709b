// Package boot builds the boot of a fleet's servers: the boot script, and the
// small loader (EC2 user data) that fetches it from S3, checks it, runs it at
// every start and signals the outcome.
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
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"path"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"time"
)

// WorkerTag is the EC2 tag, set to "true", of a worker server: one of a
// fleet's worker groups, in no target group, which serves no requests. Its
// boot stops the web server and never starts it, makes no health check,
// and names its log streams with WorkerStreamPrefix; steps test it with
// is_worker.
const WorkerTag = "tierkit-worker"

// WorkerStreamPrefix starts the name of every log stream a worker server
// writes (the agent's log_stream_name, e.g. worker-{instance_id}), in the
// same log groups as the web servers.
const WorkerStreamPrefix = "worker-"

// MaxUserDataBytes is EC2's limit on user data, counted before base64 encoding.
const MaxUserDataBytes = 16 * 1024

// WorstCaseValueBytes is the length Loader counts each deploy-time value at
// when it checks the user data against MaxUserDataBytes: more than any ARN,
// endpoint, bucket or log group name the tiers pass (CDK tokens are about 20
// characters at synthesis, their values 50 to 150 at deploy time).
const WorstCaseValueBytes = 256

var (
	//go:embed boot.sh.tmpl
	scriptText string
	//go:embed loader.sh.tmpl
	loaderText string
	//go:embed aws.sh.tmpl
	awsText string
)

var (
	scriptTemplate = newTemplate("boot.sh", scriptText, awsText)
	// The loader is user data: its comments stay in the repository.
	loaderTemplate = newTemplate("loader.sh", shipped(loaderText), shipped(awsText))
)

func newTemplate(name, text, aws string) *template.Template {
	t := template.Must(template.New(name).Funcs(template.FuncMap{"quote": Quote}).Parse(text))
	return template.Must(t.Parse(aws))
}

// shipped returns a template without its comment lines and blank lines:
// the comments explain the file in the repository, but user data is limited
// to 16 KB. The shebang, the line that names the source and shellcheck
// directives stay.
func shipped(text string) string {
	var b strings.Builder
	for i, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		header := i <= 1 && (strings.HasPrefix(trimmed, "#!") || strings.HasPrefix(trimmed, "# tierkit"))
		keep := trimmed != "" && (!strings.HasPrefix(trimmed, "#") || header || strings.HasPrefix(trimmed, "# shellcheck"))
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
	"cloudwatch-agent": true, "start-web-server": true, "health-check": true, "mark-ok": true,
	"loader": true, "fetch": true, "prepare": true, "boot": true,
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

	// HealthCheckPath is the load balancer's health check path, e.g. "/up".
	// The boot requests it on the instance's own address and Port once the
	// web server started, and succeeds only when it answers 200.
	//
	// Default: "", no local health check.
	HealthCheckPath string

	// Port is the port the web server listens on, for the health check.
	//
	// Default: 80.
	Port int

	// HealthCheckWait is how long the boot waits for HealthCheckPath to
	// answer 200 (the first PHP requests warm caches), whole seconds, 2 s to 15
	// minutes.
	//
	// Default: 2 minutes; allowed only with HealthCheckPath.
	HealthCheckWait time.Duration
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
	if p.HealthCheckPath != "" && (!strings.HasPrefix(p.HealthCheckPath, "/") || len(p.HealthCheckPath) > 1024 || strings.ContainsAny(p.HealthCheckPath, " \t\r\n'")) {
		problems = append(problems, fmt.Sprintf(`HealthCheckPath: %q is not an absolute path; allowed: a path starting with "/", without spaces or quotes, at most 1024 characters, e.g. "/up"`, p.HealthCheckPath))
	}
	if p.Port < 0 || p.Port > 65535 {
		problems = append(problems, fmt.Sprintf("Port: %d is out of range; allowed: 1 to 65535 (0 for the default, 80)", p.Port))
	}
	switch {
	case p.HealthCheckWait != 0 && p.HealthCheckPath == "":
		problems = append(problems, "HealthCheckWait: set without HealthCheckPath; allowed: only with HealthCheckPath")
	case p.HealthCheckWait != 0 && (p.HealthCheckWait < 2*time.Second || p.HealthCheckWait > 15*time.Minute || p.HealthCheckWait%time.Second != 0):
		problems = append(problems, fmt.Sprintf("HealthCheckWait: %v is out of range; allowed: whole seconds, 2s to 15m (0 for the default, 2m)", p.HealthCheckWait))
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
	if p.Port == 0 {
		p.Port = 80
	}
	if p.HealthCheckWait == 0 {
		p.HealthCheckWait = 2 * time.Minute
	}
	p.AgentConfig = strings.TrimRight(p.AgentConfig, "\n")
	return &Script{props: p}
}

// AddStep appends a bash fragment that runs after the built-in steps and
// before the web server starts, in the order steps are added, at every start
// of the server (so it must be idempotent). name is short, lower case
// ([a-z0-9-], up to 40 characters) and unique: failures are reported under
// it. body runs as a function under set -Eeuo pipefail and sees ROOT (prefix
// every path with it), LOCAL_IP, INSTANCE_ID, REGION, and the functions imds
// PATH, imds_tag KEY, is_singleton (succeeds only on the fleet's singleton
// server, see fleet.Props.Singleton), is_worker (succeeds only on a worker
// server, tagged WorkerTag=true: see fleet's AddWorkerGroup), first_boot
// (succeeds until a boot of this instance succeeded: guard what must happen
// once per instance),
// secret_field SECRET_ID FIELD (a field of a JSON secret read with the
// instance role), read_reference VAR REF (sets VAR to the value of
// "secretsmanager:ARN", "secretsmanager:ARN#KEY" or "ssm:NAME", any
// characters exactly, read with the instance role), aws_endpoint SERVICE and
// aws_request SERVICE URL CURL_ARGS (a request signed with the instance role). A command that fails fails the
// boot; body must not call exit (use return to end early). Use Quote for
// values written into files; CDK tokens in the body travel as the loader's
// values. AddStep panics on an invalid name or an empty body.
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

// Render returns the boot script. CDK tokens in it stay as they are: Artifact
// replaces them by placeholders that the loader fills in.
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
		Steps              []step
		WorkerStreamPrefix string
	}{props, s.steps, WorkerStreamPrefix}
	if err := scriptTemplate.Execute(&b, data); err != nil {
		panic(fmt.Sprintf("boot: rendering the script: %v", err))
	}
	return b.String()
}

// HealthCheckSeconds is HealthCheckWait in seconds, for the script.
func (p Props) HealthCheckSeconds() int { return int(p.HealthCheckWait / time.Second) }

// placeholderPrefix starts each placeholder of a deploy-time value:
// @tierkit:1@, @tierkit:2@, ...
const placeholderPrefix = "@tierkit:"

// Artifact is the boot script as it travels to the servers: a file whose
// deploy-time values are placeholders, named and checked by its SHA-256.
type Artifact struct {
	// Script is the boot script, value i (from 0) replaced by @tierkit:i+1@.
	Script string
	// SHA256 is the hex SHA-256 of Script.
	SHA256 string
	// Values are what the placeholders stand for, in order: CDK tokens,
	// resolved by CloudFormation in the user data.
	Values []string
}

// Artifact renders the script and makes it an artifact (NewArtifact).
func (s *Script) Artifact(values []string) Artifact { return NewArtifact(s.Render(), values) }

// NewArtifact replaces, in text (a rendered script), every occurrence of each
// of values (distinct, non-empty strings, e.g. the CDK tokens in it) by a
// placeholder. It panics when text already holds something that looks like a
// placeholder.
func NewArtifact(text string, values []string) Artifact {
	if strings.Contains(text, placeholderPrefix) {
		panic("boot: the script holds " + placeholderPrefix + ", which the loader's placeholders use")
	}
	a := Artifact{Values: slices.Clone(values)}
	for i, v := range values {
		if v == "" {
			panic(fmt.Sprintf("boot: Artifact: value %d is empty", i))
		}
		text = strings.ReplaceAll(text, v, fmt.Sprintf("%s%d@", placeholderPrefix, i+1))
	}
	sum := sha256.Sum256([]byte(text))
	a.Script, a.SHA256 = text, hex.EncodeToString(sum[:])
	return a
}

// Location is where the servers fetch the artifact from, and whom they
// signal.
type Location struct {
	// Bucket and Key locate the artifact in S3 (CDK tokens allowed).
	Bucket, Key string
	// Stack is the CloudFormation stack (name or ID; a token allowed) that
	// the servers signal SUCCESS or FAILURE, once, at their first boot, for
	// the resource their tag tierkit-signal-resource names. "" sends none.
	Stack string
}

// Loader returns the user data that delivers a: it fetches a.Script from
// loc with the instance role, checks its SHA-256, fills in a.Values, runs it
// at this and every later start, and signals the outcome. It panics when
// the user data could exceed EC2's limit once deployed, counting every
// value (loc's included) at WorstCaseValueBytes or its own length if longer.
func (s *Script) Loader(a Artifact, loc Location) string {
	var b strings.Builder
	data := struct {
		Location
		LogFile, WebServer, SHA256 string
		Values                     []string
	}{loc, s.props.LogFile, s.props.WebServer, a.SHA256, a.Values}
	if err := loaderTemplate.Execute(&b, data); err != nil {
		panic(fmt.Sprintf("boot: rendering the loader: %v", err))
	}
	worst := b.Len()
	for _, v := range append([]string{loc.Bucket, loc.Key, loc.Stack}, a.Values...) {
		worst += max(0, WorstCaseValueBytes-len(v))
	}
	if worst > MaxUserDataBytes {
		panic(fmt.Sprintf("boot: the user data can reach %d bytes once deployed (%d deploy-time values counted at %d bytes each), over EC2's limit of %d; "+
			"steps may use any number of literal bytes, but each distinct deploy-time value (a CDK token) adds one line to the user data", worst, len(a.Values)+3, WorstCaseValueBytes, MaxUserDataBytes))
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
// blank lines, which keeps the boot script on the server compact; template
// comments ({{/* */}}) stay in the repository. No step may depend on leading
// whitespace (heredocs included).
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
