// Package filesystem is the shared file system block of a web tier: one
// encrypted Amazon EFS file system that every server of the fleet mounts at
// the same directory at boot, for data that must be the same on every
// server (Nextcloud's data directory). It is reachable only from the
// security groups it is opened to, on NFS's port, over TLS, with the
// servers' instance role (IAM authorization), and retained.
package filesystem

import (
	_ "embed"
	"fmt"
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbackup"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsefs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/internal/check"
)

// Port is NFS's port, the only one the file system's security group opens.
const Port = 2049

// MountOptions are the options MountStep passes to mount -t efs
// (amazon-efs-utils' mount helper): TLS in transit through its stunnel,
// and IAM authorization with the instance role's credentials. The file
// system policy refuses clients without both.
const MountOptions = "tls,iam"

// MountHelper is the mount helper mount -t efs runs, installed by
// amazon-efs-utils; without it the mount step fails, naming it.
const MountHelper = "mount.efs"

// Props configures a FileSystem.
type Props struct {
	// Vpc is the network the file system's mount targets are created in,
	// one in an isolated subnet of each AZ (SubnetType PRIVATE_ISOLATED; the
	// network block names that group "Isolated"): never public. Required.
	Vpc awsec2.IVpc

	// EncryptionKey is a symmetric customer managed KMS key, usually the
	// tier's, that encrypts the file system at rest. The key's policy must
	// let the account's IAM policies grant its use (a default key policy
	// does). A first-deploy decision: the key of a file system cannot
	// change; setting, changing or removing it replaces the file system
	// (the old one is retained, with the files, and the new one is empty).
	//
	// Default: nil, EFS's AWS managed key aws/elasticfilesystem.
	EncryptionKey awskms.IKey
}

// Validate reports what is wrong with p, naming the field and what is allowed.
func (p Props) Validate() error {
	var pr check.Problems
	if p.Vpc == nil {
		pr.Add("Vpc", "missing; required")
	}
	return pr.Err()
}

// FileSystem is the tier's shared file system.
type FileSystem struct {
	constructs.Construct
	fs          awsefs.FileSystem
	sg          awsec2.SecurityGroup
	connections awsec2.Connections
}

// New creates the file system. It panics, naming id, when props are invalid.
func New(scope constructs.Construct, id string, props *Props) *FileSystem {
	p := Props{}
	if props != nil {
		p = *props
	}
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("filesystem %s: %v", id, err))
	}
	f := &FileSystem{}
	constructs.NewConstruct_Override(f, scope, jsii.String(id))

	// No ingress until AllowFrom; EFS opens no connections of its own.
	f.sg = awsec2.NewSecurityGroup(f, jsii.String("SecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              p.Vpc,
		Description:      jsii.String("File system: accepts the security groups AllowFrom names, on NFS (2049)"),
		AllowAllOutbound: jsii.Bool(false),
	})
	f.connections = awsec2.NewConnections(&awsec2.ConnectionsProps{
		SecurityGroups: &[]awsec2.ISecurityGroup{f.sg},
		DefaultPort:    awsec2.Port_Tcp(jsii.Number(Port)),
	})

	// Clients without TLS are refused whoever they are; anonymous clients
	// (no IAM authorization) get nothing: AllowAnonymousAccess false makes
	// the policy grant only principals of the account, through a mount
	// target, what their own IAM policies allow (GrantMount).
	policy := awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &[]awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("DenyWithoutTLS"),
			Effect:     awsiam.Effect_DENY,
			Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
			Actions:    jsii.Strings("*"),
			Conditions: &map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
		}),
	}})

	var key awskms.IKey
	if p.EncryptionKey != nil {
		key = p.EncryptionKey
	}
	// "FileSystem" is part of the file system's logical ID: renaming it
	// replaces the file system (the old one is retained, with the files).
	f.fs = awsefs.NewFileSystem(f, jsii.String("FileSystem"), &awsefs.FileSystemProps{
		Vpc:           p.Vpc,
		VpcSubnets:    &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED, OnePerAz: jsii.Bool(true)},
		SecurityGroup: f.sg,
		Encrypted:     jsii.Bool(true),
		KmsKey:        key,
		// General purpose: the lowest latency per operation, which PHP's
		// many small metadata calls need; Elastic throughput: pay for the
		// bytes moved, with bursts up to GiB/s, no credits to run out of.
		PerformanceMode: awsefs.PerformanceMode_GENERAL_PURPOSE,
		ThroughputMode:  awsefs.ThroughputMode_ELASTIC,
		// Files not read for 30 days move to Infrequent Access (about a
		// twelfth of the storage price) and back on their first read.
		LifecyclePolicy:             awsefs.LifecyclePolicy_AFTER_30_DAYS,
		OutOfInfrequentAccessPolicy: awsefs.OutOfInfrequentAccessPolicy_AFTER_1_ACCESS,
		// The tier's AWS Backup plan backs it up (BackupResource), not
		// EFS's own default plan.
		EnableAutomaticBackups: jsii.Bool(false),
		AllowAnonymousAccess:   jsii.Bool(false),
		FileSystemPolicy:       policy,
		RemovalPolicy:          awscdk.RemovalPolicy_RETAIN,
	})
	return f
}

// FileSystem returns the EFS file system, for its ID and escape hatches.
func (f *FileSystem) FileSystem() awsefs.FileSystem { return f.fs }

// FileSystemID returns the file system's ID (a CloudFormation token).
func (f *FileSystem) FileSystemID() string { return *f.fs.FileSystemId() }

// SecurityGroup returns the mount targets' security group.
func (f *FileSystem) SecurityGroup() awsec2.ISecurityGroup { return f.sg }

// Connections returns the file system's network connections, which makes a
// FileSystem an awsec2.IConnectable.
func (f *FileSystem) Connections() awsec2.Connections { return f.connections }

// AllowFrom lets peer's security groups reach the mount targets on NFS's
// port, and nothing else: no CIDR range, even if peer has one. It panics if
// peer has no security group.
func (f *FileSystem) AllowFrom(peer awsec2.IConnectable) {
	groups := peer.Connections().SecurityGroups()
	if groups == nil || len(*groups) == 0 {
		panic(fmt.Sprintf("filesystem %s: AllowFrom: the peer has no security group; the file system accepts security groups only", *f.Node().Id()))
	}
	for _, sg := range *groups {
		f.connections.AllowFrom(sg, awsec2.Port_Tcp(jsii.Number(Port)), jsii.String("NFS clients"))
	}
}

// GrantMount lets grantee mount the file system with IAM authorization and
// write to it as root (elasticfilesystem:ClientMount, ClientWrite and
// ClientRootAccess, on this file system only): the boot runs as root and
// gives the mounted directory to the web user.
func (f *FileSystem) GrantMount(grantee awsiam.IGrantable) {
	f.fs.Grant(grantee, jsii.String("elasticfilesystem:ClientMount"), jsii.String("elasticfilesystem:ClientWrite"),
		jsii.String("elasticfilesystem:ClientRootAccess")).AssertSuccess()
}

// BackupResource returns the file system as a resource of an AWS Backup
// selection, e.g. for backup.Backup().Plan().AddSelection.
func (f *FileSystem) BackupResource() awsbackup.BackupResource {
	return awsbackup.BackupResource_FromEfsFileSystem(f.fs)
}

// Mount is where and how a server mounts the file system.
type Mount struct {
	// Dir is the absolute directory the file system is mounted at, created
	// when missing, e.g. "/var/www/nextcloud/data". Required.
	Dir string
	// Owner is the user that owns the file system's root directory (mode
	// 0770, group Owner's primary group), e.g. "www-data". Required.
	Owner string
}

var userPattern = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)

//go:embed mount.sh.tmpl
var mountText string

var mountTemplate = boot.StepTemplate("efs-mount", mountText)

// MountStep returns the body of a boot step (boot.Script.AddStep) that
// mounts the file system at m.Dir with amazon-efs-utils (mount -t efs -o
// tls,iam, no /etc/fstab entry) and gives its root to m.Owner, at every
// start: a directory already mounted is left as it is. The boot stops the
// web server first and starts it after the steps, so the application never
// sees the AMI's own directory. Without mount.efs the step fails, naming
// amazon-efs-utils. It panics on an invalid Dir or Owner.
func (f *FileSystem) MountStep(m Mount) string {
	if !check.Path(m.Dir) {
		panic(fmt.Sprintf("filesystem %s: MountStep: Dir %q is not a clean absolute directory path", *f.Node().Id(), m.Dir))
	}
	if !userPattern.MatchString(m.Owner) {
		panic(fmt.Sprintf("filesystem %s: MountStep: Owner %q is not a user name", *f.Node().Id(), m.Owner))
	}
	return boot.RenderStep(mountTemplate, struct {
		Mount
		ID, Options, Helper string
	}{m, f.FileSystemID(), MountOptions, MountHelper})
}
