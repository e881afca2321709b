package nextcloud_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/tierkit/tierkit/constructs/nextcloud"
	"github.com/tierkit/tierkit/constructs/releases"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// released is the tier with releases on (stack "Released"), synthesized
// with template's.
var released = cdktest.Shared(func(tb testing.TB) awscdk.Stack { template(tb); return stacks["Released"] })

// releaseArchive is the release the released tier runs: Nextcloud's code
// without config/ and data/.
var releaseArchive = func() []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, content := range map[string]string{"cron.php": "<?php // release 2\n", "status.php": "<?php\n"} {
		_ = tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content))})
		_, _ = tw.Write([]byte(content))
	}
	_ = tw.Close()
	_ = gz.Close()
	return buf.Bytes()
}()

const releaseID = "31.0.9-1"

// releasedProps is article 004's Nextcloud with releases on, running
// releaseID, and upgrading Nextcloud at boot.
func releasedProps(stack awscdk.Stack) *nextcloud.Props {
	p := defaultProps(stack)
	sum := sha256.Sum256(releaseArchive)
	p.Releases, p.Release = true, &releases.Release{ID: releaseID, SHA256: hex.EncodeToString(sum[:])}
	p.Upgrade = nextcloud.UpgradeOnBoot
	return p
}

func TestABootInstallsTheReleaseAndKeepsTheAMIsConfiguration(t *testing.T) {
	tpl := released(t)
	m := newMachine(t, false, "/var/www/nextcloud", installedConfig)
	m.AWS.PutObject(cdktest.RefValue(cdktest.LogicalID(t, tpl, "AWS::S3::Bucket", "TierReleasesBucket")), "releases/"+releaseID+".tar.gz", releaseArchive)
	stubUpgrade(t, m, "31.0.0.1 31.0.0.1 31.0.0.1 31.0.0.1", "")
	r := m.Boot(t, tpl)
	if r.Err != nil {
		t.Fatalf("boot failed: %v\n%s", r.Err, r.Console)
	}
	if link, _ := os.Readlink(filepath.Join(m.Root, "var/www/nextcloud")); link != "releases/"+releaseID {
		t.Errorf("/var/www/nextcloud links to %q, want releases/%s", link, releaseID)
	}
	if got := m.Read(t, "var/www/nextcloud/cron.php"); !strings.Contains(got, "release 2") {
		t.Errorf("cron.php is not the release's: %q", got)
	}
	// The tier's configuration is written into the AMI's config/, which the
	// release links to.
	if !m.Exists("var/www/releases/ami/config/tierkit.config.php") || m.Read(t, "var/www/nextcloud/config/config.php") != installedConfig {
		t.Errorf("the configuration is not the AMI's, with the tier's file:\n%s", r.Log)
	}
}
