package storage_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/storage"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// template is the default uploads bucket plus a role granted object access,
// synthesized once in strict mode (validation warnings fail) with cdk-nag.
var template = cdktest.Shared(func(tb testing.TB) awscdk.Stack {
	app := cdktest.Validated(cdktest.Nagged(cdktest.NewApp(tb, cdktest.Strict())))
	stack := cdktest.NewStack(app, "Test")
	uploads := storage.New(stack, "Uploads", &storage.Props{CORSOrigins: []string{"https://example.com"}})
	role := awsiam.NewRole(stack, jsii.String("AppRole"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("ec2.amazonaws.com"), nil)})
	uploads.GrantObjectAccess(role)
	return stack
})

const bucket = "AWS::S3::Bucket"

func TestNoValidationOrNagFindings(t *testing.T) {
	if findings := cdktest.Findings(t, template(t).Outdir); len(findings) > 0 {
		t.Errorf("%d findings:\n%s", len(findings), strings.Join(findings, "\n"))
	}
}

func TestBucketsKeepTheirLogicalIDsAndAreRetained(t *testing.T) {
	buckets := *template(t).FindResources(jsii.String(bucket), nil)
	for _, id := range []string{"UploadsBucketC4B27CC7", "UploadsAccessLogsB2D59324"} {
		b, ok := buckets[id]
		if !ok {
			t.Errorf("no bucket with logical ID %s: renaming a construct would replace the bucket and its data", id)
		} else if (*b)["DeletionPolicy"] != "Retain" || (*b)["UpdateReplacePolicy"] != "Retain" {
			t.Errorf("%s: DeletionPolicy %v, UpdateReplacePolicy %v; want Retain", id, (*b)["DeletionPolicy"], (*b)["UpdateReplacePolicy"])
		}
	}
}

func TestUploadsBlockAllPublicAccess(t *testing.T) {
	template(t).HasResourceProperties(t, bucket, map[string]any{
		"VersioningConfiguration": map[string]any{"Status": "Enabled"},
		"PublicAccessBlockConfiguration": map[string]any{
			"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
		},
	})
}

func TestUploadsAreEncrypted(t *testing.T) {
	template(t).HasResourceProperties(t, bucket, map[string]any{
		"VersioningConfiguration": map[string]any{"Status": "Enabled"},
		"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{
			map[string]any{"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"}},
		}},
	})
}

func TestUploadsAreVersionedWithNoncurrentVersionsExpired(t *testing.T) {
	template(t).HasResourceProperties(t, bucket, map[string]any{
		"VersioningConfiguration": map[string]any{"Status": "Enabled"},
		"LifecycleConfiguration": map[string]any{"Rules": assertions.Match_ArrayWith(&[]any{map[string]any{
			"Id": "noncurrent-versions", "Status": "Enabled",
			"NoncurrentVersionExpiration":    map[string]any{"NoncurrentDays": 30},
			"AbortIncompleteMultipartUpload": map[string]any{"DaysAfterInitiation": 7},
		}})},
	})
}

func TestUploadsAreBucketOwnerEnforced(t *testing.T) {
	template(t).HasResourceProperties(t, bucket, map[string]any{
		"VersioningConfiguration": map[string]any{"Status": "Enabled"},
		"OwnershipControls":       map[string]any{"Rules": []any{map[string]any{"ObjectOwnership": "BucketOwnerEnforced"}}},
	})
}

func TestUploadsServerAccessLogsGoToTheLogBucket(t *testing.T) {
	template(t).HasResourceProperties(t, bucket, map[string]any{
		"LoggingConfiguration": map[string]any{
			"DestinationBucketName": map[string]any{"Ref": "UploadsAccessLogsB2D59324"},
			"LogFilePrefix":         "uploads/",
		},
	})
}

func TestBucketsDenyRequestsWithoutTLS(t *testing.T) {
	tpl := template(t)
	for _, id := range []string{"UploadsBucketC4B27CC7", "UploadsAccessLogsB2D59324"} {
		tpl.HasResourceProperties(t, "AWS::S3::BucketPolicy", map[string]any{
			"Bucket": map[string]any{"Ref": id},
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
				"Effect": "Deny", "Action": "s3:*", "Principal": map[string]any{"AWS": "*"},
				"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
			})})},
		})
	}
}

func TestCORSAllowsOnlyTheGivenOrigins(t *testing.T) {
	template(t).HasResourceProperties(t, bucket, map[string]any{
		"CorsConfiguration": map[string]any{"CorsRules": []any{map[string]any{
			"AllowedOrigins": []any{"https://example.com"},
			"AllowedMethods": []any{"GET", "HEAD", "PUT", "POST"},
			"AllowedHeaders": []any{"*"}, "ExposedHeaders": []any{"ETag"}, "MaxAge": 3000,
		}}},
	})
}

func TestLogBucketExpiresLogs(t *testing.T) {
	template(t).HasResourceProperties(t, bucket, map[string]any{
		"LifecycleConfiguration": map[string]any{"Rules": []any{map[string]any{
			"Id": "expire-logs", "Status": "Enabled", "ExpirationInDays": 365,
		}}},
	})
}

func TestGrantIsObjectAccessOnThisBucketOnly(t *testing.T) {
	tpl := template(t)
	policies := *tpl.FindResources(jsii.String("AWS::IAM::Policy"), nil)
	if len(policies) != 1 {
		t.Fatalf("got %d policies, want 1", len(policies))
	}
	for _, policy := range policies {
		doc := (*policy)["Properties"].(map[string]any)["PolicyDocument"].(map[string]any)
		for _, s := range doc["Statement"].([]any) {
			st := s.(map[string]any)
			for _, r := range cdktest.AsList(st["Resource"]) {
				if !strings.Contains(cdktest.JSON(r), "UploadsBucketC4B27CC7") {
					t.Errorf("statement %v reaches %v, outside the uploads bucket", st["Action"], cdktest.JSON(r))
				}
			}
			for _, a := range cdktest.AsList(st["Action"]) {
				if !strings.HasPrefix(a.(string), "s3:") || a == "s3:*" {
					t.Errorf("action %v: want s3 object actions only", a)
				}
			}
		}
	}
}

func TestInvalidProps(t *testing.T) {
	cases := []struct {
		name  string
		props storage.Props
		want  string
	}{
		{"noncurrent days too many", storage.Props{NoncurrentVersionDays: 4000}, "NoncurrentVersionDays: 4000 is out of range; allowed: 1 to 3650"},
		{"negative noncurrent days", storage.Props{NoncurrentVersionDays: -1}, "NoncurrentVersionDays: -1 is out of range"},
		{"origin with a path", storage.Props{CORSOrigins: []string{"https://example.com/app"}}, `CORSOrigins[0]: "https://example.com/app" is not an origin`},
		{"origin without scheme", storage.Props{CORSOrigins: []string{"example.com"}}, `CORSOrigins[0]: "example.com" is not an origin; expected scheme and host`},
		{"wildcard origin", storage.Props{CORSOrigins: []string{"https://ok.example.com", "*"}}, `CORSOrigins[1]: "*" is not an origin`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.props.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestNewPanicsWithTheConstructIDOnInvalidProps(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(r.(string), "storage Uploads: NoncurrentVersionDays") {
			t.Errorf("got %v, want a panic naming the construct and the field", r)
		}
	}()
	storage.New(awscdk.NewStack(nil, nil, nil), "Uploads", &storage.Props{NoncurrentVersionDays: -5})
}
