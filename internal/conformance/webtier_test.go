package conformance_test

import (
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/tierkit/tierkit/constructs/webtier/webtiertest"
)

func init() { register("webtier", func(s constructs.Construct) { webtiertest.New(s) }) }
