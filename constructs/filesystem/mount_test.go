package filesystem_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/constructs/filesystem"
	"github.com/tierkit/tierkit/internal/fakeaws"
)

// The mount step, run in a boot script on a fake server: mount and
// mountpoint are stubs that remember what was mounted (the test machine
// mounts nothing), mount.efs is there unless a test removes it.

const (
	dataDir = "/var/www/nextcloud/data"
	fsValue = "fs-0123456789abcdef0"
)

// mountScript returns a boot script with the mount step, the file system's
// ID resolved to fsValue.
func mountScript(t *testing.T) string {
	t.Helper()
	template(t)
	s := boot.New(&boot.Props{})
	s.AddStep("efs-mount", created.MountStep(filesystem.Mount{Dir: dataDir, Owner: "www-data"}))
	return strings.ReplaceAll(s.Render(), created.FileSystemID(), fsValue)
}

// mountMachine returns a fake server whose mount stubs record each call and
// each mounted directory; with helper, mount.efs is installed.
func mountMachine(t *testing.T, helper bool) *fakeaws.Machine {
	t.Helper()
	m := fakeaws.NewMachine(t, false, nil)
	m.Stub(t, "mount", `echo "mount ${*//"$TIERKIT_ROOT"/}" >>"$TIERKIT_TEST_CALLS"
echo "${@: -1}" >>"$TIERKIT_TEST_CALLS.mounted"`)
	m.Stub(t, "mountpoint", `[[ $1 == -q ]] && grep -qxF -- "$2" "$TIERKIT_TEST_CALLS.mounted" 2>/dev/null`)
	if helper {
		m.Stub(t, filesystem.MountHelper, `exit 0`)
	}
	return m
}

func TestMountHappensBeforeTheWebServerStarts(t *testing.T) {
	m := mountMachine(t, true)
	r := m.Run(t, mountScript(t))
	if r.Err != nil {
		t.Fatalf("boot failed: %v\n%s", r.Err, r.Console)
	}
	mount := "mount -t efs -o tls,iam " + fsValue + ":/ " + dataDir
	stop, mounted, owned, start := slices.Index(r.Calls, "systemctl stop apache2"), slices.Index(r.Calls, mount),
		slices.Index(r.Calls, "chown www-data: "+dataDir), slices.Index(r.Calls, "systemctl restart apache2")
	if stop < 0 || mounted < 0 || owned < 0 || start < 0 || !(stop < mounted && mounted < owned && owned < start) {
		t.Errorf("calls %q; want the web server stopped, %q, the directory given to www-data, then the web server started", r.Calls, mount)
	}
	if !strings.Contains(r.Log, dataDir+": "+fsValue+" mounted (TLS, instance role)") {
		t.Errorf("the log does not say what was mounted:\n%s", r.Log)
	}
}

func TestMountIsLeftAloneAtASecondStart(t *testing.T) {
	m := mountMachine(t, true)
	script := mountScript(t)
	if r := m.Run(t, script); r.Err != nil {
		t.Fatalf("first start: %v\n%s", r.Err, r.Console)
	}
	r := m.Run(t, script)
	if r.Err != nil {
		t.Fatalf("second start: %v\n%s", r.Err, r.Console)
	}
	var mounts int
	for _, c := range r.Calls {
		if strings.HasPrefix(c, "mount ") {
			mounts++
		}
	}
	if mounts != 1 || !strings.Contains(r.Log, dataDir+": already mounted; left as it is") {
		t.Errorf("%d mounts over two starts (calls %q); want one, and the second start saying it left the mount:\n%s", mounts, r.Calls, r.Log)
	}
}

func TestMountFailsClearlyWithoutTheHelper(t *testing.T) {
	m := mountMachine(t, false)
	r := m.Run(t, mountScript(t))
	if r.Err == nil || !strings.Contains(r.Log, "efs-mount: no mount.efs: the AMI needs amazon-efs-utils") || !strings.Contains(r.Log, "step efs-mount failed") {
		t.Errorf("want the boot to fail in efs-mount, naming amazon-efs-utils (err %v):\n%s", r.Err, r.Log)
	}
	for _, c := range r.Calls {
		if strings.HasPrefix(c, "mount ") || c == "systemctl restart apache2" {
			t.Errorf("%q ran; without the helper nothing is mounted and the web server stays stopped", c)
		}
	}
}

func TestMountSaysTheAMIsFilesStayHidden(t *testing.T) {
	m := mountMachine(t, true)
	cdktestWrite(t, m, dataDir+"/admin/files/a.txt")
	r := m.Run(t, mountScript(t))
	if r.Err != nil || !strings.Contains(r.Log, dataDir+": the AMI's own files there stay hidden under the file system") {
		t.Errorf("want the log to say the AMI's files are hidden (err %v):\n%s", r.Err, r.Log)
	}
}

func TestMountStepRefusesABadDirectoryOrOwner(t *testing.T) {
	template(t)
	for _, m := range []filesystem.Mount{{Dir: "data", Owner: "www-data"}, {Dir: "/", Owner: "www-data"}, {Dir: dataDir, Owner: "Www Data"}} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), "MountStep:") {
					t.Errorf("MountStep(%+v): recovered %v; want a panic naming MountStep", m, r)
				}
			}()
			created.MountStep(m)
		}()
	}
}
