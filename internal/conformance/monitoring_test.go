package conformance_test

import (
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/tierkit/tierkit/constructs/monitoring/monitoringtest"
)

func init() { register("monitoring", func(s constructs.Construct) { monitoringtest.New(s) }) }
