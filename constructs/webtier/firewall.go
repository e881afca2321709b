package webtier

import (
	"slices"

	"github.com/tierkit/tierkit/constructs/firewall"
)

// scopedRules returns a copy of the profile's ScopedRules without the rules
// in counted: a rule the caller counts everywhere needs no exception, and
// the firewall refuses a rule both counted and scoped. Entries left without
// rules are dropped.
func (pr Profile) scopedRules(counted []string) []firewall.ScopedRules {
	var out []firewall.ScopedRules
	for _, s := range pr.ScopedRules {
		s.Rules = slices.DeleteFunc(slices.Clone(s.Rules), func(rule string) bool { return slices.Contains(counted, rule) })
		s.ExceptPathPrefixes = slices.Clone(s.ExceptPathPrefixes)
		if len(s.Rules) > 0 {
			out = append(out, s)
		}
	}
	return out
}
