package review

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Template is the part of a CloudFormation template the review reads.
type Template struct {
	Resources map[string]Resource
}

// Resource is one resource of a template, as decoded JSON.
type Resource map[string]any

// Type is the resource's CloudFormation type.
func (r Resource) Type() string { return str(r["Type"]) }

// Properties are the resource's properties (nil when it has none).
func (r Resource) Properties() map[string]any { return obj(r["Properties"]) }

// Prop returns one property.
func (r Resource) Prop(name string) any { return r.Properties()[name] }

// Path is the construct path of the resource, without its stack.
func (r Resource) Path(stack string) string {
	return displayPath(stack, str(obj(r["Metadata"])["aws:cdk:path"]))
}

// DeletionPolicy is the policy applied when the resource leaves the stack;
// CloudFormation's default is Delete.
func (r Resource) DeletionPolicy() string { return orDelete(str(r["DeletionPolicy"])) }

// UpdateReplacePolicy is the policy applied to the old resource when an update
// replaces it; CloudFormation's default is Delete.
func (r Resource) UpdateReplacePolicy() string { return orDelete(str(r["UpdateReplacePolicy"])) }

func orDelete(policy string) string {
	if policy == "" {
		return "Delete"
	}
	return policy
}

// Suppression is a cdk-nag rule suppressed on a resource, and why.
type Suppression struct{ Rule, Reason, AppliesTo string }

// Suppressions lists the cdk-nag suppressions in the resource's metadata.
func (r Resource) Suppressions() []Suppression {
	rules, _ := obj(obj(r["Metadata"])["cdk_nag"])["rules_to_suppress"].([]any)
	var out []Suppression
	for _, x := range rules {
		rule := obj(x)
		var applies []string
		for _, a := range list(rule["applies_to"]) {
			applies = append(applies, expr(a))
		}
		out = append(out, Suppression{Rule: str(rule["id"]), Reason: str(rule["reason"]), AppliesTo: strings.Join(applies, ", ")})
	}
	return out
}

// ids returns the template's logical IDs of resources of the given types (all
// when none is given), sorted.
func (t Template) ids(types ...string) []string {
	var ids []string
	for id, r := range t.Resources {
		if len(types) == 0 || slices.Contains(types, r.Type()) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// releaseTag is the EC2 tag naming the release a tier's servers run
// (releases.Tag: "ami" for the AMI's own code), on its groups or instances.
const releaseTag = "tierkit-release"

// Release is the release the template's servers run, or "" when they carry
// no release tag (a tier without releases).
func (t Template) Release() string {
	for _, id := range t.ids("AWS::AutoScaling::AutoScalingGroup", "AWS::EC2::Instance") {
		for _, tag := range list(t.Resources[id].Prop("Tags")) {
			if tag := obj(tag); str(tag["Key"]) == releaseTag {
				return str(tag["Value"])
			}
		}
	}
	return ""
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// list returns v as a list: a single value is a list of one.
func list(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	default:
		return []any{x}
	}
}

// expr renders a template value for a reader: references as ${LogicalId} or
// ${LogicalId.Attribute}, joins joined, substitutions as their template, and
// anything else as compact JSON.
func expr(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case float64, bool:
		return fmt.Sprint(x)
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = expr(p)
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		if len(x) == 1 {
			if s, ok := intrinsic(x); ok {
				return s
			}
		}
	}
	// Compact JSON, with < and > as they are (a nag rule's regex holds them).
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSuffix(b.String(), "\n")
}

func intrinsic(x map[string]any) (string, bool) {
	if ref, ok := x["Ref"].(string); ok {
		return "${" + ref + "}", true
	}
	if att, ok := x["Fn::GetAtt"]; ok {
		switch a := att.(type) {
		case string:
			return "${" + a + "}", true
		case []any:
			if len(a) == 2 {
				return "${" + expr(a[0]) + "." + expr(a[1]) + "}", true
			}
		}
	}
	if join, ok := x["Fn::Join"].([]any); ok && len(join) == 2 {
		sep, _ := join[0].(string)
		var parts []string
		for _, p := range list(join[1]) {
			parts = append(parts, expr(p))
		}
		return strings.Join(parts, sep), true
	}
	if sub, ok := x["Fn::Sub"]; ok {
		if s, ok := sub.(string); ok {
			return s, true
		}
		if a, ok := sub.([]any); ok && len(a) > 0 {
			if s, ok := a[0].(string); ok {
				return s, true
			}
		}
	}
	return "", false
}

// refs lists the logical IDs v refers to, in order and once each: with Ref,
// Fn::GetAtt, or ${Id} and ${Id.Attribute} in an Fn::Sub, at any depth.
// Pseudo parameters (AWS::Region, ...) are left out.
func refs(v any) []string {
	var out []string
	seen := map[string]bool{}
	add := func(id string) {
		if id != "" && !strings.HasPrefix(id, "AWS::") && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			if len(x) == 1 {
				if ref, ok := x["Ref"].(string); ok {
					add(ref)
					return
				}
				if att, ok := x["Fn::GetAtt"]; ok {
					switch a := att.(type) {
					case string:
						id, _, _ := strings.Cut(a, ".")
						add(id)
					case []any:
						if len(a) > 0 {
							add(str(a[0]))
						}
					}
					return
				}
				if sub, ok := x["Fn::Sub"]; ok {
					s, vars := str(sub), map[string]any(nil)
					if a, ok := sub.([]any); ok && len(a) > 0 {
						s, vars = str(a[0]), obj(a[len(a)-1])
						walk(vars)
					}
					for _, m := range subVariable.FindAllStringSubmatch(s, -1) {
						if _, local := vars[m[1]]; !local {
							add(m[1])
						}
					}
					return
				}
			}
			for _, k := range sortedNames(x) {
				walk(x[k])
			}
		}
	}
	walk(v)
	return out
}

// subVariable is a ${Name} or ${Name.Attribute} of an Fn::Sub (not ${!...}).
var subVariable = regexp.MustCompile(`\$\{([A-Za-z0-9:]+)(?:\.[A-Za-z0-9.]+)?\}`)

// refsTo lists the resources of the given types (any type when none is
// given) that v refers to.
func (t Template) refsTo(v any, types ...string) []string {
	var out []string
	for _, id := range refs(v) {
		if r, ok := t.Resources[id]; ok && (len(types) == 0 || slices.Contains(types, r.Type())) {
			out = append(out, id)
		}
	}
	return out
}
