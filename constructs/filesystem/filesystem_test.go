package filesystem_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/tierkit/tierkit/constructs/filesystem"
	"github.com/tierkit/tierkit/constructs/filesystem/filesystemtest"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// created is the file system of the default template, for its accessors.
var created *filesystem.FileSystem

// fixtures are the block's test stacks (filesystemtest): "Test", the
// default file system opened to a fleet security group, mounted by an
// instance role and in a backup plan; "Keyed", the same with a customer
// managed key. One app, synthesized once in strict mode; internal/conformance
// checks the same stacks with CloudFormation validation and cdk-nag.
var fixtures *filesystemtest.Fixtures

var variants = cdktest.Variants(func(tb testing.TB) map[string]awscdk.Stack {
	fixtures = filesystemtest.New(cdktest.NewApp(tb, cdktest.Strict()))
	created = fixtures.Created
	return fixtures.Stacks
})

var (
	template = variants("Test")
	keyed    = variants("Keyed")
)

// fsID is the file system's logical ID: part of the contract, since
// renaming a construct replaces the file system.
const fsID = "FilesFileSystemCB06EB6B"

func TestFileSystemKeepsItsLogicalIDAndIsRetained(t *testing.T) {
	for name, tpl := range map[string]*cdktest.Template{"default": template(t), "with a key": keyed(t)} {
		r, ok := tpl.Resources(fileSystem)[fsID]
		switch {
		case !ok:
			t.Errorf("%s: no %s %s: renaming a construct replaces the file system", name, fileSystem, fsID)
		case r["DeletionPolicy"] != "Retain" || r["UpdateReplacePolicy"] != "Retain":
			t.Errorf("%s: DeletionPolicy %v, UpdateReplacePolicy %v; want Retain", name, r["DeletionPolicy"], r["UpdateReplacePolicy"])
		}
	}
}

func TestFileSystemIsEncryptedWithAnAWSKeyByDefault(t *testing.T) {
	p := cdktest.Props(template(t).Resources(fileSystem)[fsID])
	if p["Encrypted"] != true || p["KmsKeyId"] != nil {
		t.Errorf("Encrypted %v, KmsKeyId %v; want encrypted with EFS's AWS managed key", p["Encrypted"], p["KmsKeyId"])
	}
}

func TestFileSystemIsEncryptedWithTheKey(t *testing.T) {
	tpl := keyed(t)
	key := cdktest.LogicalID(t, tpl, "AWS::KMS::Key", "TierKey")
	tpl.HasResourceProperties(t, fileSystem, map[string]any{"Encrypted": true, "KmsKeyId": map[string]any{"Fn::GetAtt": []any{key, "Arn"}}})
}

func TestElasticThroughputGeneralPurposeAndInfrequentAccess(t *testing.T) {
	p := cdktest.Props(template(t).Resources(fileSystem)[fsID])
	if b, ok := p["BackupPolicy"]; ok && cdktest.JSON(b) != `{"Status":"DISABLED"}` {
		t.Errorf("BackupPolicy %s; want EFS's own automatic backups off (the tier's plan backs it up)", cdktest.JSON(b))
	}
	template(t).HasResourceProperties(t, fileSystem, map[string]any{
		"PerformanceMode": "generalPurpose", "ThroughputMode": "elastic",
		"LifecyclePolicies": []any{map[string]any{"TransitionToIA": "AFTER_30_DAYS"}, map[string]any{"TransitionToPrimaryStorageClass": "AFTER_1_ACCESS"}},
	})
}

// statements returns the file system policy's statements.
func statements(t *testing.T, tpl *cdktest.Template) []map[string]any {
	t.Helper()
	doc, _ := cdktest.Props(tpl.Resources(fileSystem)[fsID])["FileSystemPolicy"].(map[string]any)
	var out []map[string]any
	for _, s := range cdktest.AsList(doc["Statement"]) {
		out = append(out, s.(map[string]any))
	}
	if len(out) == 0 {
		t.Fatal("the file system has no policy")
	}
	return out
}

func TestPolicyDeniesClientsWithoutTLS(t *testing.T) {
	for _, s := range statements(t, template(t)) {
		if s["Effect"] == "Deny" && cdktest.JSON(s["Principal"]) == `{"AWS":"*"}` && cdktest.JSON(s["Action"]) == `"*"` &&
			cdktest.JSON(s["Condition"]) == `{"Bool":{"aws:SecureTransport":"false"}}` {
			return
		}
	}
	t.Errorf("no statement denies every client without TLS: %s", cdktest.JSON(statements(t, template(t))))
}

// TestPolicyAllowsNoAnonymousClient: the only Allow is AWS's "prevent
// anonymous access" statement: IAM-authenticated principals, through a
// mount target, may write and act as root; nothing, not even a read
// (ClientMount), is allowed to a client without IAM authorization.
func TestPolicyAllowsNoAnonymousClient(t *testing.T) {
	var allows []string
	for _, s := range statements(t, template(t)) {
		if s["Effect"] == "Allow" {
			allows = append(allows, cdktest.JSON(s))
		}
	}
	want := `{"Action":["elasticfilesystem:ClientRootAccess","elasticfilesystem:ClientWrite"],"Condition":{"Bool":{"elasticfilesystem:AccessedViaMountTarget":"true"}},"Effect":"Allow","Principal":{"AWS":"*"}}`
	if len(allows) != 1 || allows[0] != want {
		t.Errorf("the policy allows %s; want only %s (without a policy EFS allows anonymous clients everything)", allows, want)
	}
}

func TestMountTargetsAreInTheIsolatedSubnetsOnly(t *testing.T) {
	targets := template(t).Resources(mountTarget)
	if len(targets) != 2 {
		t.Fatalf("%d mount targets; want one per AZ (2)", len(targets))
	}
	for id, mt := range targets {
		if s := cdktest.JSON(cdktest.Props(mt)["SubnetId"]); !strings.HasPrefix(s, `{"Ref":"VpcIsolatedSubnet`) {
			t.Errorf("%s in %s; want an isolated subnet, never a public one", id, s)
		}
	}
}

func TestOnlyTheFleetReachesNFS(t *testing.T) {
	tpl := template(t)
	sg := cdktest.LogicalID(t, tpl, "AWS::EC2::SecurityGroup", "FilesSecurityGroup")
	tpl.OnlyIngressFrom(t, sg, cdktest.LogicalID(t, tpl, "AWS::EC2::SecurityGroup", "Fleet"), filesystem.Port)
	for id, mt := range tpl.Resources(mountTarget) {
		if got := cdktest.JSON(cdktest.Props(mt)["SecurityGroups"]); got != `[{"Fn::GetAtt":["`+sg+`","GroupId"]}]` {
			t.Errorf("%s: security groups %s; want the block's own only", id, got)
		}
	}
}

func TestRoleMayMountThisFileSystemOnly(t *testing.T) {
	var actions []string
	for _, p := range template(t).Resources(policy) {
		for _, s := range cdktest.AsList(cdktest.Props(p)["PolicyDocument"].(map[string]any)["Statement"]) {
			st := s.(map[string]any)
			for _, a := range cdktest.AsList(st["Action"]) {
				actions = append(actions, a.(string))
			}
			if got := cdktest.JSON(st["Resource"]); got != `{"Fn::GetAtt":["`+fsID+`","Arn"]}` {
				t.Errorf("%s granted on %s; want this file system only", cdktest.JSON(st["Action"]), got)
			}
		}
	}
	if got := strings.Join(actions, ","); got != "elasticfilesystem:ClientMount,elasticfilesystem:ClientRootAccess,elasticfilesystem:ClientWrite" {
		t.Errorf("the role may %s; want ClientMount, ClientWrite and ClientRootAccess", got)
	}
}

func TestBackupSelectionIncludesTheFileSystem(t *testing.T) {
	want := `":file-system/",{"Ref":"` + fsID + `"}`
	for _, s := range template(t).Resources(selection) {
		if strings.Contains(cdktest.JSON(cdktest.Props(s)["BackupSelection"]), want) {
			return
		}
	}
	t.Errorf("no backup selection names the file system (%s)", want)
}

func TestValidateNamesTheVpc(t *testing.T) {
	if err := (filesystem.Props{}).Validate(); err == nil || !strings.HasPrefix(err.Error(), "Vpc: missing; required") {
		t.Errorf("got %v; want Vpc: missing", err)
	}
}
