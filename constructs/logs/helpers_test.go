package logs_test

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/internal/cdktest"
)

// agentConfig is the part of the CloudWatch agent configuration the tests read.
type agentConfig struct {
	Agent map[string]any `json:"agent"`
	Logs  struct {
		LogsCollected struct {
			Files struct {
				CollectList []struct {
					FilePath      string `json:"file_path"`
					LogGroupName  string `json:"log_group_name"`
					LogStreamName string `json:"log_stream_name"`
				} `json:"collect_list"`
			} `json:"files"`
		} `json:"logs_collected"`
	} `json:"logs"`
	Metrics map[string]any `json:"metrics"`
}

func parseAgentConfig(tb testing.TB, s string) agentConfig {
	tb.Helper()
	var cfg agentConfig
	if err := json.Unmarshal([]byte(s), &cfg); err != nil {
		tb.Fatalf("the agent configuration is not JSON: %v\n%s", err, s)
	}
	return cfg
}

// resolve returns what CloudFormation sees for s, a string that may hold tokens.
func resolve(stack awscdk.Stack, s string) string {
	return cdktest.JSON(stack.Resolve(jsii.String(s)))
}
