package conformance_test

import (
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/tierkit/tierkit/constructs/backup/backuptest"
)

func init() { register("backup", func(s constructs.Construct) { backuptest.New(s) }) }
