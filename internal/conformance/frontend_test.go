package conformance_test

import (
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/tierkit/tierkit/constructs/frontend/frontendtest"
)

func init() { register("frontend", func(s constructs.Construct) { frontendtest.New(s) }) }
