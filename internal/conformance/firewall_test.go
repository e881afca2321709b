package conformance_test

import (
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/tierkit/tierkit/constructs/firewall/firewalltest"
)

func init() { register("firewall", func(s constructs.Construct) { firewalltest.New(s) }) }
