package conformance_test

import (
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/tierkit/tierkit/constructs/edge/edgetest"
)

func init() { register("edge", func(s constructs.Construct) { edgetest.New(s) }) }
