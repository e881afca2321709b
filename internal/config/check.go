package config

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/tierkit/tierkit/internal/check"
)

var (
	envName  = regexp.MustCompile(`^[a-z][a-z0-9-]{0,19}$`)
	account  = regexp.MustCompile(`^[0-9]{12}$`)
	region   = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)
	zoneName = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}[a-z]$`)
	zoneID   = regexp.MustCompile(`^Z[A-Z0-9]{1,31}$`)
	amiID    = regexp.MustCompile(`^ami-([0-9a-f]{8}|[0-9a-f]{17})$`)
	// instanceType matches EC2 and RDS class names such as t3.small, m7g.2xlarge, u-6tb1.metal.
	instanceType = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9]+$`)
)

// problems collects every problem of a configuration, so that all of them are
// reported at once. A field gets one problem: the first, so that a value of
// the wrong type is not also reported as missing or out of range.
type problems struct {
	list  []string
	paths map[string]bool
}

func (p *problems) add(path, format string, args ...any) {
	if p.paths[path] {
		return
	}
	if p.paths == nil {
		p.paths = map[string]bool{}
	}
	p.paths[path] = true
	p.list = append(p.list, path+": "+fmt.Sprintf(format, args...))
}

func (p *problems) empty() bool { return len(p.list) == 0 }

// err returns nil without problems, otherwise one error listing them all.
func (p *problems) err() error {
	switch len(p.list) {
	case 0:
		return nil
	case 1:
		return errors.New("invalid configuration: " + p.list[0])
	}
	return fmt.Errorf("invalid configuration (%d problems):\n  %s", len(p.list), strings.Join(p.list, "\n  "))
}

func checkRequired(path, v, want string, p *problems) {
	if v == "" {
		p.add(path, "required: %s", want)
	}
}

// checkDomain accepts lower-case DNS names of two labels or more, without a
// trailing dot, as Route53 and ACM take them.
func checkDomain(path, name string, p *problems) {
	if name == "" {
		p.add(path, "required: a domain name such as example.com")
		return
	}
	if !check.HostName(name) {
		p.add(path, "%q is not a domain name; expected lower-case labels of letters, digits and hyphens joined by dots, e.g. api.example.com", name)
	}
}

func checkCIDR(path, cidr string, p *problems) {
	prefix, err := netip.ParsePrefix(cidr)
	switch {
	case err != nil || !prefix.Addr().Is4():
		p.add(path, "%q is not an IPv4 CIDR block; expected e.g. 10.0.0.0/16", cidr)
	case prefix.Bits() < 16 || prefix.Bits() > 24:
		p.add(path, "%q: the prefix length must be /16 to /24", cidr)
	case prefix.Masked() != prefix:
		p.add(path, "%q has host bits set; did you mean %s?", cidr, prefix.Masked())
	}
}

func checkInstanceType(path, v string, p *problems) {
	if !instanceType.MatchString(v) {
		p.add(path, "%q is not an instance type; expected family.size, e.g. t3.small", v)
	}
}

func checkRange(path string, v, lo, hi int, p *problems) {
	if v < lo || v > hi {
		p.add(path, "%d is out of range; allowed: %d to %d", v, lo, hi)
	}
}
