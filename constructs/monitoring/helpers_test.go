package monitoring_test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// Resource types the tests read.
const (
	alarmType = "AWS::CloudWatch::Alarm"
	keyType   = "AWS::KMS::Key"
	topicType = "AWS::SNS::Topic"
)

// scratch returns a stack that is never synthesized, for props that need a construct.
func scratch(tb testing.TB) awscdk.Stack {
	tb.Helper()
	return awscdk.NewStack(awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(tb.TempDir())}), jsii.String("Scratch"), nil)
}
