package filesystem_test

import (
	"path/filepath"
	"testing"

	"github.com/tierkit/tierkit/internal/cdktest"
	"github.com/tierkit/tierkit/internal/fakeaws"
)

// Resource types the tests read.
const (
	fileSystem  = "AWS::EFS::FileSystem"
	mountTarget = "AWS::EFS::MountTarget"
	ingress     = "AWS::EC2::SecurityGroupIngress"
	policy      = "AWS::IAM::Policy"
	selection   = "AWS::Backup::BackupSelection"
)

// cdktestWrite writes an empty file at rel below the machine's root.
func cdktestWrite(t *testing.T, m *fakeaws.Machine, rel string) {
	t.Helper()
	cdktest.WriteFile(t, filepath.Join(m.Root, rel), "", 0o640)
}
