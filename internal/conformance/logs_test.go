package conformance_test

import (
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/tierkit/tierkit/constructs/logs/logstest"
)

func init() { register("logs", func(s constructs.Construct) { logstest.New(s) }) }
