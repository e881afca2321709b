package main

import (
	"encoding/json"
	"os"
)

// Where the CDK CLI hands the app its context (cdk.json, cdk.context.json,
// -c): a JSON object in an environment variable, and the keys that did not
// fit there in a file the other variable names, which wins (as in
// aws-cdk-lib's App).
const (
	contextEnv         = "CDK_CONTEXT_JSON"
	contextOverflowEnv = "CONTEXT_OVERFLOW_LOCATION_ENV"
)

// rawContext returns the app's context as the CLI wrote it, each key's
// value as JSON text, or nil when it cannot be read (the app then reads its
// context from the construct tree). The construct tree's copy has lost
// every null: jsii hands an object over without its null members, so a
// tier or section given as null would vanish without a word instead of
// being refused.
func rawContext() map[string]json.RawMessage {
	raw := map[string]json.RawMessage{}
	if text := os.Getenv(contextEnv); text != "" {
		if json.Unmarshal([]byte(text), &raw) != nil {
			return nil
		}
	}
	if file := os.Getenv(contextOverflowEnv); file != "" {
		b, err := os.ReadFile(file)
		var overflow map[string]json.RawMessage
		if err != nil || json.Unmarshal(b, &overflow) != nil {
			return nil
		}
		for k, v := range overflow {
			raw[k] = v
		}
	}
	return raw
}
