package cache_test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/cache/cachetest"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// Resource types the tests read.
const (
	replicationGroup = "AWS::ElastiCache::ReplicationGroup"
	subnetGroup      = "AWS::ElastiCache::SubnetGroup"
	ingress          = "AWS::EC2::SecurityGroupIngress"
	secret           = "AWS::SecretsManager::Secret"
	logGroup         = "AWS::Logs::LogGroup"
	policy           = "AWS::IAM::Policy"
)

// The fixtures' stand-ins for the network and fleet blocks (cachetest), for
// the tests that build their own stacks.
var (
	newVpc       = cachetest.NewVpc
	fleetAndRole = cachetest.FleetAndRole
)

// fixtures are the block's test stacks (cachetest), synthesized once in
// strict mode; internal/conformance checks the same stacks with
// CloudFormation validation and cdk-nag.
var fixtures *cachetest.Fixtures

// variant builds the fixtures' stacks in one app: one synthesis, another
// stack of the same app costs milliseconds.
var variant = cdktest.Variants(func(tb testing.TB) map[string]awscdk.Stack {
	fixtures = cachetest.New(cdktest.NewApp(tb, cdktest.Strict()))
	created, wrapped = fixtures.Created, fixtures.Wrapped
	return fixtures.Stacks
})

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
