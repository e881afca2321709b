package edge_test

import (
	"testing"

	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/edge/edgetest"
	"github.com/tierkit/tierkit/internal/cdktest"
)

const (
	zoneID   = edgetest.ZoneID
	zoneName = edgetest.ZoneName
	certARN  = edgetest.CertARN
	// elbAccount is the ELB log-delivery account of us-east-1, the test stack's region.
	elbAccount = "127311923021"
)

// The fixtures' VPC and hosted zone (edgetest), for the tests that build
// their own stacks.
var (
	newVpc  = edgetest.NewVpc
	newZone = edgetest.NewZone
)

// resources returns the template's resources of type typ, by logical ID.
func resources(t *testing.T, tpl *cdktest.Template, typ string) map[string]map[string]any {
	t.Helper()
	found := map[string]map[string]any{}
	for id, r := range *tpl.FindResources(jsii.String(typ), nil) {
		found[id] = *r
	}
	return found
}

// props returns a resource's Properties.
func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// logicalID returns the logical ID of the only resource of type typ whose
// logical ID starts with prefix.
func logicalID(t *testing.T, tpl *cdktest.Template, typ, prefix string) string {
	t.Helper()
	var ids []string
	for id := range resources(t, tpl, typ) {
		if len(id) >= len(prefix) && id[:len(prefix)] == prefix {
			ids = append(ids, id)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("resources of type %s with logical ID prefix %s: %v, want exactly one", typ, prefix, ids)
	}
	return ids[0]
}

// attributes turns a [{Key, Value}] list into a map.
func attributes(list any) map[string]any {
	m := map[string]any{}
	l, _ := list.([]any)
	for _, e := range l {
		kv := e.(map[string]any)
		m[kv["Key"].(string)] = kv["Value"]
	}
	return m
}
