package storage_test

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/storage"
	"github.com/tierkit/tierkit/constructs/storage/storagetest"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// variant builds the block's test stacks (storagetest) in one app,
// synthesized once in strict mode (validation warnings fail);
// internal/conformance checks the same stacks with CloudFormation
// validation and cdk-nag.
var variant = cdktest.Variants(func(tb testing.TB) map[string]awscdk.Stack {
	f := storagetest.New(cdktest.NewApp(tb, cdktest.Strict()))
	keyedUploads = f.Keyed
	return f.Stacks
})

var (
	// template is the default uploads bucket plus a role granted object access.
	template = variant("default")
	// keyed encrypts the uploads with a customer managed key and replicates
	// them to another account's bucket, encrypted with its key there.
	keyed = variant("keyed")
	// replicated replicates the default (SSE-S3) bucket within the account.
	replicated = variant("replicated")
	// existing uses the team's bucket existingBucket in place.
	existing = variant("existing")
)

// The team's bucket of existing, and the destination of the replicas.
const (
	existingBucket = storagetest.ExistingBucket
	replicaARN     = storagetest.ReplicaARN
	replicaAccount = storagetest.ReplicaAccount
	replicaKeyARN  = storagetest.ReplicaKeyARN
)

// keyedUploads is the keyed variant's construct, for its accessors.
var keyedUploads *storage.Uploads

const bucket = "AWS::S3::Bucket"

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

// grants returns "action on resource" for every Allow statement of the
// policies attached to AppRole, sorted, and fails the test on a condition
// outside the KMS statement.
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
				if st["Condition"] != nil && !strings.HasPrefix(a.(string), "kms:") {
					t.Errorf("%s has a condition %s", a, cdktest.JSON(st["Condition"]))
				}
				for _, r := range cdktest.AsList(st["Resource"]) {
					out = append(out, a.(string)+" on "+cdktest.JSON(r))
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

const (
	bucketArn  = `{"Fn::GetAtt":["UploadsBucketC4B27CC7","Arn"]}`
	objectsArn = `{"Fn::Join":["",[{"Fn::GetAtt":["UploadsBucketC4B27CC7","Arn"]},"/*"]]}`
)

func TestGrantIsExactlyWhatTheUploadsNeedOnThisBucket(t *testing.T) {
	want := []string{
		"s3:AbortMultipartUpload on " + objectsArn, "s3:DeleteObject on " + objectsArn, "s3:GetBucketLocation on " + bucketArn,
		"s3:GetObject on " + objectsArn, "s3:GetObjectAcl on " + objectsArn, "s3:ListBucket on " + bucketArn,
		"s3:ListMultipartUploadParts on " + objectsArn, "s3:PutObject on " + objectsArn,
	}
	if got := grants(t, template(t)); !slices.Equal(got, want) {
		t.Errorf("grants\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestGrantCannotPurgeVersionsOrChangeTheBucket(t *testing.T) {
	forbidden := []string{"s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:PutObjectLegalHold", "s3:PutBucket",
		"s3:PutLifecycleConfiguration", "s3:BypassGovernanceRetention", "s3:PutObjectAcl", "s3:GetObjectVersion"}
	for name, tpl := range map[string]*cdktest.Template{"default": template(t), "keyed": keyed(t)} {
		for _, g := range grants(t, tpl) {
			action, _, _ := strings.Cut(g, " on ")
			if strings.Contains(action, "*") {
				t.Errorf("%s: %s is a wildcard action", name, g)
			}
			for _, f := range forbidden {
				if strings.HasPrefix(action, f) {
					t.Errorf("%s: %s: the uploads role must not purge versions, hold objects or change the bucket", name, g)
				}
			}
		}
	}
}

func TestGrantUsesACustomerKeyThroughS3ForThisBucketOnly(t *testing.T) {
	var kms []string
	for _, g := range grants(t, keyed(t)) {
		if strings.HasPrefix(g, "kms:") {
			kms = append(kms, g)
		}
	}
	key := `{"Fn::GetAtt":["Key961B73FD","Arn"]}`
	if want := []string{"kms:Decrypt on " + key, "kms:GenerateDataKey on " + key}; !slices.Equal(kms, want) {
		t.Errorf("key grants %v, want %v", kms, want)
	}
	keyed(t).HasResourceProperties(t, "AWS::IAM::Policy", map[string]any{
		"Roles": assertions.Match_ArrayWith(&[]any{map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^AppRole"))}}),
		"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
			"Action": []any{"kms:Decrypt", "kms:GenerateDataKey"},
			"Condition": map[string]any{
				"StringEquals": map[string]any{"kms:ViaService": "s3.us-east-1.amazonaws.com"},
				"StringLike": map[string]any{"kms:EncryptionContext:aws:s3:arn": []any{
					map[string]any{"Fn::GetAtt": []any{"UploadsBucketC4B27CC7", "Arn"}},
					map[string]any{"Fn::Join": []any{"", []any{map[string]any{"Fn::GetAtt": []any{"UploadsBucketC4B27CC7", "Arn"}}, "/*"}}},
				}},
			},
		})})},
	})
	if keyedUploads.EncryptionKey() == nil {
		t.Errorf("EncryptionKey() is nil with a customer key")
	}
}

func TestUploadsAreEncryptedWithTheCustomerKeyAndABucketKey(t *testing.T) {
	keyed(t).HasResourceProperties(t, bucket, map[string]any{
		"VersioningConfiguration": map[string]any{"Status": "Enabled"},
		"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{map[string]any{
			"BucketKeyEnabled":              true,
			"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": map[string]any{"Fn::GetAtt": []any{"Key961B73FD", "Arn"}}},
		}}},
	})
}

func TestLogBucketStaysSSES3WithACustomerKey(t *testing.T) {
	b := keyed(t).Resources(bucket)["UploadsAccessLogsB2D59324"]
	if got := cdktest.JSON(b["Properties"].(map[string]any)["BucketEncryption"]); got != `{"ServerSideEncryptionConfiguration":[{"ServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}` {
		t.Errorf("log bucket encryption %s, want SSE-S3: S3 and ALB access logs are delivered only to SSE-S3 buckets", got)
	}
}

func TestReplicationCopiesNewVersionsButNotDeleteMarkers(t *testing.T) {
	for name, tpl := range map[string]*cdktest.Template{"replicated": replicated(t), "keyed": keyed(t)} {
		t.Run(name, func(t *testing.T) {
			tpl.HasResourceProperties(t, bucket, map[string]any{
				"VersioningConfiguration": map[string]any{"Status": "Enabled"},
				"ReplicationConfiguration": map[string]any{
					"Role": map[string]any{"Fn::GetAtt": []any{assertions.Match_StringLikeRegexp(jsii.String("^UploadsBucketReplicationRole")), "Arn"}},
					"Rules": []any{assertions.Match_ObjectLike(&map[string]any{
						"Id": "replicate-uploads", "Priority": 1, "Status": "Enabled", "Filter": map[string]any{"Prefix": ""},
						"DeleteMarkerReplication": map[string]any{"Status": "Disabled"},
						"Destination":             assertions.Match_ObjectLike(&map[string]any{"Bucket": replicaARN}),
					})},
				},
			})
		})
	}
	replicated(t).HasResourceProperties(t, bucket, map[string]any{"ReplicationConfiguration": map[string]any{
		"Role": assertions.Match_AnyValue(),
		"Rules": []any{assertions.Match_ObjectLike(&map[string]any{
			"Destination":             map[string]any{"Bucket": replicaARN},
			"SourceSelectionCriteria": assertions.Match_Absent(),
		})},
	}})
}

func TestReplicationOfKeyedUploadsUsesTheDestinationsKeyAndAccount(t *testing.T) {
	keyed(t).HasResourceProperties(t, bucket, map[string]any{"ReplicationConfiguration": map[string]any{
		"Role": assertions.Match_AnyValue(),
		"Rules": []any{assertions.Match_ObjectLike(&map[string]any{
			"Destination": map[string]any{
				"Bucket": replicaARN, "Account": replicaAccount,
				"EncryptionConfiguration": map[string]any{"ReplicaKmsKeyID": replicaKeyARN},
			},
			"SourceSelectionCriteria": map[string]any{"SseKmsEncryptedObjects": map[string]any{"Status": "Enabled"}},
		})},
	}})
	if keyedUploads.ReplicationRole() == nil {
		t.Errorf("ReplicationRole() is nil with ReplicateTo")
	}
}

func TestReplicationRoleReadsThisBucketAndWritesTheReplicaOnly(t *testing.T) {
	tpl := keyed(t)
	var statements []string
	for id, p := range tpl.Resources("AWS::IAM::Policy") {
		if strings.HasPrefix(id, "UploadsBucketReplicationRole") {
			statements = append(statements, cdktest.JSON(p["Properties"].(map[string]any)["PolicyDocument"]))
		}
	}
	if len(statements) != 1 {
		t.Fatalf("%d replication role policies, want 1", len(statements))
	}
	doc := statements[0]
	for _, want := range []string{"s3:GetObjectVersionForReplication", "s3:ReplicateObject", `"` + replicaARN + `/*"`, replicaKeyARN, "Key961B73FD"} {
		if !strings.Contains(doc, want) {
			t.Errorf("the replication role's policy lacks %s:\n%s", want, doc)
		}
	}
	for _, never := range []string{`"s3:*"`, "s3:DeleteObject", "s3:PutObject"} {
		if strings.Contains(doc, never) {
			t.Errorf("the replication role's policy names %s:\n%s", never, doc)
		}
	}
}

func TestDefaultHasNoKeyAndNoReplication(t *testing.T) {
	tpl := template(t)
	tpl.ResourceCountIs(t, "AWS::KMS::Key", 0)
	tpl.HasResourceProperties(t, bucket, map[string]any{
		"VersioningConfiguration":  map[string]any{"Status": "Enabled"},
		"ReplicationConfiguration": assertions.Match_Absent(),
	})
	for _, g := range grants(t, tpl) {
		if strings.HasPrefix(g, "kms:") {
			t.Errorf("default grant %s: an SSE-S3 bucket needs no key", g)
		}
	}
}

func TestExistingBucketCreatesNoBucketOrPolicy(t *testing.T) {
	tpl := existing(t)
	for _, typ := range []string{bucket, "AWS::S3::BucketPolicy", "AWS::IAM::Role"} {
		want := 0
		if typ == "AWS::IAM::Role" {
			want = 1 // the application's
		}
		tpl.ResourceCountIs(t, typ, want)
	}
}

func TestExistingBucketGrantIsScopedToThatBucketAndItsObjects(t *testing.T) {
	arn, objects := "arn:aws:s3:::"+existingBucket, "arn:aws:s3:::"+existingBucket+"/*"
	var resources []string
	for _, p := range existing(t).Resources("AWS::IAM::Policy") {
		for _, st := range p["Properties"].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			for _, r := range cdktest.AsList(st.(map[string]any)["Resource"]) {
				resources = append(resources, cdktest.JSON(r))
			}
		}
	}
	sort.Strings(resources)
	want := []string{cdktest.JSON(arn), cdktest.JSON(objects)}
	sort.Strings(want)
	if !slices.Equal(resources, want) {
		t.Errorf("the grants reach %v; want exactly %v", resources, want)
	}
}

func TestExistingBucketRefusesWhatOnlyANewBucketCanHave(t *testing.T) {
	stack := awscdk.NewStack(nil, nil, nil)
	b := awss3.Bucket_FromBucketName(stack, jsii.String("B"), jsii.String(existingBucket))
	key := awskms.Key_FromKeyArn(stack, jsii.String("K"), jsii.String("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"))
	err := storage.Props{
		ExistingBucket: b, AccessLogBucket: b, AccessLogPrefix: "x/", NoncurrentVersionDays: 5, CORSOrigins: []string{"https://example.com"},
		EncryptionKey: key, ReplicateTo: &storage.Replication{BucketARN: replicaARN, KMSKeyARN: replicaKeyARN},
	}.Validate()
	for _, field := range []string{"AccessLogBucket", "AccessLogPrefix", "NoncurrentVersionDays", "CORSOrigins", "EncryptionKey", "ReplicateTo"} {
		if want := field + ": configures a new bucket, but ExistingBucket is set"; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want an error containing %q", err, want)
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
		{"replica bucket name, not ARN", storage.Props{ReplicateTo: &storage.Replication{BucketARN: "example-uploads-replica"}}, `ReplicateTo.BucketARN: "example-uploads-replica" is not an S3 bucket ARN; allowed: arn:aws:s3:::<bucket name>`},
		{"replica object ARN", storage.Props{ReplicateTo: &storage.Replication{BucketARN: replicaARN + "/*"}}, "ReplicateTo.BucketARN: "},
		{"no replica bucket", storage.Props{ReplicateTo: &storage.Replication{}}, `ReplicateTo.BucketARN: "" is not an S3 bucket ARN`},
		{"replica account", storage.Props{ReplicateTo: &storage.Replication{BucketARN: replicaARN, Account: "1111"}}, `ReplicateTo.Account: "1111" is not an account ID; allowed: 12 digits`},
		{"replica key alias", storage.Props{ReplicateTo: &storage.Replication{BucketARN: replicaARN, KMSKeyARN: "arn:aws:kms:eu-west-1:111111111111:alias/uploads"}}, `ReplicateTo.KMSKeyARN: "arn:aws:kms:eu-west-1:111111111111:alias/uploads" is not a KMS key ARN`},
		{"customer key without replica key", storage.Props{
			EncryptionKey: awskms.Key_FromKeyArn(awscdk.NewStack(nil, nil, nil), jsii.String("K"), jsii.String("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")),
			ReplicateTo:   &storage.Replication{BucketARN: replicaARN},
		}, "ReplicateTo.KMSKeyARN: required with EncryptionKey"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.props.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
	for _, ok := range []storage.Props{
		{ReplicateTo: &storage.Replication{BucketARN: replicaARN}},
		{ReplicateTo: &storage.Replication{BucketARN: "arn:aws-us-gov:s3:::a.b-c", Account: replicaAccount, KMSKeyARN: "arn:aws-us-gov:kms:us-gov-west-1:111111111111:key/mrk-1234abcd12ab34cd56ef1234567890ab"}},
	} {
		if err := ok.Validate(); err != nil {
			t.Errorf("valid replication %+v: %v", *ok.ReplicateTo, err)
		}
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
