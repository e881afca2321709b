package conformance_test

import (
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/tierkit/tierkit/constructs/releases/releasestest"
)

func init() { register("releases", func(s constructs.Construct) { releasestest.New(s) }) }
