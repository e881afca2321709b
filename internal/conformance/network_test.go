package conformance_test

import (
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/tierkit/tierkit/constructs/network/networktest"
)

func init() { register("network", func(s constructs.Construct) { networktest.New(s) }) }
