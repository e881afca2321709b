package conformance_test

import (
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/tierkit/tierkit/constructs/database/databasetest"
)

func init() { register("database", func(s constructs.Construct) { databasetest.New(s) }) }
