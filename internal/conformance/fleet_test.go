package conformance_test

import (
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/tierkit/tierkit/constructs/fleet/fleettest"
)

func init() { register("fleet", func(s constructs.Construct) { fleettest.New(s) }) }
