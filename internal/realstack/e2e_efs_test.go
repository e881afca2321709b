//go:build e2e

package realstack

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tierkit/tierkit/constructs/filesystem"
	"github.com/tierkit/tierkit/constructs/nextcloud"
)

// Nextcloud's data directory on EFS, offline. This machine's kernel has no
// NFS client, so the file system is one directory of the test, the export,
// which every server of the scenario can bind-mount: each server's root gets
// amazon-efs-utils' mount helper (mount.efs) as a script that checks what
// the boot passed (a file system source, the options tls and iam), bind-mounts
// the export at the directory asked for and records when. What it proves and
// what it cannot: see DataDirectoryIsSharedAndMountedFirst.

const (
	// efsExport is where each server sees the export before the boot mounts it.
	efsExport = "/mnt/tierkit-e2e-efs"
	// efsMountLog is where the helper records each mount: time, source,
	// directory, options.
	efsMountLog = "/var/log/tierkit-e2e-mount.log"
	// dataDir is the stand-in's data directory (the tier's default).
	dataDir = "/var/www/nextcloud/data"
)

// mountHelper is mount.efs on the servers: mount -t efs runs it with the
// source, the directory and -o OPTIONS.
const mountHelper = `#!/bin/sh
# mount.efs of the tierkit end-to-end test: no NFS here, the export of the
# test is bind-mounted instead, after the checks amazon-efs-utils' helper
# and the file system policy would make.
set -eu
src=$1 dir=$2
shift 2
opts=
while [ $# -gt 0 ]; do
  case $1 in
  -o) opts=$2; shift 2 ;;
  -o*) opts=${1#-o}; shift ;;
  *) shift ;;
  esac
done
case $src in ?*:/) ;; *) echo "mount.efs: $src is not <file-system-id>:/" >&2; exit 32 ;; esac
case ,$opts, in *,tls,*) ;; *) echo "mount.efs: $opts: no tls; the file system policy refuses clients without TLS" >&2; exit 32 ;; esac
case ,$opts, in *,iam,*) ;; *) echo "mount.efs: $opts: no iam; anonymous clients are refused" >&2; exit 32 ;; esac
mount --bind ` + efsExport + ` "$dir"
echo "$(date +%s.%N) $src $dir $opts" >>` + efsMountLog + `
`

// primaryStorage is the scenario's Nextcloud PrimaryStorage ("" is s3).
func (sc scenario) primaryStorage() string {
	if sc.efs {
		return "efs"
	}
	return ""
}

// efsExportDir is the scenario's export on the test's machine: a new file
// system's root, root-owned and empty.
func efsExportDir(s *Stack, sc scenario) string { return filepath.Join(s.Dir, "efs-"+sc.name) }

// shareEFS gives srv the mount helper and the scenario's export at efsExport,
// before its user data runs.
func shareEFS(t *testing.T, s *Stack, sc scenario, srv *Server) {
	t.Helper()
	export := efsExportDir(s, sc)
	if err := os.MkdirAll(export, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := srv.Exec(ctx, mountHelper, "sh", "-c", "mkdir -p "+efsExport+" && cat >/sbin/"+filesystem.MountHelper+" && chmod 0755 /sbin/"+filesystem.MountHelper); err != nil {
		t.Fatal(err)
	}
	if _, err := runCmd(ctx, "", "nsenter", "-t", strconv.Itoa(srv.holder.PID()), "-m", "mount", "--bind", export, srv.merged+efsExport); err != nil {
		t.Fatal(err)
	}
}

// webServerPIDFiles are the web servers' pid files, written when they start.
var webServerPIDFiles = map[string]string{"apache2": "/run/apache2/apache2.pid", "nginx": "/run/nginx.pid"}

// dataDirectoryIsShared proves, on every server: the file system was mounted
// once, with TLS and IAM, at the data directory, before the web server that
// runs now was started, and left alone at later starts; the directory
// belongs to the web user; a file uploaded through Nextcloud on one server
// is read back through the other.
//
// It cannot prove what only AWS does: TLS (stunnel) and IAM authorization
// themselves, the file system policy, mount targets and security groups,
// EFS's latency and throughput, or NFS semantics (close-to-open
// consistency, locks): the export is a bind mount of one local directory.
func (f *fleetRun) dataDirectoryIsShared(t *testing.T, s *Stack) {
	ctx := context.Background()
	for _, srv := range f.servers {
		lines := strings.Split(strings.TrimSpace(srv.Must(t, "cat", efsMountLog)), "\n")
		if len(lines) != 1 {
			t.Errorf("%s: mount.efs ran %d times: %q; want once (later starts leave the mount)", srv.Name, len(lines), lines)
			continue
		}
		fields := strings.Fields(lines[0])
		if len(fields) != 4 || !strings.HasSuffix(fields[1], ":/") || fields[2] != dataDir || !strings.Contains(","+fields[3]+",", ",tls,") || !strings.Contains(","+fields[3]+",", ",iam,") {
			t.Errorf("%s: mount.efs %q; want <file-system-id>:/ at %s with tls and iam", srv.Name, lines[0], dataDir)
			continue
		}
		mounted, _ := strconv.ParseFloat(fields[0], 64)
		started, err := strconv.ParseFloat(strings.TrimSpace(srv.Must(t, "date", "-r", webServerPIDFiles[f.sc.web], "+%s.%N")), 64)
		if err != nil || started <= mounted {
			t.Errorf("%s: %s started at %.3f, the data directory mounted at %.3f (%v); want the mount first", srv.Name, f.sc.web, started, mounted, err)
		} else {
			t.Logf("%s: data directory mounted %.2f s before %s started", srv.Name, started-mounted, f.sc.web)
		}
		if _, err := srv.Exec(ctx, "", "mountpoint", "-q", dataDir); err != nil {
			t.Errorf("%s: %s is not a mount point: %v", srv.Name, dataDir, err)
		}
		if owner := strings.TrimSpace(srv.Must(t, "stat", "-c", "%U:%a", dataDir)); owner != "www-data:770" {
			t.Errorf("%s: the data directory is %s; want www-data:770", srv.Name, owner)
		}
		log := srv.Must(t, "cat", "/var/log/tierkit-boot.log")
		boots := strings.Count(log, "boot started")
		step, mount, config := strings.Index(log, "step "+nextcloud.DataStep), strings.Index(log, dataDir+": "), strings.Index(log, "step nextcloud-config")
		if step < 0 || mount < step || config < mount {
			t.Errorf("%s: the boot log does not mount in step efs-data before nextcloud-config:\n%s", srv.Name, tail(log, 3000))
		}
		if left := strings.Count(log, dataDir+": already mounted; left as it is"); left != boots-1 {
			t.Errorf("%s: %d starts, %d of them left the mount alone; want every start after the first", srv.Name, boots, left)
		}
	}
	if len(f.servers) < 2 {
		t.Fatal("fewer than two servers share the data directory")
	}
	name := "shared-" + randomAlnum(8) + ".txt"
	body := "written on " + f.servers[0].Name + " " + randomAlnum(16)
	put := f.localFile(t, f.servers[0], http.MethodPut, name, body)
	if put["server"] != f.servers[0].Name {
		t.Fatalf("the upload answered %v; want %s", put, f.servers[0].Name)
	}
	for _, srv := range f.servers[1:] {
		got := f.localFile(t, srv, http.MethodGet, name, "")
		if got["content"] != body || got["server"] != srv.Name || got["owner"] != "www-data" {
			t.Errorf("%s read %v; want the %d bytes written on %s, owned by www-data", srv.Name, got, len(body), f.servers[0].Name)
		}
	}
	if _, err := os.Stat(filepath.Join(efsExportDir(s, f.sc), "admin/files", name)); err != nil {
		t.Errorf("the file is not in the export: %v", err)
	}
}

// localFile sends method to upload.php?name=name on srv itself, as the
// balancer does, with body, and returns its JSON answer (200 required).
func (f *fleetRun) localFile(t *testing.T, srv *Server, method, name, body string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+srv.IP+f.a.upload+"?name="+name, strings.NewReader(body))
	req.Host = f.a.domain
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	w := decode(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s on %s answered %d: %v", method, name, srv.Name, resp.StatusCode, w)
	}
	return w
}
