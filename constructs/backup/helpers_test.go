package backup_test

import (
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/backup"
	"github.com/tierkit/tierkit/constructs/backup/backuptest"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// Resource types the tests read.
const (
	vaultType     = "AWS::Backup::BackupVault"
	planType      = "AWS::Backup::BackupPlan"
	selectionType = "AWS::Backup::BackupSelection"
	roleType      = "AWS::IAM::Role"
)

// fixtures are the block's test stacks (backuptest), synthesized once in
// strict mode; internal/conformance checks the same stacks with
// CloudFormation validation and cdk-nag.
var fixtures *backuptest.Fixtures

// variant builds the fixtures' stacks in one app: one synthesis, another
// stack of the same app costs milliseconds.
var variant = cdktest.Variants(func(tb testing.TB) map[string]awscdk.Stack {
	fixtures = backuptest.New(cdktest.NewApp(tb, cdktest.Strict()))
	defaults, options = fixtures.Defaults, fixtures.Options
	return fixtures.Stacks
})

// The blocks of the templates, for their accessors.
var (
	defaults *backup.Backup
	options  *backup.Backup
)

var (
	// template is the block with its defaults, in stack "Backup".
	template = variant("defaults")
	// optionsTemplate sets every prop but compliance mode: retentions, no
	// continuous backup, a customer key, a governance lock, two copies.
	optionsTemplate = variant("options")
	// complianceTemplate locks the vault in compliance mode.
	complianceTemplate = variant("compliance")
)

// The fixtures' data and copy destinations, as the tests compare them.
const (
	wantDBArn    = backuptest.DBArn
	wantS3Arn    = backuptest.S3Arn
	drVault      = backuptest.DRVault
	offsiteVault = backuptest.OffsiteVault
)

// scratch returns a stack that is never synthesized, for props that need a
// construct, in the given Region and account ("" for a token).
func scratch(tb testing.TB, region, account string) awscdk.Stack {
	tb.Helper()
	env := &awscdk.Environment{}
	if region != "" {
		env.Region = jsii.String(region)
	}
	if account != "" {
		env.Account = jsii.String(account)
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(tb.TempDir())})
	return awscdk.NewStack(app, jsii.String("Scratch"), &awscdk.StackProps{Env: env})
}

// one returns the only resource of type typ in tpl, failing the test otherwise.
func one(t *testing.T, tpl *cdktest.Template, typ string) (string, map[string]any) {
	t.Helper()
	found := tpl.Resources(typ)
	if len(found) != 1 {
		t.Fatalf("%d resources of type %s, want 1", len(found), typ)
	}
	for id, r := range found {
		return id, r
	}
	return "", nil
}

// rules returns the plan's rules of tpl by name.
func rules(t *testing.T, tpl *cdktest.Template) map[string]map[string]any {
	t.Helper()
	_, plan := one(t, tpl, planType)
	byName := map[string]map[string]any{}
	for _, r := range cdktest.Props(plan)["BackupPlan"].(map[string]any)["BackupPlanRule"].([]any) {
		rule := r.(map[string]any)
		byName[rule["RuleName"].(string)] = rule
	}
	return byName
}

// lifecycleDays returns a lifecycle's DeleteAfterDays, or -1 without one.
func lifecycleDays(v any) float64 {
	l, ok := v.(map[string]any)
	if !ok {
		return -1
	}
	d, ok := l["DeleteAfterDays"].(float64)
	if !ok {
		return -1
	}
	return d
}

// days is n days as a duration.
func days(n int) time.Duration { return time.Duration(n) * backup.Day }
