package scripts_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The scripts/release tests run the script against a fake AWS CLI whose s3
// cp copies files to and from $FAKE_STATE/bucket/, and a fake cdk
// (TIERKIT_CDK) that logs the record it deploys.
//
//	outputs   the stack's outputs, "KEY<TAB>VALUE" a line (ReleaseBucket)
//	fail      a regular expression: the aws calls whose line matches fail
//	fail-deploy  present: the deploy fails
const releaseFakeAWS = `line="aws $*"
if [[ -f $s/fail && $line =~ $(cat "$s/fail") ]]; then
  echo "An error occurred (AccessDenied) when calling the $2 operation: fake failure" >&2
  exit 1
fi
op="$1 $2"
shift 2
case $op in
  "cloudformation describe-stacks")
    options "$@"
    [[ ${arg[stack-name]} == prod-laravel ]] || { echo "Stack with id ${arg[stack-name]} does not exist" >&2; exit 254; }
    sed -nE 's/^ReleaseBucket\t//p' "$s/outputs" ;;
  "s3 cp")
    args=()
    for a; do [[ $a == --only-show-errors ]] || args+=("$a"); done
    src=${args[0]} dst=${args[1]}
    if [[ $dst == s3://* ]]; then
      [[ $dst == s3://tier-releases/* ]] || { echo "NoSuchBucket" >&2; exit 1; }
      mkdir -p "$s/bucket/$(dirname "${dst#s3://tier-releases/}")"
      cp "$src" "$s/bucket/${dst#s3://tier-releases/}"
    else
      cp "$s/bucket/${src#s3://tier-releases/}" "$dst" 2>/dev/null || { echo "fatal error: 404 Not Found" >&2; exit 1; }
    fi ;;
  *) echo "fake aws: unexpected $op" >&2; exit 252 ;;
esac
`

const releaseFakeCDK = `cat "$TIERKIT_RELEASES_DIR/prod-laravel" >"$s/deployed"
[[ ! -f $s/fail-deploy ]]
`

type releaseFake struct {
	*harness
	records, app string
}

func newReleaseFake(t *testing.T) *releaseFake {
	t.Helper()
	records := t.TempDir()
	f := &releaseFake{
		harness: newHarness(t, "release", map[string]string{"aws": releaseFakeAWS, "cdk": releaseFakeCDK}, "TIERKIT_RELEASES_DIR="+records, "TIERKIT_CDK=cdk"),
		records: records, app: t.TempDir(),
	}
	f.setState("outputs", "ServiceURL\thttps://api.example.com\nReleaseBucket\ttier-releases\n")
	f.write(filepath.Join(f.app, "public/index.php"), "<?php echo 'v2';", 0o644)
	f.write(filepath.Join(f.app, ".git/HEAD"), "ref: refs/heads/main\n", 0o644)
	return f
}

func (f *releaseFake) record() string {
	b, _ := os.ReadFile(filepath.Join(f.records, "prod-laravel"))
	return string(b)
}

func (f *releaseFake) object(key string) []byte {
	b, err := os.ReadFile(filepath.Join(f.state, "bucket", key))
	if err != nil {
		f.t.Fatalf("no object %s", key)
	}
	return b
}

func TestReleaseUploadsTheArchiveAndItsChecksumRecordsItAndDeploys(t *testing.T) {
	f := newReleaseFake(t)
	out := f.mustRun(0, "prod", "laravel", f.app, "--id", "r2", "--confirm", "prod")
	archive := f.object("releases/r2.tar.gz")
	sum := sha256.Sum256(archive)
	want := hex.EncodeToString(sum[:])
	if got := strings.TrimSpace(string(f.object("releases/r2.sha256"))); got != want {
		t.Errorf("releases/r2.sha256 is %s, the archive's SHA-256 %s", got, want)
	}
	if rec := f.record(); rec != "r2 "+want+"\n" {
		t.Errorf("the record:\n%s", rec)
	}
	if deployed := f.lines("deployed"); len(deployed) != 1 || deployed[0] != "r2 "+want {
		t.Errorf("deployed with the record %q, want it to end with r2", deployed)
	}
	calls := f.calls()
	if last := calls[len(calls)-1]; last != "cdk deploy prod-laravel -c env=prod" {
		t.Errorf("the last call %q, want the deploy", last)
	}
	list, err := exec.Command("tar", "-tzf", filepath.Join(f.state, "bucket/releases/r2.tar.gz")).Output()
	if err != nil || !strings.Contains(string(list), "./public/index.php") || strings.Contains(string(list), ".git") {
		t.Errorf("the archive holds (%v):\n%s", err, list)
	}
	wantOutput(t, out, "release r2 serves on prod-laravel")
}

func TestReleaseTakesATarballAsIs(t *testing.T) {
	f := newReleaseFake(t)
	tarball := filepath.Join(t.TempDir(), "app.tar.gz")
	if out, err := exec.Command("tar", "-czf", tarball, "-C", f.app, ".").CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	f.mustRun(0, "prod", "laravel", tarball, "--id", "r2", "--confirm", "prod")
	want, _ := os.ReadFile(tarball)
	if got := f.object("releases/r2.tar.gz"); string(got) != string(want) {
		t.Error("the uploaded archive is not the given one")
	}
}

func TestReleaseRollbackMakesThePreviousReleaseCurrent(t *testing.T) {
	f := newReleaseFake(t)
	f.mustRun(0, "prod", "laravel", f.app, "--id", "r1", "--confirm", "prod")
	f.write(filepath.Join(f.app, "public/index.php"), "<?php echo 'v3';", 0o644)
	f.mustRun(0, "prod", "laravel", f.app, "--id", "r2", "--confirm", "prod")
	first := strings.Split(f.record(), "\n")[0]
	out := f.mustRun(0, "--rollback", "prod", "laravel", "--confirm", "prod")
	lines := strings.Split(strings.TrimSpace(f.record()), "\n")
	if len(lines) != 3 || lines[2] != first {
		t.Errorf("the record after the rollback:\n%s\nwant its last line %q", f.record(), first)
	}
	if deployed := f.lines("deployed"); deployed[len(deployed)-1] != first {
		t.Errorf("deployed %q, want r1 current", deployed)
	}
	wantOutput(t, out, "rolling back from r2 to r1")
}

func TestReleaseRollbackRefusesWithoutAnEarlierRelease(t *testing.T) {
	f := newReleaseFake(t)
	out, code := f.run("--rollback", "prod", "laravel", "--confirm", "prod")
	f.wantRefused(out, code, 1, "records no release of prod-laravel: nothing to roll back to")
	f.mustRun(0, "prod", "laravel", f.app, "--id", "r1", "--confirm", "prod")
	out, code = f.run("--rollback", "prod", "laravel", "--confirm", "prod")
	if code != 1 || !strings.Contains(out, "records no release of prod-laravel before r1") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func TestReleaseRollbackRefusesAReleaseWhoseChecksumChanged(t *testing.T) {
	f := newReleaseFake(t)
	f.mustRun(0, "prod", "laravel", f.app, "--id", "r1", "--confirm", "prod")
	f.mustRun(0, "prod", "laravel", f.app, "--id", "r2", "--confirm", "prod")
	f.write(filepath.Join(f.state, "bucket/releases/r1.sha256"), strings.Repeat("0", 64)+"\n", 0o644)
	before := f.record()
	out, code := f.run("--rollback", "prod", "laravel", "--confirm", "prod")
	if code != 1 || !strings.Contains(out, "releases/r1.sha256 is not the recorded") || f.record() != before {
		t.Errorf("exit %d, record changed %v:\n%s", code, f.record() != before, out)
	}
}

func TestAFailedDeployRestoresTheRecord(t *testing.T) {
	f := newReleaseFake(t)
	f.mustRun(0, "prod", "laravel", f.app, "--id", "r1", "--confirm", "prod")
	before := f.record()
	f.set("fail-deploy")
	out, code := f.run("prod", "laravel", f.app, "--id", "r2", "--confirm", "prod")
	if code != 1 {
		t.Errorf("exit %d, want 1:\n%s", code, out)
	}
	wantOutput(t, out, "deploying prod-laravel failed; CloudFormation keeps the release that served before")
	if f.record() != before {
		t.Errorf("the record after the failed deploy:\n%s\nwant\n%s", f.record(), before)
	}
}

func TestReleaseNoDeployRecordsWithoutDeploying(t *testing.T) {
	f := newReleaseFake(t)
	out := f.mustRun(0, "prod", "laravel", f.app, "--id", "r1", "--confirm", "prod", "--no-deploy")
	for _, c := range f.calls() {
		if strings.HasPrefix(c, "cdk ") {
			t.Errorf("deployed: %s", c)
		}
	}
	if !strings.HasPrefix(f.record(), "r1 ") {
		t.Errorf("the record:\n%s", f.record())
	}
	wantOutput(t, out, "scripts/cdk deploy prod-laravel -c env=prod")
}

func TestReleaseRefusesATierWithoutAReleaseBucket(t *testing.T) {
	f := newReleaseFake(t)
	f.setState("outputs", "ServiceURL\thttps://api.example.com\n")
	out, code := f.run("prod", "laravel", f.app, "--confirm", "prod")
	if code != 1 || !strings.Contains(out, `prod-laravel has no ReleaseBucket output: set "releases": true`) || f.record() != "" {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func TestReleaseStopsAtAFailedUploadWithoutRecording(t *testing.T) {
	f := newReleaseFake(t)
	f.setState("fail", `s3 cp .*\.tar\.gz`)
	out, code := f.run("prod", "laravel", f.app, "--confirm", "prod")
	if code != 1 || !strings.Contains(out, "uploading the release failed (aws s3 cp)") || f.record() != "" {
		t.Errorf("exit %d, record %q:\n%s", code, f.record(), out)
	}
}

func TestReleaseRefusesBadInputBeforeAnyCall(t *testing.T) {
	f := newReleaseFake(t)
	notArchive := filepath.Join(t.TempDir(), "app.zip")
	f.write(notArchive, "PK", 0o644)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "ENV and TIER are required"},
		{[]string{"prod", "laravel"}, 2, "ARTIFACT is required"},
		{[]string{"prod", "wordpress", f.app}, 2, "TIER 'wordpress' is not a tier; allowed: laravel, nextcloud"},
		{[]string{"prod", "laravel", f.app, "--id", "../x"}, 2, "--id '../x' is not a release id"},
		{[]string{"prod", "laravel", f.app, "--id", "ami"}, 2, "not ami"},
		{[]string{"--rollback", "prod", "laravel", "--id", "r1"}, 2, "--rollback returns to the previous one"},
		{[]string{"prod", "laravel", notArchive, "--confirm", "prod"}, 1, "is not a .tar.gz archive"},
		{[]string{"prod", "laravel", filepath.Join(f.app, "missing"), "--confirm", "prod"}, 1, "is neither a directory nor a .tar.gz archive"},
		{[]string{"prod", "laravel", f.app, "--confirm", "staging"}, 1, "--confirm staging does not match the environment prod"},
		{[]string{"prod", "laravel", f.app}, 1, "no terminal to confirm on: pass --confirm prod"},
	} {
		out, code := f.run(c.args...)
		f.wantRefused(out, code, c.code, c.want)
	}
	if f.record() != "" {
		t.Errorf("recorded:\n%s", f.record())
	}
}

func TestReleaseRefusesAnIDAlreadyRecorded(t *testing.T) {
	f := newReleaseFake(t)
	f.mustRun(0, "prod", "laravel", f.app, "--id", "r1", "--confirm", "prod")
	f.setState("calls.log", "")
	out, code := f.run("prod", "laravel", f.app, "--id", "r1", "--confirm", "prod")
	f.wantRefused(out, code, 1, "already records a release r1")
}
