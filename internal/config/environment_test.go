package config

import (
	"encoding/json"
	"strings"
	"testing"
)

// rawLookup is a context reader that hands the environments over as JSON
// text, nulls kept, as the app does with the CLI's context.
func rawLookup(envs string) func(string) any {
	return func(key string) any {
		if key == EnvironmentsKey {
			return json.RawMessage(envs)
		}
		return nil
	}
}

// withNull returns valid with the value at the dotted path set to null.
func withNull(t *testing.T, path string) string {
	t.Helper()
	var env map[string]any
	if err := json.Unmarshal([]byte(valid), &env); err != nil {
		t.Fatal(err)
	}
	keys := strings.Split(path, ".")
	m := env
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = nil
	b, _ := json.Marshal(env)
	return string(b)
}

func TestNullIsRefusedWhereverItWouldBeIgnored(t *testing.T) {
	for _, c := range []struct{ path, want string }{
		{"tiers.laravel", "environments.prod.tiers.laravel: is null; allowed: an object ({} deploys the tier with its defaults), or leave the tier out not to deploy it"},
		{"tiers.nextcloud", "environments.prod.tiers.nextcloud: is null; allowed: an object"},
		{"tiers", "environments.prod.tiers: is null; allowed: an object, or leave the key out for its default"},
		{"fleet", "environments.prod.fleet: is null; allowed: an object, or leave the key out for its default"},
		{"database", "environments.prod.database: is null; allowed: an object"},
		{"alarms", "environments.prod.alarms: is null; allowed: an object"},
		{"firewall", "environments.prod.firewall: is null; allowed: an object"},
		{"backup", "environments.prod.backup: is null; allowed: an object"},
		{"frontend", "environments.prod.frontend: is null; allowed: an object"},
		{"hostedZone", "environments.prod.hostedZone: is null; allowed: an object"},
		{"natGateways", "environments.prod.natGateways: is null; allowed: a whole number"},
		{"region", "environments.prod.region: is null; allowed: a string"},
		{"fleet.instances", "environments.prod.fleet.instances: is null; allowed: a whole number"},
		{"database.allocatedStorageGiB", "environments.prod.database.allocatedStorageGiB: is null; allowed: a whole number"},
		{"firewall.enabled", "environments.prod.firewall.enabled: is null; allowed: true or false"},
		{"tiers.laravel.cronFiles", "environments.prod.tiers.laravel.cronFiles: is null; allowed: a list"},
		{"tiers.nextcloud.loadBalancer", "environments.prod.tiers.nextcloud.loadBalancer: is null; allowed: an object"},
		{"ami.eu-west-1", "environments.prod.ami.eu-west-1: is null; allowed: a string"},
	} {
		t.Run(c.path, func(t *testing.T) {
			_, err := Select(rawLookup(`{"prod": ` + withNull(t, c.path) + `}`))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestANullEnvironmentIsRefused(t *testing.T) {
	_, err := Select(rawLookup(`{"prod": ` + valid + `, "dev": null}`))
	if want := "environments.dev: is null; allowed: an object"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want an error containing %q", err, want)
	}
}

func TestNullEnvironmentsAreRefusedNotReplacedByTheExample(t *testing.T) {
	_, err := Select(rawLookup(`null`))
	if want := "environments: is null; allowed: an object"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want an error containing %q", err, want)
	}
}

func TestNATGatewaysDefaultToOnePerZone(t *testing.T) {
	for _, c := range []struct {
		overlay string
		want    int
	}{
		{`{}`, 2},
		{`{"availabilityZones": ["eu-west-1a", "eu-west-1b", "eu-west-1c"]}`, 3},
		{`{"natGateways": 1}`, 1},
	} {
		env, err := Select(context(t, map[string]string{EnvironmentsKey: `{"prod": ` + patch(t, c.overlay) + `}`}))
		if err != nil {
			t.Fatal(err)
		}
		if got := *env.NATGateways; got != c.want {
			t.Errorf("%s: natGateways %d, want %d", c.overlay, got, c.want)
		}
	}
}

func TestZeroNATGatewaysIsRefusedWithWhy(t *testing.T) {
	_, err := Select(context(t, map[string]string{EnvironmentsKey: `{"prod": ` + patch(t, `{"natGateways": 0}`) + `}`}))
	want := "environments.prod.natGateways: 0; allowed: 1 to 2 (leave it out for one per zone): the servers are in private subnets and reach Secrets Manager"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want an error containing %q", err, want)
	}
}

func TestDualStackDisposableAndLoadBalancerSettingsAreDecoded(t *testing.T) {
	envs := `{"prod": ` + patch(t, `{"dualStack": true, "disposable": true, "tiers": {"laravel": {},
		"nextcloud": {"loadBalancer": {"internal": true, "allowedSourceCidrs": ["203.0.113.0/24", "2001:db8::/56"]}}}}`) + `}`
	env, err := Select(context(t, map[string]string{EnvironmentsKey: envs}))
	if err != nil {
		t.Fatal(err)
	}
	if !env.DualStack || !env.Disposable {
		t.Errorf("dualStack %v, disposable %v; want both true", env.DualStack, env.Disposable)
	}
	nc := env.Tiers[TierNextcloud].Props.Edge
	if !nc.Internal || strings.Join(nc.AllowedSourceCIDRs, " ") != "203.0.113.0/24 2001:db8::/56" {
		t.Errorf("nextcloud's load balancer: internal %v, allowedSourceCidrs %v", nc.Internal, nc.AllowedSourceCIDRs)
	}
	if l := env.Tiers[TierLaravel].Props.Edge; l.Internal || l.AllowedSourceCIDRs != nil {
		t.Errorf("laravel's load balancer: internal %v, allowedSourceCidrs %v; want the defaults", l.Internal, l.AllowedSourceCIDRs)
	}
}

func TestBrokenLoadBalancerSettings(t *testing.T) {
	const at = "environments.prod.tiers.nextcloud.loadBalancer"
	for _, c := range []struct{ name, overlay, want string }{
		{"not a range", `{"allowedSourceCidrs": ["203.0.113.7"]}`, at + `.allowedSourceCidrs[0]: "203.0.113.7" is not a CIDR range; allowed: an IPv4 or IPv6 network`},
		{"host bits", `{"allowedSourceCidrs": ["10.0.0.0/24", "203.0.113.7/24"]}`, at + `.allowedSourceCidrs[1]: "203.0.113.7/24" has host bits set; allowed: the network address, 203.0.113.0/24`},
		{"IPv6 without dual-stack", `{"allowedSourceCidrs": ["2001:db8::/56"]}`, at + `.allowedSourceCidrs[0]: "2001:db8::/56" is an IPv6 range, but the environment is IPv4 only; allowed: IPv4 ranges, or IPv6 ones with dualStack: true`},
		{"twice", `{"allowedSourceCidrs": ["10.0.0.0/24", "10.0.0.0/24"]}`, at + `.allowedSourceCidrs[1]: "10.0.0.0/24" is listed twice`},
		{"empty", `{"allowedSourceCidrs": []}`, at + `.allowedSourceCidrs: is empty; allowed: at least one range`},
		{"unknown key", `{"scheme": "internal"}`, at + `.scheme: unknown key; allowed: internal, allowedSourceCidrs`},
		{"wrong type", `{"internal": "yes"}`, at + `.internal: must be true or false, got the string "yes"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			envs := `{"prod": ` + patch(t, `{"tiers": {"nextcloud": {"loadBalancer": `+c.overlay+`}}}`) + `}`
			_, err := Select(context(t, map[string]string{EnvironmentsKey: envs}))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}
