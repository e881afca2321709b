package laravel

import (
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/tierkit/tierkit/constructs/webtier"
	"github.com/tierkit/tierkit/internal/check"
)

// SessionDomainOff, as SessionDomain, leaves SESSION_DOMAIN as the AMI's
// .env has it.
const SessionDomainOff = "off"

// tierEnvKeys are the .env keys the tier writes or removes in some
// configuration (stepData; REDIS_PASSWORD is the cache's AUTH token): Env
// and EnvSecrets may not set them, each has a setting of its own or is
// the tier's to decide.
var tierEnvKeys = []string{
	"APP_ENV", "APP_DEBUG", "APP_URL",
	"DB_CONNECTION", "DB_HOST", "DB_PORT", "DB_DATABASE", "DB_USERNAME", "DB_PASSWORD", "DB_SSLMODE", "DB_SSLROOTCERT",
	"MYSQL_ATTR_SSL_CA", "DB_URL", "DATABASE_URL", "DB_SOCKET",
	"SESSION_DRIVER", "SESSION_SECURE_COOKIE", "SESSION_DOMAIN", "CACHE_STORE",
	"REDIS_HOST", "REDIS_PORT", "REDIS_SCHEME", "REDIS_PASSWORD", "REDIS_URL", "DYNAMODB_CACHE_TABLE", "DYNAMODB_ENDPOINT",
	"FILESYSTEM_DISK", "AWS_BUCKET", "AWS_DEFAULT_REGION", "AWS_USE_PATH_STYLE_ENDPOINT",
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"TRUSTED_PROXIES", "FRONTEND_URL", "CORS_ALLOWED_ORIGINS", "SANCTUM_STATEFUL_DOMAINS", "LOG_CHANNEL",
}

// TierEnvKeys returns the .env keys the tier writes or removes in some
// configuration, which Env and EnvSecrets may not set.
func TierEnvKeys() []string { return slices.Clone(tierEnvKeys) }

// envKeyPattern is a key phpdotenv reads and the boot's rewrite finds.
var envKeyPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)

// validateSettings records the problems of Env, EnvSecrets, DecryptKeys and
// SessionDomain for the tier p.
func (a *App) validateSettings(p webtier.Props, pr *check.Problems) {
	for _, f := range []struct {
		field string
		m     map[string]string
	}{{"Env", a.Env}, {"EnvSecrets", a.EnvSecrets}} {
		for _, key := range slices.Sorted(maps.Keys(f.m)) {
			path := f.field + "[" + key + "]"
			switch {
			case !envKeyPattern.MatchString(key):
				pr.Add(path, "%q is not a .env key; allowed: a letter or _, then up to 127 letters, digits or _, e.g. MAIL_PASSWORD", key)
			case slices.Contains(tierEnvKeys, key):
				pr.Add(path, "%s is written by the tier from its own settings; allowed: any key but %s", key, strings.Join(tierEnvKeys, ", "))
			case f.field == "Env" && key == "APP_KEY":
				pr.Add(path, "APP_KEY in the template would let anyone who can read it forge cookies and decrypt sessions; allowed: in EnvSecrets, or left as the AMI's .env has it")
			case f.field == "Env" && strings.ContainsAny(f.m[key], "\n\r\x00"):
				pr.Add(path, "the value spans lines; allowed: one line (.env holds one value a line)")
			case f.field == "EnvSecrets":
				if _, dup := a.Env[key]; dup {
					pr.Add(path, "%s is also set in Env; allowed: one of Env and EnvSecrets", key)
				}
			}
		}
	}
	webtier.CheckReferences(pr, "EnvSecrets", a.EnvSecrets)
	webtier.CheckDecryptKeys(pr, "DecryptKeys", a.DecryptKeys, len(a.EnvSecrets))
	switch d := a.SessionDomain; {
	case d == "" || d == SessionDomainOff:
	case !check.HostName(strings.TrimPrefix(d, ".")):
		pr.Add("SessionDomain", "%q is not a domain; allowed: \"\" (derived), %q, or a parent of DomainName such as .example.com", d, SessionDomainOff)
	case !check.InZone(p.DomainName, strings.TrimPrefix(d, ".")):
		pr.Add("SessionDomain", "%q does not cover DomainName %s, whose answers would then set no cookie; allowed: %s or a parent of it", d, p.DomainName, p.DomainName)
	case publicSuffix(strings.TrimPrefix(d, ".")):
		pr.Add("SessionDomain", "%q is a public suffix, on which browsers refuse cookies; allowed: a domain below it, e.g. the one you registered", d)
	}
}

// publicSuffix reports whether name is a public suffix (com, co.uk,
// github.io, ...), on which browsers refuse to set cookies.
func publicSuffix(name string) bool {
	suffix, _ := publicsuffix.PublicSuffix(name)
	return suffix == name
}

// sessionDomain returns SESSION_DOMAIN for the tier serving domain, or ""
// to leave the AMI's: SessionDomain when set, otherwise ".<parent>" when
// domain and a frontend origin's host are different names with a common
// parent below the public suffix (the site example.com and the API
// api.example.com give .example.com), so that Sanctum's session cookie,
// set by the API, is sent by the site's requests too. With several related
// origins, the widest parent covers them all; origins unrelated to domain
// (another registered domain, localhost) are left out: they cannot share a
// cookie with it.
func (a *App) sessionDomain(domain string) string {
	switch a.SessionDomain {
	case SessionDomainOff:
		return ""
	case "":
	default:
		return "." + strings.TrimPrefix(a.SessionDomain, ".")
	}
	parent := ""
	for _, origin := range a.FrontendOrigins {
		u, err := url.Parse(origin)
		if err != nil || u.Hostname() == domain {
			continue
		}
		common := commonParent(domain, u.Hostname())
		if common == "" || publicSuffix(common) {
			continue
		}
		if parent == "" || len(common) < len(parent) {
			parent = common
		}
	}
	if parent == "" {
		return ""
	}
	return "." + parent
}

// commonParent returns the longest domain both a and b are, or are below,
// e.g. example.com for api.example.com and www.example.com; "" when they
// share no label.
func commonParent(a, b string) string {
	la, lb := strings.Split(a, "."), strings.Split(b, ".")
	n := 0
	for n < len(la) && n < len(lb) && la[len(la)-1-n] == lb[len(lb)-1-n] {
		n++
	}
	return strings.Join(la[len(la)-n:], ".")
}

// secretEntry is an EnvSecrets setting: its key, its reference, and the
// shell variable the boot reads it into.
type secretEntry struct{ Key, Ref, Var string }

// settingsEnv returns the .env entries of Env (sorted by key), SESSION_DOMAIN
// when there is one, and those of EnvSecrets (sorted by key), whose values
// are read at boot into the variables of secrets.
func (a *App) settingsEnv(domain string) (env []envEntry, secrets []secretEntry) {
	for _, key := range slices.Sorted(maps.Keys(a.Env)) {
		env = append(env, envEntry{Key: key, Value: a.Env[key]})
	}
	if d := a.sessionDomain(domain); d != "" {
		env = append(env, envEntry{Key: "SESSION_DOMAIN", Value: d})
	}
	for i, key := range slices.Sorted(maps.Keys(a.EnvSecrets)) {
		s := secretEntry{Key: key, Ref: a.EnvSecrets[key], Var: "secret_" + strconv.Itoa(i)}
		secrets = append(secrets, s)
		env = append(env, envEntry{Key: key, Var: s.Var})
	}
	return env, secrets
}
