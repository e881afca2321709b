package database_test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/database/databasetest"
)

// Resource types the tests read.
const (
	dbInstance = "AWS::RDS::DBInstance"
	ingress    = "AWS::EC2::SecurityGroupIngress"
	secret     = "AWS::SecretsManager::Secret"
	policy     = "AWS::IAM::Policy"
)

// The isolated subnets of the test VPC: the database's subnet group must use exactly these.
var isolatedSubnets = databasetest.IsolatedSubnets

// The fixtures' stand-ins for the network and fleet blocks (databasetest),
// for the tests that build their own stacks.
var (
	importedVpc  = databasetest.ImportedVpc
	fleetAndRole = databasetest.FleetAndRole
)

// scratch returns a stack that is never synthesized, for props that need a construct.
func scratch(tb testing.TB) awscdk.Stack {
	tb.Helper()
	return awscdk.NewStack(awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(tb.TempDir())}), jsii.String("Scratch"), nil)
}

// props returns the Properties of a resource found with FindResources.
func props(r *map[string]any) map[string]any {
	p, _ := (*r)["Properties"].(map[string]any)
	return p
}
