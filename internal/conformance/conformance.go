// Package conformance holds the test that checks every block's test fixtures
// with aws-cdk-lib's CloudFormation validation and cdk-nag's AwsSolutions
// rules, all in one app. Each block's own tests synthesize the same fixtures
// (its <block>test package) in strict mode only: the validation engine costs
// about 4 s of CPU in every process that loads it, and one process now loads
// it for every block. The tiers' variants and the app's environments are
// validated and nagged in their own packages.
package conformance
