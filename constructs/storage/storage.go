// Package storage is the uploads block of a web tier: an S3 bucket every
// server of the fleet shares (uploads must not stay on one server's disk),
// and the log bucket that receives access logs.
package storage

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// Props configures an Uploads bucket.
type Props struct {
	// AccessLogBucket receives the bucket's server access logs, under AccessLogPrefix.
	//
	// Default: a new log bucket (NewLogBucket) in this construct.
	AccessLogBucket awss3.IBucket

	// AccessLogPrefix is the key prefix of the server access logs.
	//
	// Default: "uploads/".
	AccessLogPrefix string

	// NoncurrentVersionDays is how long a replaced or deleted object's older
	// versions are kept, 1 to 3650 days.
	//
	// Default: 30.
	NoncurrentVersionDays int

	// CORSOrigins are the browser origins allowed to upload to and download from
	// the bucket directly (presigned URLs), e.g. "https://example.com".
	//
	// Default: none, no CORS rule.
	CORSOrigins []string
}

// Validate reports what is wrong with p, naming the field and what is allowed.
func (p Props) Validate() error {
	var problems []string
	if p.NoncurrentVersionDays != 0 && (p.NoncurrentVersionDays < 1 || p.NoncurrentVersionDays > 3650) {
		problems = append(problems, fmt.Sprintf("NoncurrentVersionDays: %d is out of range; allowed: 1 to 3650 (0 for the default, 30)", p.NoncurrentVersionDays))
	}
	for i, origin := range p.CORSOrigins {
		u, err := url.Parse(origin)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			problems = append(problems, fmt.Sprintf("CORSOrigins[%d]: %q is not an origin; expected scheme and host, e.g. https://example.com", i, origin))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// Uploads is the shared uploads bucket: private, encrypted, versioned, TLS
// only, logged, and retained when the stack or the construct is deleted.
type Uploads struct {
	constructs.Construct
	bucket    awss3.Bucket
	logBucket awss3.IBucket
}

// Bucket returns the uploads bucket.
func (u *Uploads) Bucket() awss3.Bucket { return u.bucket }

// AccessLogBucket returns the bucket that receives the server access logs.
func (u *Uploads) AccessLogBucket() awss3.IBucket { return u.logBucket }

// GrantObjectAccess lets role read, write and delete objects in the bucket,
// and list it: the access an application needs for uploads, on this bucket
// only. CDK's grants use object-level wildcards (s3:GetObject*, the bucket's
// objects /*); they are recorded on role as reviewed cdk-nag exceptions.
func (u *Uploads) GrantObjectAccess(role awsiam.IRole) {
	u.bucket.GrantReadWrite(role, nil)
	u.bucket.GrantDelete(role, nil)
	stack := awscdk.Stack_Of(u)
	logicalID := stack.Resolve(stack.GetLogicalId(u.bucket.Node().DefaultChild().(awscdk.CfnElement)))
	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("Object access to the uploads bucket only: CDK's grantReadWrite and grantDelete name object actions with wildcards (s3:GetObject*, s3:DeleteObject*, ...) on the bucket's objects."),
		AppliesTo: &[]any{
			"Action::s3:Abort*", "Action::s3:DeleteObject*", "Action::s3:GetBucket*", "Action::s3:GetObject*", "Action::s3:List*",
			fmt.Sprintf("Resource::<%s.Arn>/*", logicalID),
		},
	}}, jsii.Bool(true))
}

// New creates the uploads bucket. It panics, naming id, when props are invalid.
func New(scope constructs.Construct, id string, props *Props) *Uploads {
	p := Props{}
	if props != nil {
		p = *props
	}
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("storage %s: %v", id, err))
	}
	if p.AccessLogPrefix == "" {
		p.AccessLogPrefix = "uploads/"
	}
	if p.NoncurrentVersionDays == 0 {
		p.NoncurrentVersionDays = 30
	}

	u := &Uploads{}
	constructs.NewConstruct_Override(u, scope, jsii.String(id))
	u.logBucket = p.AccessLogBucket
	if u.logBucket == nil {
		// "AccessLogs" is part of the log bucket's logical ID: renaming it replaces the bucket.
		u.logBucket = NewLogBucket(u, "AccessLogs", nil)
	}

	var cors *[]*awss3.CorsRule
	if len(p.CORSOrigins) > 0 {
		cors = &[]*awss3.CorsRule{{
			AllowedOrigins: jsii.Strings(p.CORSOrigins...),
			AllowedMethods: &[]awss3.HttpMethods{awss3.HttpMethods_GET, awss3.HttpMethods_HEAD, awss3.HttpMethods_PUT, awss3.HttpMethods_POST},
			AllowedHeaders: jsii.Strings("*"),
			ExposedHeaders: jsii.Strings("ETag"),
			MaxAge:         jsii.Number(3000),
		}}
	}
	// "Bucket" is part of the logical ID: renaming it replaces the bucket and its data.
	u.bucket = awss3.NewBucket(u, jsii.String("Bucket"), &awss3.BucketProps{
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		Versioned:              jsii.Bool(true),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		ServerAccessLogsBucket: u.logBucket,
		ServerAccessLogsPrefix: jsii.String(p.AccessLogPrefix),
		RemovalPolicy:          awscdk.RemovalPolicy_RETAIN,
		Cors:                   cors,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("noncurrent-versions"),
			NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(p.NoncurrentVersionDays)),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(7)),
		}},
	})
	return u
}

// LogBucketProps configures a log bucket.
type LogBucketProps struct {
	// ExpirationDays is how long logs are kept, 1 to 3650 days.
	//
	// Default: 365.
	ExpirationDays int
}

// NewLogBucket creates a bucket for access logs: ALB access logs and S3
// server access logs both need SSE-S3 encryption, which it has. Private, TLS
// only, retained on delete, logs expired after ExpirationDays.
func NewLogBucket(scope constructs.Construct, id string, props *LogBucketProps) awss3.Bucket {
	p := LogBucketProps{}
	if props != nil {
		p = *props
	}
	if p.ExpirationDays == 0 {
		p.ExpirationDays = 365
	}
	if p.ExpirationDays < 1 || p.ExpirationDays > 3650 {
		panic(fmt.Sprintf("storage %s: ExpirationDays: %d is out of range; allowed: 1 to 3650", id, p.ExpirationDays))
	}
	bucket := awss3.NewBucket(scope, jsii.String(id), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:         jsii.String("expire-logs"),
			Expiration: awscdk.Duration_Days(jsii.Number(p.ExpirationDays)),
		}},
	})
	cdknag.NagSuppressions_AddResourceSuppressions(bucket, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-S1"),
		Reason: jsii.String("This is the access log bucket; logging its own access into itself would loop."),
	}}, jsii.Bool(false))
	return bucket
}
