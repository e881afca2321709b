package conformance_test

import (
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/tierkit/tierkit/constructs/filesystem/filesystemtest"
)

func init() { register("filesystem", func(s constructs.Construct) { filesystemtest.New(s) }) }
