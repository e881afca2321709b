// Package storage is the uploads block of a web tier: an S3 bucket every
// server of the fleet shares (uploads must not stay on one server's disk),
// and the log bucket that receives access logs. A tier can also use the
// bucket a team already has, in place.
package storage

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
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

	// EncryptionKey encrypts the uploads (SSE-KMS with an S3 Bucket Key, so
	// that S3 asks KMS for a key per bucket, not per object). Objects written
	// before it was set keep SSE-S3 until they are written again. The access
	// log bucket keeps SSE-S3: S3 server access logs and ALB access logs are
	// delivered only to SSE-S3 buckets.
	//
	// Default: nil, SSE-S3 (AES256, keys managed by S3).
	EncryptionKey awskms.IKey

	// ReplicateTo replicates every new object version to a bucket in another
	// region (a copy that survives the loss of this region, this bucket or
	// its stack). Delete markers are not replicated, so a deletion here (by
	// the application or by someone holding its role) leaves the replica's
	// object in place.
	//
	// Default: nil, no replication.
	ReplicateTo *Replication

	// ExistingBucket is a bucket the team already has (its uploads), used in
	// place instead of creating one, e.g. awss3.Bucket_FromBucketName. The
	// block creates nothing then (no bucket, no log bucket): the grants stay
	// on that bucket and its objects, and what the block would set on a bucket
	// of its own is the team's to set on theirs (the README's checklist), so
	// AccessLogBucket, AccessLogPrefix, NoncurrentVersionDays, CORSOrigins,
	// EncryptionKey and ReplicateTo are refused with it. A bucket encrypted
	// with a customer managed key needs that key granted to the role as well.
	//
	// Default: nil, a new bucket.
	ExistingBucket awss3.IBucket
}

// Replication is where the uploads are replicated to.
type Replication struct {
	// BucketARN is the destination bucket, e.g.
	// "arn:aws:s3:::example-uploads-replica", in another region, with
	// versioning on. Required.
	BucketARN string

	// Account is the 12-digit account that owns the destination bucket. For
	// another account, the destination's bucket policy must let
	// ReplicationRole replicate into it, and BucketOwnerEnforced there makes
	// that account own the replicas.
	//
	// Default: "", this stack's account.
	Account string

	// KMSKeyARN is the key, in the destination's region, that encrypts the
	// replicas, e.g. "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-...".
	// With it, objects encrypted with EncryptionKey are replicated too.
	//
	// Default: "", replicas keep the source's SSE-S3; required when
	// EncryptionKey is set (S3 replicates SSE-KMS objects only with a
	// destination key).
	KMSKeyARN string
}

var (
	bucketARNPattern = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	accountPattern   = regexp.MustCompile(`^[0-9]{12}$`)
	keyARNPattern    = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:kms:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:key/(mrk-)?[0-9a-f-]+$`)
)

// Validate reports what is wrong with p, naming the field and what is allowed.
func (p Props) Validate() error {
	var problems []string
	if p.ExistingBucket != nil {
		for _, f := range []struct {
			name string
			set  bool
		}{
			{"AccessLogBucket", p.AccessLogBucket != nil}, {"AccessLogPrefix", p.AccessLogPrefix != ""},
			{"NoncurrentVersionDays", p.NoncurrentVersionDays != 0}, {"CORSOrigins", len(p.CORSOrigins) > 0},
			{"EncryptionKey", p.EncryptionKey != nil}, {"ReplicateTo", p.ReplicateTo != nil},
		} {
			if f.set {
				problems = append(problems, fmt.Sprintf("%s: configures a new bucket, but ExistingBucket is set and an imported bucket cannot be changed; allowed: leave it empty and set it on the bucket itself (storage README, \"Bringing an existing bucket\")", f.name))
			}
		}
	}
	if p.NoncurrentVersionDays != 0 && (p.NoncurrentVersionDays < 1 || p.NoncurrentVersionDays > 3650) {
		problems = append(problems, fmt.Sprintf("NoncurrentVersionDays: %d is out of range; allowed: 1 to 3650 (0 for the default, 30)", p.NoncurrentVersionDays))
	}
	for i, origin := range p.CORSOrigins {
		u, err := url.Parse(origin)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			problems = append(problems, fmt.Sprintf("CORSOrigins[%d]: %q is not an origin; expected scheme and host, e.g. https://example.com", i, origin))
		}
	}
	if r := p.ReplicateTo; r != nil {
		if !bucketARNPattern.MatchString(r.BucketARN) {
			problems = append(problems, fmt.Sprintf("ReplicateTo.BucketARN: %q is not an S3 bucket ARN; allowed: arn:aws:s3:::<bucket name>, e.g. arn:aws:s3:::example-uploads-replica", r.BucketARN))
		}
		if r.Account != "" && !accountPattern.MatchString(r.Account) {
			problems = append(problems, fmt.Sprintf("ReplicateTo.Account: %q is not an account ID; allowed: 12 digits (\"\" for this stack's account)", r.Account))
		}
		switch {
		case r.KMSKeyARN != "" && !keyARNPattern.MatchString(r.KMSKeyARN):
			problems = append(problems, fmt.Sprintf("ReplicateTo.KMSKeyARN: %q is not a KMS key ARN; allowed: arn:aws:kms:<region>:<account>:key/<key id> (no alias)", r.KMSKeyARN))
		case r.KMSKeyARN == "" && p.EncryptionKey != nil:
			problems = append(problems, "ReplicateTo.KMSKeyARN: required with EncryptionKey; S3 replicates SSE-KMS objects only with a key in the destination's region")
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
	bucket          awss3.IBucket
	logBucket       awss3.IBucket
	key             awskms.IKey
	replicationRole awsiam.IRole
	existing        bool
}

// Bucket returns the uploads bucket: the new one, or ExistingBucket.
func (u *Uploads) Bucket() awss3.IBucket { return u.bucket }

// Existing reports whether the bucket is ExistingBucket, used in place.
func (u *Uploads) Existing() bool { return u.existing }

// AccessLogBucket returns the bucket that receives the server access logs,
// or nil for an ExistingBucket.
func (u *Uploads) AccessLogBucket() awss3.IBucket { return u.logBucket }

// EncryptionKey returns the customer managed key of the uploads, or nil
// when they are encrypted with SSE-S3.
func (u *Uploads) EncryptionKey() awskms.IKey { return u.key }

// ReplicationRole returns the role S3 replicates with (for the destination
// account's bucket policy), or nil without ReplicateTo.
func (u *Uploads) ReplicationRole() awsiam.IRole { return u.replicationRole }

// GrantObjectAccess lets role do what an application's uploads need, on this
// bucket only: read, write and delete objects, list the bucket, and finish or
// abort multipart uploads (Laravel's Flysystem S3 adapter, Nextcloud's S3
// object store). It cannot purge what versioning keeps: a delete makes a
// delete marker and the older versions stay until the lifecycle expires them
// (no s3:DeleteObjectVersion), and it cannot change the bucket, its
// lifecycle or an object's retention or legal hold (no s3:PutBucket*,
// s3:PutLifecycleConfiguration, s3:PutObjectRetention,
// s3:PutObjectLegalHold). With EncryptionKey it may also use the key, through
// S3 and for this bucket only.
func (u *Uploads) GrantObjectAccess(role awsiam.IRole) {
	objects := u.bucket.ArnForObjects(jsii.String("*"))
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		// GetObject also answers HEAD (exists, size, type). GetObjectAcl is
		// read only: Flysystem reads an object's visibility to keep it on
		// copy and move (the ACL always says the bucket owner, ACLs are
		// disabled). PutObject covers every part of a multipart upload; a
		// copy needs GetObject on its source and PutObject on its target.
		// DeleteObject without a version ID only adds a delete marker. No GetObjectVersion: the
		// applications never address a version, and an older version is what
		// a user deleted.
		Actions: jsii.Strings("s3:GetObject", "s3:GetObjectAcl", "s3:PutObject", "s3:DeleteObject",
			"s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"),
		Resources: &[]*string{objects},
	}))
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		// ListBucket lists keys (directories in Flysystem) and answers HEAD
		// bucket, which Nextcloud's object store sends before it uses the
		// bucket (verify_bucket_exists); GetBucketLocation lets a client
		// find the bucket's region.
		Actions:   jsii.Strings("s3:ListBucket", "s3:GetBucketLocation"),
		Resources: &[]*string{u.bucket.BucketArn()},
	}))
	if u.key != nil {
		// S3 calls KMS with the caller's permissions: GenerateDataKey to
		// write, Decrypt to read and to complete a multipart upload. Only
		// through S3 in this region, and only for this bucket (the context is
		// the bucket's ARN with an S3 Bucket Key, an object's without).
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
			Resources: &[]*string{u.key.KeyArn()},
			Conditions: &map[string]any{
				"StringEquals": map[string]any{"kms:ViaService": "s3." + *awscdk.Stack_Of(u).Region() + ".amazonaws.com"},
				"StringLike":   map[string]any{"kms:EncryptionContext:aws:s3:arn": []any{u.bucket.BucketArn(), objects}},
			},
		}))
	}
	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		Reason:    jsii.String("Object access to the uploads bucket only: the application names its own keys, so object actions apply to the bucket's objects (<bucket>/*); every action is named, none is a wildcard."),
		AppliesTo: &[]any{u.objectsFinding()},
	}}, jsii.Bool(true))
}

// objectsFinding is how cdk-nag names the bucket's objects in its findings:
// an imported bucket's ARN has the partition literal in a stack of a known
// region, a token otherwise.
func (u *Uploads) objectsFinding() any {
	if u.existing {
		return &cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::arn:(aws[a-z-]*|<AWS::Partition>):s3:::` + regexp.QuoteMeta(*u.bucket.BucketName()) + `\/\*$/`)}
	}
	stack := awscdk.Stack_Of(u)
	logicalID := stack.Resolve(stack.GetLogicalId(u.bucket.Node().DefaultChild().(awscdk.CfnElement)))
	return fmt.Sprintf("Resource::<%s.Arn>/*", logicalID)
}

// New creates the uploads bucket, or wraps ExistingBucket. It panics, naming
// id, when props are invalid.
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

	u := &Uploads{key: p.EncryptionKey}
	constructs.NewConstruct_Override(u, scope, jsii.String(id))
	if p.ExistingBucket != nil {
		u.bucket, u.existing = p.ExistingBucket, true
		return u
	}
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
	encryption := awss3.BucketEncryption_S3_MANAGED
	var bucketKey *bool
	if p.EncryptionKey != nil {
		// Changing the encryption is an update of the bucket, not a
		// replacement; existing objects keep theirs until rewritten.
		encryption, bucketKey = awss3.BucketEncryption_KMS, jsii.Bool(true)
	}
	// "Bucket" is part of the logical ID: renaming it replaces the bucket and its data.
	u.bucket = awss3.NewBucket(u, jsii.String("Bucket"), &awss3.BucketProps{
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		Encryption:             encryption,
		EncryptionKey:          p.EncryptionKey,
		BucketKeyEnabled:       bucketKey,
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
		ReplicationRules: u.replicationRules(p.ReplicateTo),
	})
	if p.ReplicateTo != nil {
		// aws-s3 creates the role ("ReplicationRole" in the bucket) and
		// grants it reading this bucket's versions, replicating into the
		// destination and the keys.
		u.replicationRole = u.bucket.Node().FindChild(jsii.String("ReplicationRole")).(awsiam.IRole)
		suppressReplicationFindings(u, p.ReplicateTo)
	}
	return u
}

// replicationRules renders r as the bucket's one replication rule, or nil.
func (u *Uploads) replicationRules(r *Replication) *[]*awss3.ReplicationRule {
	if r == nil {
		return nil
	}
	attrs := &awss3.BucketAttributes{BucketArn: jsii.String(r.BucketARN)}
	if r.Account != "" {
		attrs.Account = jsii.String(r.Account)
	}
	// Imports: no resource, only how the rule and the role's grants name them.
	rule := &awss3.ReplicationRule{
		Destination: awss3.Bucket_FromBucketAttributes(u, jsii.String("ReplicaBucket"), attrs),
		Id:          jsii.String("replicate-uploads"),
		Priority:    jsii.Number(1),
		// A delete marker stays here: deleting through the application (or
		// with its role) never hides the replica's object.
		DeleteMarkerReplication: jsii.Bool(false),
	}
	if r.KMSKeyARN != "" {
		rule.KmsKey = awskms.Key_FromKeyArn(u, jsii.String("ReplicaKey"), jsii.String(r.KMSKeyARN))
		rule.SseKmsEncryptedObjects = jsii.Bool(true)
	}
	return &[]*awss3.ReplicationRule{rule}
}

// suppressReplicationFindings records the reviewed cdk-nag exceptions of the
// replication role that aws-s3 creates and grants.
func suppressReplicationFindings(u *Uploads, r *Replication) {
	stack := awscdk.Stack_Of(u)
	logicalID := stack.Resolve(stack.GetLogicalId(u.bucket.Node().DefaultChild().(awscdk.CfnElement)))
	appliesTo := []any{fmt.Sprintf("Resource::<%s.Arn>/*", logicalID), "Resource::" + r.BucketARN + "/*"}
	if r.KMSKeyARN != "" {
		appliesTo = append(appliesTo, "Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*")
	}
	cdknag.NagSuppressions_AddResourceSuppressions(u.replicationRole, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("S3 replication of the uploads bucket: aws-s3's grant reads every object version of this bucket (<bucket>/*) and replicates into every key of the destination bucket (<replica>/*); " +
			"with a destination key, encrypting replicas needs kms:GenerateDataKey* and kms:ReEncrypt* on that key only."),
		AppliesTo: &appliesTo,
	}}, jsii.Bool(true))
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
