package nextcloud_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/tierkit/tierkit/constructs/fleet"
	"github.com/tierkit/tierkit/constructs/nextcloud"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// The variant keeps its data directory on the tier's EFS file system.

// variantData is the variant's data directory, beside its install path.
const variantData = "/srv/nextcloud-data"

// fileSystemID is the variant's file system: renaming a construct would
// replace it (the old one is retained, with the files).
const fileSystemID = "TierFileSystem183B9121"

func TestFileSystemIsPinnedRetainedAndEncrypted(t *testing.T) {
	tpl := variant(t)
	r, ok := tpl.Resources("AWS::EFS::FileSystem")[fileSystemID]
	if !ok {
		t.Fatalf("no AWS::EFS::FileSystem %s: renaming a construct of the tier replaces it", fileSystemID)
	}
	if r["DeletionPolicy"] != "Retain" || r["UpdateReplacePolicy"] != "Retain" || cdktest.Props(r)["Encrypted"] != true {
		t.Errorf("%s: DeletionPolicy %v, UpdateReplacePolicy %v, Encrypted %v; want retained and encrypted", fileSystemID, r["DeletionPolicy"], r["UpdateReplacePolicy"], cdktest.Props(r)["Encrypted"])
	}
	if n := len(template(t).Resources("AWS::EFS::FileSystem")); n != 0 {
		t.Errorf("the s3 tier has %d file systems; want none", n)
	}
}

func TestFileSystemAllowsTLSOnly(t *testing.T) {
	doc := cdktest.JSON(cdktest.Props(variant(t).Resources("AWS::EFS::FileSystem")[fileSystemID])["FileSystemPolicy"])
	if !strings.Contains(doc, `{"Action":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}},"Effect":"Deny","Principal":{"AWS":"*"}`) {
		t.Errorf("the file system policy does not deny clients without TLS: %s", doc)
	}
}

func TestFileSystemAcceptsTheFleetOnlyOnNFS(t *testing.T) {
	tpl := variant(t)
	sg := cdktest.LogicalID(t, tpl, "AWS::EC2::SecurityGroup", "TierFileSystemSecurityGroup")
	tpl.OnlyIngressFrom(t, sg, cdktest.LogicalID(t, tpl, "AWS::EC2::SecurityGroup", "TierFleetSecurityGroup"), 2049)
}

func TestMountTargetsAreInTheIsolatedSubnets(t *testing.T) {
	var subnets []string
	for _, mt := range variant(t).Resources("AWS::EFS::MountTarget") {
		subnets = append(subnets, cdktest.Props(mt)["SubnetId"].(string))
	}
	slices.Sort(subnets)
	// cdktest.ImportedVpc's isolated subnets; its public ones are 0eee and 0fff.
	if want := []string{"subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"}; !slices.Equal(subnets, want) {
		t.Errorf("mount targets in %q; want the isolated subnets %q", subnets, want)
	}
}

func TestBackupPlanSelectsTheFileSystem(t *testing.T) {
	tpl := variant(t)
	role := cdktest.LogicalID(t, tpl, "AWS::IAM::Role", "TierBackupRole")
	for _, s := range tpl.Resources("AWS::Backup::BackupSelection") {
		sel := cdktest.JSON(cdktest.Props(s)["BackupSelection"])
		if strings.Contains(sel, `":file-system/",{"Ref":"`+fileSystemID+`"}`) {
			if !strings.Contains(sel, `"IamRoleArn":{"Fn::GetAtt":["`+role+`","Arn"]}`) {
				t.Errorf("the file system's selection does not use the plan's role %s: %s", role, sel)
			}
			return
		}
	}
	t.Errorf("no backup selection names %s", fileSystemID)
}

func TestFleetMountsTheFileSystemOnly(t *testing.T) {
	statements := fleetAllows(t, variant(t))
	for _, a := range []string{"elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite", "elasticfilesystem:ClientRootAccess"} {
		if !granted(statements, a, `{"Fn::GetAtt":["`+fileSystemID+`","Arn"]}`) {
			t.Errorf("the fleet's role lacks %s on the file system", a)
		}
	}
	for _, s := range statements {
		if strings.Contains(cdktest.JSON(s["Action"]), "elasticfilesystem:") && cdktest.JSON(s["Resource"]) != `{"Fn::GetAtt":["`+fileSystemID+`","Arn"]}` {
			t.Errorf("an EFS grant beyond the file system: %s", cdktest.JSON(s))
		}
	}
}

func TestDataDirectoryIsMountedBeforeTheConfiguration(t *testing.T) {
	variant(t)
	if got := tiers["Variant"].BootSteps(); !slices.Equal(got, []string{"cron-off", "rds-ca", nextcloud.DataStep, "nextcloud-config", "background-jobs"}) {
		t.Errorf("BootSteps() = %q; want the file system mounted before nextcloud-config", got)
	}
	if tiers["Variant"].App().FileSystem() == nil || tiers["Test"].App().FileSystem() != nil {
		t.Errorf("FileSystem(): want the efs tier's, and nil with s3")
	}
}

func TestBootMountsTheDataDirectoryBeforeTheWebServerStarts(t *testing.T) {
	m := newMachine(t, false, "/srv/nextcloud", installedConfig)
	r := m.Boot(t, variant(t))
	if r.Err != nil {
		t.Fatalf("boot failed: %v\n%s", r.Err, r.Console)
	}
	mount := "mount -t efs -o tls,iam ref-" + fileSystemID + ":/ " + variantData
	stop, mounted, owned, start := slices.Index(r.Calls, "systemctl stop nginx"), slices.Index(r.Calls, mount),
		slices.Index(r.Calls, "chown nginx: "+variantData), slices.Index(r.Calls, "systemctl restart nginx")
	if stop < 0 || mounted < 0 || owned < 0 || start < 0 || !(stop < mounted && mounted < owned && owned < start) {
		t.Errorf("calls %q; want nginx stopped, %q, the directory given to nginx, then nginx started", r.Calls, mount)
	}
	if !m.Exists(strings.TrimPrefix(variantData, "/")+"/.ocdata") || !slices.Contains(r.Calls, "chown nginx: "+variantData+"/.ocdata") {
		t.Errorf("the empty file system got no .ocdata owned by nginx (calls %q)", r.Calls)
	}
	if got := m.Read(t, "srv/nextcloud/config/tierkit.config.php"); !strings.Contains(got, "\n  'datadirectory' => '"+variantData+"',\n") {
		t.Errorf("tierkit.config.php does not name the mounted data directory:\n%s", got)
	}
}

func TestBootLeavesTheMountAndTheDataAloneAtASecondStart(t *testing.T) {
	m := newMachine(t, false, "/srv/nextcloud", installedConfig)
	if r := m.Boot(t, variant(t)); r.Err != nil {
		t.Fatalf("first boot: %v\n%s", r.Err, r.Console)
	}
	r := m.Boot(t, variant(t))
	if r.Err != nil {
		t.Fatalf("second boot: %v\n%s", r.Err, r.Console)
	}
	var mounts int
	for _, c := range r.Calls {
		if strings.HasPrefix(c, "mount ") {
			mounts++
		}
	}
	if mounts != 1 || !strings.Contains(r.Log, variantData+": already mounted; left as it is") || strings.Count(r.Log, "marker created") != 1 {
		t.Errorf("%d mounts over two boots; want one, the second leaving it, .ocdata created once:\n%s", mounts, r.Log)
	}
}

func TestEFSAllowsAnyNumberOfServers(t *testing.T) {
	for _, f := range []fleet.Props{{}, {Mode: fleet.Fixed, Instances: 3}} {
		p := *defaultProps(awscdk.NewStack(nil, nil, nil))
		p.PrimaryStorage, p.Fleet = "efs", f
		if err := p.Validate(); err != nil {
			t.Errorf("efs with %+v: %v", f, err)
		}
	}
}
