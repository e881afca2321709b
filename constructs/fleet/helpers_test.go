package fleet_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/tierkit/tierkit/internal/cdktest"
)

const ami = "ami-0123456789abcdef0"

// newVpc is the network the tiers hand the fleet: public and private
// subnets in two Availability Zones, one NAT gateway to keep it small.
func newVpc(stack awscdk.Stack) awsec2.Vpc {
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{
		MaxAzs:      jsii.Number(2),
		NatGateways: jsii.Number(1),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
			{Name: jsii.String("Public"), SubnetType: awsec2.SubnetType_PUBLIC, CidrMask: jsii.Number(24)},
			{Name: jsii.String("Private"), SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS, CidrMask: jsii.Number(24)},
		},
	})
	cdknag.NagSuppressions_AddResourceSuppressions(vpc, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-VPC7"),
		Reason: jsii.String("Test scaffolding: the network block owns flow logs."),
	}}, jsii.Bool(false))
	return vpc
}

func image() awsec2.IMachineImage {
	return awsec2.MachineImage_GenericLinux(&map[string]*string{"us-east-1": jsii.String(ami)}, nil)
}

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
