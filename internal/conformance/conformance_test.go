package conformance_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/internal/cdktest"
)

// blocks are the fixture builders of the blocks, by block name: each file of
// this package registers one block's (see register).
var blocks = map[string]func(scope constructs.Construct){}

// register adds a block's fixtures, built by build in a construct of their
// own named after the block, so that a finding names the block.
func register(block string, build func(scope constructs.Construct)) {
	if _, dup := blocks[block]; dup {
		panic("block " + block + " is registered twice")
	}
	blocks[block] = build
}

// TestBlocksHaveNoValidationOrNagFindings synthesizes every block's fixtures
// in one app, in strict mode (a validation error or an unsuppressed nag error
// fails the synthesis), and fails on every warning in the validation report,
// per block.
func TestBlocksHaveNoValidationOrNagFindings(t *testing.T) {
	app := cdktest.Validated(cdktest.Nagged(cdktest.NewApp(t, cdktest.Strict())))
	names := make([]string, 0, len(blocks))
	for block := range blocks {
		names = append(names, block)
	}
	slices.Sort(names)
	for _, block := range names {
		blocks[block](constructs.NewConstruct(app, jsii.String(block)))
	}
	var outdir string
	cdktest.Check(t, func() { outdir = *app.Synth(nil).Directory() })
	if outdir == "" {
		t.FailNow()
	}
	findings := cdktest.Findings(t, outdir)
	for _, block := range names {
		t.Run(block, func(t *testing.T) {
			for _, f := range findings {
				if strings.Contains(f, " at "+block+"/") {
					t.Error(f)
				}
			}
		})
	}
	for _, f := range findings {
		if !slices.ContainsFunc(names, func(block string) bool { return strings.Contains(f, " at "+block+"/") }) {
			t.Errorf("a finding outside every block's fixtures: %s", f)
		}
	}
}
