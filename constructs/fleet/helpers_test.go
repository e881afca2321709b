package fleet_test

import (
	"strings"
	"testing"

	"github.com/tierkit/tierkit/constructs/fleet/fleettest"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// The fixtures' image and network, for the tests' own stacks.
const ami = fleettest.AMI

var (
	newVpc = fleettest.NewVpc
	image  = fleettest.Image
)

// props returns a resource's Properties.
func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// only returns the single resource of type typ, failing the test otherwise.
func only(t *testing.T, tpl *cdktest.Template, typ string) (string, map[string]any) {
	t.Helper()
	rs := tpl.Resources(typ)
	if len(rs) != 1 {
		t.Fatalf("%d resources of type %s, want 1", len(rs), typ)
	}
	for id, r := range rs {
		return id, r
	}
	return "", nil
}

// subnetsOfType returns the logical IDs of the VPC's subnets of a CDK subnet
// type ("Public", "Private"), in order.
func subnetsOfType(t *testing.T, tpl *cdktest.Template, kind string) []string {
	t.Helper()
	var ids []string
	for id, r := range tpl.Resources("AWS::EC2::Subnet") {
		for _, tag := range props(r)["Tags"].([]any) {
			tag := tag.(map[string]any)
			if tag["Key"] == "aws-cdk:subnet-type" && tag["Value"] == kind {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

func ref(id string) map[string]any { return map[string]any{"Ref": id} }

// fleetRole returns the fleet's role; the VPC's custom resource has a role too.
func fleetRole(t *testing.T, tpl *cdktest.Template) (string, map[string]any) {
	t.Helper()
	for id, r := range tpl.Resources("AWS::IAM::Role") {
		if strings.HasPrefix(id, "FleetRole") {
			return id, r
		}
	}
	t.Fatalf("no fleet role")
	return "", nil
}
