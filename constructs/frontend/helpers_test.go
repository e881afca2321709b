package frontend_test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"

	"github.com/tierkit/tierkit/constructs/frontend/frontendtest"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// The fixtures' hosted zone and account.
const (
	zoneID   = frontendtest.ZoneID
	zoneName = frontendtest.ZoneName
	account  = frontendtest.Account
)

const (
	bucketType       = "AWS::S3::Bucket"
	distributionType = "AWS::CloudFront::Distribution"
	recordType       = "AWS::Route53::RecordSet"
)

// synthesized is a stack of a synthesized app, as a template whose checks
// fail the test instead of panicking.
func synthesized(stack awscdk.Stack) *cdktest.Template {
	return &cdktest.Template{
		Template: assertions.Template_FromStack(stack, nil),
		Outdir:   *awscdk.Stage_Of(stack).Outdir(),
	}
}

// ref is a CloudFormation reference to a logical ID.
func ref(id string) map[string]any { return map[string]any{"Ref": id} }

// getAtt is a CloudFormation Fn::GetAtt of a logical ID's attribute.
func getAtt(id, attr string) map[string]any {
	return map[string]any{"Fn::GetAtt": []any{id, attr}}
}

// like wraps a nested object for Match_ArrayWith, where literals match exactly.
func like(m map[string]any) assertions.Matcher { return assertions.Match_ObjectLike(&m) }

// arrayWith is Match_ArrayWith of objects matched loosely.
func arrayWith(objects ...map[string]any) assertions.Matcher {
	list := make([]any, len(objects))
	for i, o := range objects {
		list[i] = like(o)
	}
	return assertions.Match_ArrayWith(&list)
}

// distributionConfig returns the DistributionConfig of the template's only
// distribution.
func distributionConfig(t *testing.T, tpl *cdktest.Template) map[string]any {
	t.Helper()
	ds := tpl.Resources(distributionType)
	if len(ds) != 1 {
		t.Fatalf("%d distributions, want 1", len(ds))
	}
	for _, d := range ds {
		return cdktest.Props(d)["DistributionConfig"].(map[string]any)
	}
	return nil
}
