package conformance_test

import (
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/tierkit/tierkit/constructs/storage/storagetest"
)

func init() { register("storage", func(s constructs.Construct) { storagetest.New(s) }) }
