package laravel_test

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

	"github.com/tierkit/tierkit/constructs/laravel"
	"github.com/tierkit/tierkit/constructs/releases"
	"github.com/tierkit/tierkit/internal/cdktest"
)

var (
	withReleases synthesized
	// released is the template of withReleases, synthesized with template's.
	released = cdktest.Shared(func(tb testing.TB) awscdk.Stack { template(tb); return withReleases.stack })
	// releaseArchive is the release the released tier runs: the code
	// without .env and storage.
	releaseArchive = tarball(map[string]string{"artisan": "#!/usr/bin/env php\n", "public/index.php": "<?php // release 2\n"})
)

const releaseID = "2026-12-03.2"

func tarball(files map[string]string) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, content := range files {
		_ = tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(content))})
		_, _ = tw.Write([]byte(content))
	}
	_ = tw.Close()
	_ = gz.Close()
	return buf.Bytes()
}

// releasedProps is the article's API with releases on, running releaseID,
// migrating the database at boot, and its queue workers (on SQS) in a
// worker group of 3 to 6 servers.
func releasedProps(stack awscdk.Stack) *laravel.APIProps {
	p := defaultProps(stack)
	sum := sha256.Sum256(releaseArchive)
	p.Releases, p.Release = true, &releases.Release{ID: releaseID, SHA256: hex.EncodeToString(sum[:])}
	p.Migrate = laravel.MigrateOnBoot
	p.QueueWorkers, p.QueueWorkerMinCapacity = laravel.QueueWorkersGroup, 3
	return p
}

func TestABootInstallsTheReleaseAndWritesItsEnvFile(t *testing.T) {
	tpl := released(t)
	m := newMachine(t, true, "/var/www/html", secret(password))
	bucket := cdktest.RefValue(cdktest.LogicalID(t, tpl, "AWS::S3::Bucket", "TierReleasesBucket"))
	m.AWS.PutObject(bucket, "releases/"+releaseID+".tar.gz", releaseArchive)
	r := runBoot(t, m, tpl)
	if link, _ := os.Readlink(filepath.Join(m.Root, "var/www/html")); link != "releases/"+releaseID {
		t.Errorf("/var/www/html links to %q, want releases/%s", link, releaseID)
	}
	// laravel-env wrote the release's own .env, from the AMI's (APP_KEY kept).
	env := m.Read(t, "var/www/releases/"+releaseID+"/.env")
	for _, want := range []string{"APP_URL=https://api.example.com", "APP_KEY=base64:c2VjcmV0LWtleS1vZi10aGUtZ29sZGVuLXNlcnZlcg=="} {
		if !strings.Contains(env, want) {
			t.Errorf("the release's .env lacks %s:\n%s", want, env)
		}
	}
	if got := m.Read(t, "var/www/releases/ami/.env"); got != defaultEnv {
		t.Errorf("the AMI's .env changed:\n%s", got)
	}
	if !strings.Contains(r.Log, "serving release "+releaseID) || !strings.Contains(r.Log, "configuration cached") {
		t.Errorf("the boot log:\n%s", r.Log)
	}
	// The release step comes before the settings it serves with.
	if i, j := strings.Index(r.Log, "step release"), strings.Index(r.Log, "step laravel-env"); i < 0 || j < i {
		t.Errorf("release runs at %d, laravel-env at %d:\n%s", i, j, r.Log)
	}
}
