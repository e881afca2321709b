package network_test

import (
	"slices"
	"testing"

	"github.com/tierkit/tierkit/internal/cdktest"
)

func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// tag returns the value of the tag key of a resource.
func tag(r map[string]any, key string) string {
	tags, _ := props(r)["Tags"].([]any)
	for _, t := range tags {
		if m := t.(map[string]any); m["Key"] == key {
			s, _ := m["Value"].(string)
			return s
		}
	}
	return ""
}

// subnetsByTier returns the subnets of each tier (CDK's subnet-name tag), by
// logical ID.
func subnetsByTier(tb testing.TB, tpl *cdktest.Template) map[string]map[string]map[string]any {
	tb.Helper()
	out := map[string]map[string]map[string]any{}
	for id, s := range tpl.Resources("AWS::EC2::Subnet") {
		tier := tag(s, "aws-cdk:subnet-name")
		if out[tier] == nil {
			out[tier] = map[string]map[string]any{}
		}
		out[tier][id] = s
	}
	return out
}

// routeTablesOf returns the route table of each subnet in subnets, as
// {"Ref": id} JSON, from the template's subnet route table associations.
func routeTablesOf(tb testing.TB, tpl *cdktest.Template, subnets map[string]map[string]any) map[string]bool {
	tb.Helper()
	out := map[string]bool{}
	for _, a := range tpl.Resources("AWS::EC2::SubnetRouteTableAssociation") {
		ref, _ := props(a)["SubnetId"].(map[string]any)
		if id, _ := ref["Ref"].(string); subnets[id] != nil {
			out[cdktest.JSON(props(a)["RouteTableId"])] = true
		}
	}
	return out
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
