// Package releases ships application code without a new AMI: a bucket that
// holds a tier's releases (releases/<id>.tar.gz), the grant that lets the
// servers read them, and the boot step that installs the current release
// into a releases directory and switches the application's path to it with
// one atomic rename, the layout Envoyer and Deployer use.
//
// The current release is part of the template (Release, rendered into the
// boot script whose SHA-256 the user data carries): a new release changes
// the launch template, and CloudFormation replaces the servers through the
// same path as a new AMI, with its alarms and rollback. The block knows
// nothing of the tiers: the web tier creates it and adds the step.
package releases

import (
	"cmp"
	_ "embed"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/tierkit/tierkit/constructs/boot"
)

// Prefix is the key prefix of the release objects: releases/<id>.tar.gz.
const Prefix = "releases/"

// AMI is the name the first install gives the AMI's own code in the
// releases directory: the fallback when no release is current.
const AMI = "ami"

// Tag is the EC2 tag naming the release a server runs (AMI without a
// release): the drill and the review read it.
const Tag = "tierkit-release"

// DefaultKeep is how many installed releases a server keeps besides the one
// it serves and the AMI's code.
const DefaultKeep = 3

// Props configures a release bucket.
type Props struct {
	// EncryptionKey encrypts the releases (SSE-KMS, with an S3 Bucket Key);
	// the servers are granted decrypting with it.
	//
	// Default: nil, S3 managed keys (SSE-S3).
	EncryptionKey awskms.IKey

	// AccessLogBucket receives the bucket's server access logs.
	//
	// Default: nil, no access logs (cdk-nag's AwsSolutions-S1 then reports
	// the bucket).
	AccessLogBucket awss3.IBucket

	// AccessLogPrefix is the key prefix of the access logs.
	//
	// Default: "releases/".
	AccessLogPrefix string
}

// Releases is a tier's release bucket.
type Releases struct {
	constructs.Construct
	bucket awss3.Bucket
	key    awskms.IKey
}

// New creates the release bucket: versioned (an overwritten release keeps
// its old bytes), TLS only, public access blocked, retained with its
// releases when the stack is deleted.
func New(scope constructs.Construct, id string, props *Props) *Releases {
	p := Props{}
	if props != nil {
		p = *props
	}
	r := &Releases{key: p.EncryptionKey}
	constructs.NewConstruct_Override(r, scope, jsii.String(id))
	encryption, bucketKey := awss3.BucketEncryption_S3_MANAGED, (*bool)(nil)
	if p.EncryptionKey != nil {
		encryption, bucketKey = awss3.BucketEncryption_KMS, jsii.Bool(true)
	}
	var logPrefix *string
	if p.AccessLogBucket != nil {
		logPrefix = jsii.String(cmp.Or(p.AccessLogPrefix, "releases/"))
	}
	// "Bucket" is part of the logical ID: renaming it replaces the bucket
	// and the releases in it.
	r.bucket = awss3.NewBucket(r, jsii.String("Bucket"), &awss3.BucketProps{
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		Encryption:             encryption,
		EncryptionKey:          p.EncryptionKey,
		BucketKeyEnabled:       bucketKey,
		Versioned:              jsii.Bool(true),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		ServerAccessLogsBucket: p.AccessLogBucket,
		ServerAccessLogsPrefix: logPrefix,
		RemovalPolicy:          awscdk.RemovalPolicy_RETAIN,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("noncurrent-versions"),
			NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(90)),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(7)),
		}},
	})
	return r
}

// Bucket returns the release bucket.
func (r *Releases) Bucket() awss3.Bucket { return r.bucket }

// GrantRead lets role read the release objects, s3:GetObject on releases/*
// and nothing else of the bucket (no listing, no other key), and, with
// EncryptionKey, decrypt them through S3 for this bucket only.
func (r *Releases) GrantRead(role awsiam.IRole) {
	objects := r.bucket.ArnForObjects(jsii.String(Prefix + "*"))
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:GetObject"),
		Resources: &[]*string{objects},
	}))
	if r.key != nil {
		// S3 calls KMS with the caller's permissions; the context is the
		// bucket's ARN with an S3 Bucket Key.
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("kms:Decrypt"),
			Resources: &[]*string{r.key.KeyArn()},
			Conditions: &map[string]any{
				"StringEquals": map[string]any{"kms:ViaService": "s3." + *awscdk.Stack_Of(r).Region() + ".amazonaws.com"},
				"StringLike":   map[string]any{"kms:EncryptionContext:aws:s3:arn": []any{r.bucket.BucketArn(), objects}},
			},
		}))
	}
	stack := awscdk.Stack_Of(r)
	logicalID := stack.Resolve(stack.GetLogicalId(r.bucket.Node().DefaultChild().(awscdk.CfnElement)))
	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		Reason:    jsii.String("Reading releases only: s3:GetObject on the release bucket's releases/ prefix (releases/<id>.tar.gz), whose ids the template names; no other action or key."),
		AppliesTo: &[]any{fmt.Sprintf("Resource::<%s.Arn>/%s*", logicalID, Prefix)},
	}}, jsii.Bool(true))
}

// Release is the release the servers run: its id and the SHA-256 of its
// archive, releases/<ID>.tar.gz. scripts/release writes both.
type Release struct {
	// ID names the release: a letter or digit, then up to 63 letters,
	// digits, ., _ or -, e.g. "20261203-1612-a1b2c3d"; not "ami".
	ID string `json:"id"`
	// SHA256 is the archive's SHA-256, 64 lower-case hex digits: a server
	// installs the release only when the bytes it fetched have it.
	SHA256 string `json:"sha256"`
}

var (
	idPattern     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	sha256Pattern = regexp.MustCompile(`^[0-9a-f]{64}$`)
	sharedPattern = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	pathPattern   = regexp.MustCompile(`^/[A-Za-z0-9@+=:,._/-]*$`)
)

// Validate reports what is wrong with r, naming the field (below field,
// e.g. "Release") and what is allowed.
func (r Release) Validate(field string) []string {
	var problems []string
	if !idPattern.MatchString(r.ID) || r.ID == AMI {
		problems = append(problems, fmt.Sprintf("%s.ID: %q is not a release id; allowed: a letter or digit, then up to 63 letters, digits, ., _ or -, not %q", field, r.ID, AMI))
	}
	if !sha256Pattern.MatchString(r.SHA256) {
		problems = append(problems, fmt.Sprintf("%s.SHA256: %q is not a SHA-256; allowed: 64 lower-case hex digits (sha256sum's)", field, r.SHA256))
	}
	return problems
}

// Key returns the release's object key, releases/<id>.tar.gz.
func (r Release) Key() string { return Prefix + r.ID + ".tar.gz" }

//go:embed step.sh.tmpl
var stepText string

var stepTemplate = boot.StepTemplate("release", stepText)

// StepName is the name of the boot step Step renders.
const StepName = "release"

// StepProps configures the boot step that installs a release.
type StepProps struct {
	// Bucket is the release bucket's name (a CDK token allowed).
	Bucket string
	// Release is the current release, or nil: the AMI's code serves.
	Release *Release
	// AppPath is the application's directory, the one the web server's
	// document root is in, e.g. "/var/www/html". The first install moves
	// the AMI's directory to <parent>/releases/ami and makes AppPath a
	// symbolic link to releases/<id> (relative, in the same parent).
	AppPath string
	// Shared are the entries of AppPath that are not part of a release
	// (top-level names, e.g. ".env", "storage"): in each installed release
	// they are symbolic links to the AMI's copy, which the tier's steps write.
	Shared []string
	// Keep is how many installed releases are kept besides the serving one
	// and the AMI's code. Default: DefaultKeep.
	Keep int
}

// ReleasesDir returns the releases directory of appPath: beside it, named
// releases, e.g. /var/www/releases for /var/www/html.
func ReleasesDir(appPath string) string { return path.Join(path.Dir(appPath), "releases") }

// Step returns the body of the boot step that installs p.Release (see the
// package documentation), for boot.Script.AddStep under StepName. It panics
// on invalid props, naming the field.
func Step(p StepProps) string {
	var problems []string
	if !pathPattern.MatchString(p.AppPath) || path.Clean(p.AppPath) != p.AppPath || path.Dir(p.AppPath) == p.AppPath || path.Base(p.AppPath) == "releases" {
		problems = append(problems, fmt.Sprintf("AppPath: %q is not a clean absolute directory path below /, not named releases", p.AppPath))
	}
	if p.Bucket == "" {
		problems = append(problems, "Bucket: required")
	}
	if p.Release != nil {
		problems = append(problems, p.Release.Validate("Release")...)
	}
	for i, s := range p.Shared {
		if !sharedPattern.MatchString(s) || s == "." || s == ".." {
			problems = append(problems, fmt.Sprintf("Shared[%d]: %q is not a top-level name of the application's directory", i, s))
		}
	}
	if p.Keep < 0 || p.Keep > 20 {
		problems = append(problems, fmt.Sprintf("Keep: %d is out of range; allowed: 1 to 20 (0 for the default, %d)", p.Keep, DefaultKeep))
	}
	if len(problems) > 0 {
		panic("releases: " + strings.Join(problems, "; "))
	}
	if p.Keep == 0 {
		p.Keep = DefaultKeep
	}
	data := struct {
		StepProps
		Dir, ID, SHA256, Key, AMI string
	}{StepProps: p, Dir: ReleasesDir(p.AppPath), AMI: AMI}
	if p.Release != nil {
		data.ID, data.SHA256, data.Key = p.Release.ID, p.Release.SHA256, p.Release.Key()
	}
	return boot.RenderStep(stepTemplate, data)
}
