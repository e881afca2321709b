package nextcloud

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/tierkit/tierkit/constructs/webtier"
	"github.com/tierkit/tierkit/internal/check"
)

// tierConfigKeys are the config.php keys the tier writes in some
// configuration (stepData), and those config.php must keep as the
// installation has them (installed, version: occ upgrade manages them):
// Config and ConfigSecrets may not set them.
var tierConfigKeys = []string{
	"trusted_proxies", "overwritehost", "overwriteprotocol", "overwrite.cli.url", "trusted_domains",
	"dbtype", "dbhost", "dbname", "dbuser", "dbpassword", "dbdriveroptions", "pgsql_ssl",
	"memcache.local", "memcache.distributed", "memcache.locking", "redis", "objectstore",
	"datadirectory", "log_type", "logfile", "instanceid", "passwordsalt", "secret", "installed", "version",
}

// TierConfigKeys returns the config.php keys the tier writes in some
// configuration, with installed and version, which Config and ConfigSecrets
// may not set.
func TierConfigKeys() []string { return slices.Clone(tierConfigKeys) }

// configKeyPattern is a config.php key the boot writes: Nextcloud's keys are
// letters, digits, _, . and -.
var configKeyPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,128}$`)

// validateSettings records the problems of Config, ConfigSecrets and
// DecryptKeys.
func (a *App) validateSettings(pr *check.Problems) {
	for _, f := range []struct {
		field string
		keys  []string
	}{{"Config", slices.Sorted(maps.Keys(a.Config))}, {"ConfigSecrets", slices.Sorted(maps.Keys(a.ConfigSecrets))}} {
		for _, key := range f.keys {
			path := f.field + "[" + key + "]"
			switch {
			case !configKeyPattern.MatchString(key):
				pr.Add(path, "%q is not a config.php key; allowed: 1 to 128 letters, digits, _, . or -, e.g. mail_smtphost", key)
			case slices.Contains(tierConfigKeys, key):
				pr.Add(path, "%s is written by the tier or kept from config.php; allowed: any key but %s", key, strings.Join(tierConfigKeys, ", "))
			case f.field == "Config":
				if _, err := phpLiteral(a.Config[key]); err != nil {
					pr.Add(path, "%v", err)
				}
			default:
				if _, dup := a.Config[key]; dup {
					pr.Add(path, "%s is also set in Config; allowed: one of Config and ConfigSecrets", key)
				}
			}
		}
	}
	webtier.CheckReferences(pr, "ConfigSecrets", a.ConfigSecrets)
	webtier.CheckDecryptKeys(pr, "DecryptKeys", a.DecryptKeys, len(a.ConfigSecrets))
}

// phpLiteral returns v as a PHP literal: a string single-quoted (with \ and
// ' escaped), or double-quoted with escapes when it holds control
// characters; a number as it is; true, false, null; a list as [a, b]; an
// object as ['key' => value] with its keys sorted. JSON's values (as
// encoding/json decodes them, json.Number included) and Go's ints, strings
// and slices and maps of them are taken; anything else is an error.
func phpLiteral(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "null", nil
	case bool:
		return strconv.FormatBool(v), nil
	case string:
		return phpString(v), nil
	case int:
		return strconv.Itoa(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return "", fmt.Errorf("%v is not a number PHP can read; allowed: a finite number", v)
		}
		return strconv.FormatFloat(v, 'g', -1, 64), nil
	case json.Number:
		if _, err := strconv.ParseFloat(v.String(), 64); err != nil {
			return "", fmt.Errorf("%q is not a number; allowed: a JSON number", v.String())
		}
		return v.String(), nil
	case []string:
		items := make([]any, len(v))
		for i, s := range v {
			items[i] = s
		}
		return phpLiteral(items)
	case []any:
		parts := make([]string, len(v))
		for i, item := range v {
			p, err := phpLiteral(item)
			if err != nil {
				return "", err
			}
			parts[i] = p
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	case map[string]string:
		m := make(map[string]any, len(v))
		for k, s := range v {
			m[k] = s
		}
		return phpLiteral(m)
	case map[string]any:
		parts := make([]string, 0, len(v))
		for _, k := range slices.Sorted(maps.Keys(v)) {
			p, err := phpLiteral(v[k])
			if err != nil {
				return "", err
			}
			parts = append(parts, phpString(k)+" => "+p)
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	}
	return "", fmt.Errorf("a %T is not a value config.php can hold; allowed: a string, number, boolean, null, list or object", v)
}

// phpString returns s as a PHP string literal that reads back as exactly s.
func phpString(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' || c == '"' || c == '$':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// configEntry is one Config setting as the boot writes it: its key and its
// PHP literal.
type configEntry struct{ Key, Literal string }

// secretEntry is a ConfigSecrets setting: its key, its reference, and the
// shell variable the boot reads it into.
type secretEntry struct{ Key, Ref, Var string }

// settings returns the entries of Config and ConfigSecrets, each sorted by
// key.
func (a *App) settings() (config []configEntry, secrets []secretEntry) {
	for _, key := range slices.Sorted(maps.Keys(a.Config)) {
		literal, _ := phpLiteral(a.Config[key])
		config = append(config, configEntry{Key: key, Literal: literal})
	}
	for i, key := range slices.Sorted(maps.Keys(a.ConfigSecrets)) {
		secrets = append(secrets, secretEntry{Key: key, Ref: a.ConfigSecrets[key], Var: "secret_" + strconv.Itoa(i)})
	}
	return config, secrets
}
