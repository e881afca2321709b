package releases_test

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/releases"
	"github.com/tierkit/tierkit/constructs/releases/releasestest"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// variant builds the block's test stacks (releasestest) in one app,
// synthesized once in strict mode (validation warnings fail);
// internal/conformance checks the same stacks with CloudFormation
// validation and cdk-nag.
var variant = cdktest.Variants(func(tb testing.TB) map[string]awscdk.Stack {
	return releasestest.New(cdktest.NewApp(tb, cdktest.Strict())).Stacks
})

var (
	// template is a release bucket logging to a log bucket, read by AppRole.
	template = variant("default")
	// keyed encrypts the releases with a customer managed key.
	keyed = variant("keyed")
)

const (
	bucket   = "AWS::S3::Bucket"
	bucketID = "ReleasesBucketEA8ED4CA"
)

func TestTheBucketKeepsItsLogicalIDAndIsRetained(t *testing.T) {
	b, ok := (*template(t).FindResources(jsii.String(bucket), nil))[bucketID]
	if !ok {
		t.Fatalf("no bucket with logical ID %s: renaming a construct would replace the bucket and its releases", bucketID)
	}
	if (*b)["DeletionPolicy"] != "Retain" || (*b)["UpdateReplacePolicy"] != "Retain" {
		t.Errorf("DeletionPolicy %v, UpdateReplacePolicy %v; want Retain", (*b)["DeletionPolicy"], (*b)["UpdateReplacePolicy"])
	}
}

func TestTheBucketIsVersionedPrivateAndLogged(t *testing.T) {
	template(t).HasResourceProperties(t, bucket, map[string]any{
		"VersioningConfiguration": map[string]any{"Status": "Enabled"},
		"PublicAccessBlockConfiguration": map[string]any{
			"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
		},
		"OwnershipControls":    map[string]any{"Rules": []any{map[string]any{"ObjectOwnership": "BucketOwnerEnforced"}}},
		"LoggingConfiguration": map[string]any{"DestinationBucketName": map[string]any{"Ref": "AccessLogs8B620ECA"}, "LogFilePrefix": "releases/"},
	})
}

func TestTheBucketDeniesRequestsWithoutTLS(t *testing.T) {
	template(t).HasResourceProperties(t, "AWS::S3::BucketPolicy", map[string]any{
		"Bucket": map[string]any{"Ref": bucketID},
		"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
			"Effect": "Deny", "Action": "s3:*",
			"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
		})})},
	})
}

func TestAKeyedBucketEncryptsWithTheKeyAndABucketKey(t *testing.T) {
	keyed(t).HasResourceProperties(t, bucket, map[string]any{
		"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{map[string]any{
			"BucketKeyEnabled":              true,
			"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": map[string]any{"Fn::GetAtt": []any{"Key961B73FD", "Arn"}}},
		}}},
	})
}

// grants returns "action on resource" for every statement of the policies
// attached to AppRole, sorted.
func grants(t *testing.T, tpl *cdktest.Template) []string {
	t.Helper()
	var out []string
	for _, p := range tpl.Resources("AWS::IAM::Policy") {
		props := p["Properties"].(map[string]any)
		if !strings.Contains(cdktest.JSON(props["Roles"]), "AppRole") {
			continue
		}
		for _, s := range props["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			st := s.(map[string]any)
			for _, a := range cdktest.AsList(st["Action"]) {
				for _, r := range cdktest.AsList(st["Resource"]) {
					out = append(out, st["Effect"].(string)+" "+a.(string)+" on "+cdktest.JSON(r))
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

const releaseObjects = `{"Fn::Join":["",[{"Fn::GetAtt":["` + bucketID + `","Arn"]},"/releases/*"]]}`

func TestTheServersReadTheReleaseObjectsOnly(t *testing.T) {
	want := []string{"Allow s3:GetObject on " + releaseObjects}
	if got := grants(t, template(t)); !slices.Equal(got, want) {
		t.Errorf("grants\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestWithAKeyTheServersAlsoDecryptWithIt(t *testing.T) {
	want := []string{"Allow kms:Decrypt on " + `{"Fn::GetAtt":["Key961B73FD","Arn"]}`, "Allow s3:GetObject on " + releaseObjects}
	keyed(t).HasResourceProperties(t, "AWS::IAM::Policy", map[string]any{"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{
		assertions.Match_ObjectLike(&map[string]any{"Action": "kms:Decrypt", "Condition": assertions.Match_ObjectLike(&map[string]any{
			"StringEquals": map[string]any{"kms:ViaService": "s3.us-east-1.amazonaws.com"},
		})}),
	})}})
	if got := grants(t, keyed(t)); !slices.Equal(got, want) {
		t.Errorf("grants\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestReleaseValidateNamesTheField(t *testing.T) {
	for _, c := range []struct {
		r    releases.Release
		want string
	}{
		{releases.Release{ID: "", SHA256: strings.Repeat("a", 64)}, "Release.ID: \"\" is not a release id"},
		{releases.Release{ID: "ami", SHA256: strings.Repeat("a", 64)}, "Release.ID: \"ami\""},
		{releases.Release{ID: "../x", SHA256: strings.Repeat("a", 64)}, "Release.ID"},
		{releases.Release{ID: "r1", SHA256: strings.Repeat("A", 64)}, "Release.SHA256: "},
		{releases.Release{ID: "r1", SHA256: "abc"}, "64 lower-case hex digits"},
	} {
		if got := strings.Join(c.r.Validate("Release"), "; "); !strings.Contains(got, c.want) {
			t.Errorf("%+v: %q, want %q", c.r, got, c.want)
		}
	}
	if got := (releases.Release{ID: "20261203-1612-a1b2c3d", SHA256: strings.Repeat("a", 64)}).Validate("Release"); got != nil {
		t.Errorf("a valid release: %v", got)
	}
}

func TestStepPanicsNamingTheField(t *testing.T) {
	for name, p := range map[string]releases.StepProps{
		"AppPath":   {Bucket: "b", AppPath: "var/www"},
		"Bucket":    {AppPath: "/var/www/html"},
		"Shared[0]": {Bucket: "b", AppPath: "/var/www/html", Shared: []string{"a/b"}},
		"Keep":      {Bucket: "b", AppPath: "/var/www/html", Keep: 21},
	} {
		func() {
			defer func() {
				if r, _ := recover().(string); !strings.Contains(r, name+":") {
					t.Errorf("%s: panic %q, want one naming %s", name, r, name)
				}
			}()
			releases.Step(p)
		}()
	}
}
