package conformance_test

import (
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/tierkit/tierkit/constructs/cache/cachetest"
)

func init() { register("cache", func(s constructs.Construct) { cachetest.New(s) }) }
