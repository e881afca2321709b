// Package networktest builds the network block's test fixtures: the stacks
// the block's own tests assert on, which internal/conformance also builds,
// with every other block's, into one app checked by aws-cdk-lib's
// CloudFormation validation and cdk-nag (one validation engine for all the
// blocks, instead of one per test process).
package networktest

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/network"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// The dual-stack fixture's environment: a concrete account and region.
const (
	Account = "123456789012"
	Region  = "eu-west-1"
)

// Zones are the dual-stack fixture's named zones, which its app holds in its
// context (ZoneContext), so that nothing is looked up.
var Zones = []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}

// ZoneContext is the context that gives Zones as the zones of Account and
// Region, for cdktest.WithContext.
func ZoneContext() map[string]any {
	return map[string]any{network.ZoneContextKey(Account, Region): Zones}
}

// Fixtures are the block's test stacks, by name, the default network and the
// dual-stack fixture's stack.
type Fixtures struct {
	// Stacks are "default" (stack "Test") and "dual" (stack "DualStack");
	// see New.
	Stacks map[string]awscdk.Stack
	// Default is the network of "default".
	Default *network.Network
	// DualStack is the stack of "dual".
	DualStack awscdk.Stack
}

// New builds the fixtures' stacks in scope, an app or a construct of one:
//   - "default": the default network (2 zones, a NAT gateway per zone) in a
//     stack with a region and no account;
//   - "dual": a production-like variant: a stack with a concrete account and
//     region whose app holds the zones in its context (no lookup), 3 named
//     zones, a single NAT gateway and IPv6.
//
// Unless scope already has ZoneContext (an app made with it), New sets it on
// scope, which must then have no children yet.
func New(scope constructs.Construct) *Fixtures {
	f := &Fixtures{Stacks: map[string]awscdk.Stack{}}
	for key, zones := range ZoneContext() {
		if scope.Node().TryGetContext(jsii.String(key)) == nil {
			scope.Node().SetContext(jsii.String(key), zones)
		}
	}

	stack := cdktest.NewStack(scope, "Test")
	f.Default = network.New(stack, "Network", nil)
	f.Stacks["default"] = stack

	f.DualStack = awscdk.NewStack(scope, jsii.String("DualStack"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String(Account), Region: jsii.String(Region)},
	})
	network.New(f.DualStack, "Network", &network.Props{AvailabilityZones: Zones, NATGateways: 1, DualStack: true})
	f.Stacks["dual"] = f.DualStack
	return f
}
