package review

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// base is a reviewed template: a retained bucket, a snapshotted database, a
// launch template, and CDK's metadata resource.
const base = `{"Resources": {
  "Uploads": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
    "Metadata": {"aws:cdk:path": "dev-app/Tier/Uploads/Resource"}},
  "Database": {"Type": "AWS::RDS::DBInstance", "DeletionPolicy": "Snapshot", "UpdateReplacePolicy": "Snapshot",
    "Properties": {"Engine": "mysql", "MultiAZ": true}, "Metadata": {"aws:cdk:path": "dev-app/Tier/Database/Resource"}},
  "Servers": {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": {"ImageId": "ami-1"}},
    "Metadata": {"aws:cdk:path": "dev-app/Tier/Servers/Resource"}},
  "CDKMetadata": {"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v2:1"}}
}}`

// edit returns base with its resources changed by f.
func edit(t *testing.T, f func(r map[string]map[string]any)) string {
	t.Helper()
	var tpl struct{ Resources map[string]map[string]any }
	if err := json.Unmarshal([]byte(base), &tpl); err != nil {
		t.Fatal(err)
	}
	f(tpl.Resources)
	b, _ := json.Marshal(tpl)
	return string(b)
}

// renamed is base with the bucket's construct id changed: a new logical ID.
func renamed(t *testing.T) string {
	return edit(t, func(r map[string]map[string]any) {
		r["Files"] = r["Uploads"]
		delete(r, "Uploads")
	})
}

// fixture writes an assembly holding the given stacks (name to template) of
// environment "dev", and a reviewed directory holding the given templates.
type fixture struct {
	assembly, reviewed string
}

func newFixture(t *testing.T, synthesized, reviewed map[string]string) fixture {
	t.Helper()
	f := fixture{assembly: t.TempDir(), reviewed: filepath.Join(t.TempDir(), "reviewed")}
	artifacts := map[string]any{}
	for name, tpl := range synthesized {
		write(t, filepath.Join(f.assembly, name+".template.json"), tpl)
		artifacts[name] = map[string]any{
			"type":       "aws:cloudformation:stack",
			"properties": map[string]any{"templateFile": name + ".template.json", "tags": map[string]string{EnvironmentTag: "dev"}},
			"metadata": map[string]any{"/" + name + "/Tier/Flow": []any{map[string]any{
				"type": "aws:cdk:acknowledged-rules",
				"data": map[string]string{"CloudFormation-Validate::F3002": "camelCase is what the service accepts"},
			}}},
		}
	}
	manifest, _ := json.Marshal(map[string]any{"version": "54.0.0", "artifacts": artifacts})
	write(t, filepath.Join(f.assembly, "manifest.json"), string(manifest))
	for name, tpl := range reviewed {
		write(t, templateFile(f.reviewed, name), tpl)
	}
	return f
}

func write(t *testing.T, file, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// run reviews f with a stand-in for `cdk diff` that foresees impacts.
func (f fixture) run(t *testing.T, impacts map[string]string) *Result {
	t.Helper()
	r, err := Run(Options{Assembly: f.assembly, Reviewed: f.reviewed, Diff: func(_, _, _ string) (map[string]string, error) {
		return impacts, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func kinds(changes []Change) map[string]string {
	out := map[string]string{}
	for _, c := range changes {
		out[c.LogicalID] = c.Kind + " " + c.Impact
	}
	return out
}

func TestUnchangedTemplatesPass(t *testing.T) {
	r := newFixture(t, map[string]string{"dev-app": base}, map[string]string{"dev-app": base}).run(t, nil)
	if !r.Passed() || len(r.Changes["dev-app"]) != 0 {
		t.Errorf("passed %v with changes %v; want a pass with none", r.Passed(), r.Changes["dev-app"])
	}
}

func TestAddedRemovedAndChangedResourcesAreListed(t *testing.T) {
	changed := edit(t, func(r map[string]map[string]any) {
		r["Servers"]["Properties"] = map[string]any{"LaunchTemplateData": map[string]any{"ImageId": "ami-2"}}
		r["Topic"] = map[string]any{"Type": "AWS::SNS::Topic"}
		delete(r, "Uploads")
	})
	r := newFixture(t, map[string]string{"dev-app": changed}, map[string]string{"dev-app": base}).run(t, nil)
	want := map[string]string{"Servers": "changed ", "Topic": "added ", "Uploads": "removed " + WillBeOrphaned}
	if got := kinds(r.Changes["dev-app"]); !reflect.DeepEqual(got, want) {
		t.Errorf("changes: got %v, want %v", got, want)
	}
}

func TestChangedPropertiesAreNamed(t *testing.T) {
	changed := edit(t, func(r map[string]map[string]any) {
		r["Database"]["Properties"].(map[string]any)["MultiAZ"] = false
		r["Database"]["DeletionPolicy"] = "Delete"
	})
	r := newFixture(t, map[string]string{"dev-app": changed}, map[string]string{"dev-app": base}).run(t, nil)
	if got := strings.Join(r.Changes["dev-app"][0].What, ", "); got != "DeletionPolicy, MultiAZ" {
		t.Errorf("what changed: got %q, want %q", got, "DeletionPolicy, MultiAZ")
	}
}

func TestCDKMetadataIsNotAChange(t *testing.T) {
	changed := edit(t, func(r map[string]map[string]any) {
		r["CDKMetadata"]["Properties"] = map[string]any{"Analytics": "v2:2"}
	})
	r := newFixture(t, map[string]string{"dev-app": changed}, map[string]string{"dev-app": base}).run(t, nil)
	if len(r.Changes["dev-app"]) != 0 {
		t.Errorf("changes: got %v, want none", r.Changes["dev-app"])
	}
}

func TestRenamedBucketFailsNamingTheResource(t *testing.T) {
	r := newFixture(t, map[string]string{"dev-app": renamed(t)}, map[string]string{"dev-app": base}).run(t, nil)
	if r.Passed() {
		t.Fatal("the review passed a renamed bucket")
	}
	problems := strings.Join(r.Problems(), "\n")
	if want := "dev-app/Uploads: AWS::S3::Bucket Tier/Uploads will be orphaned"; !strings.Contains(problems, want) {
		t.Errorf("problems do not say %q:\n%s", want, problems)
	}
}

func TestReplacementIsALossOnlyForStatefulResources(t *testing.T) {
	changed := edit(t, func(r map[string]map[string]any) {
		r["Database"]["Properties"].(map[string]any)["Engine"] = "postgres"
		r["Servers"]["Properties"] = map[string]any{"LaunchTemplateData": map[string]any{"ImageId": "ami-2"}}
	})
	f := newFixture(t, map[string]string{"dev-app": changed}, map[string]string{"dev-app": base})
	r := f.run(t, map[string]string{"Database": MayBeReplaced, "Servers": WillBeReplaced})
	var lost []string
	for _, c := range r.Losses() {
		lost = append(lost, c.LogicalID+" "+c.Impact)
	}
	if got, want := strings.Join(lost, ", "), "Database "+MayBeReplaced; got != want {
		t.Errorf("losses: got %q, want %q", got, want)
	}
}

func TestAcceptedLossPassesAndIsReportedWithItsReason(t *testing.T) {
	f := newFixture(t, map[string]string{"dev-app": renamed(t)}, map[string]string{"dev-app": base})
	write(t, filepath.Join(f.reviewed, AcceptedFile), "# accepted\ndev-app/Uploads: emptied on purpose\n")
	r := f.run(t, nil)
	if !r.Passed() {
		t.Fatalf("an accepted loss failed: %v", r.Problems())
	}
	var report bytes.Buffer
	if err := Write(&report, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(report.String(), "yes: emptied on purpose") {
		t.Errorf("the report does not show the acceptance and its reason:\n%s", report.String())
	}
}

func TestLeftOverAcceptanceFails(t *testing.T) {
	f := newFixture(t, map[string]string{"dev-app": base}, map[string]string{"dev-app": base})
	write(t, filepath.Join(f.reviewed, AcceptedFile), "dev-app/Uploads: emptied on purpose\n")
	r := f.run(t, nil)
	if r.Passed() || !strings.Contains(strings.Join(r.Problems(), "\n"), "dev-app/Uploads: ") {
		t.Errorf("passed %v, problems %v; want a failure naming the left-over line", r.Passed(), r.Problems())
	}
}

func TestStackNoLongerSynthesizedLosesItsStatefulResources(t *testing.T) {
	r := newFixture(t, map[string]string{}, map[string]string{"dev-app": base}).run(t, nil)
	want := map[string]string{"Database": "removed " + WillBeDestroyed, "Uploads": "removed " + WillBeOrphaned, "Servers": "removed " + WillBeDestroyed}
	if got := kinds(r.Changes["dev-app"]); !reflect.DeepEqual(got, want) || r.Passed() {
		t.Errorf("passed %v, changes %v; want a failure with %v", r.Passed(), got, want)
	}
}

func TestNewStackIsNotCompared(t *testing.T) {
	r := newFixture(t, map[string]string{"dev-app": base}, nil).run(t, map[string]string{"Uploads": WillBeDestroyed})
	if !r.Passed() || strings.Join(r.New, ",") != "dev-app" {
		t.Errorf("passed %v, new %v; want a pass with dev-app new", r.Passed(), r.New)
	}
}

func TestUpdateMakesTheSynthesizedTemplatesTheReviewedOnes(t *testing.T) {
	f := newFixture(t, map[string]string{"dev-app": renamed(t)}, map[string]string{"dev-app": base, "dev-gone": `{"Resources": {}}`})
	write(t, filepath.Join(f.reviewed, AcceptedFile), "dev-app/Uploads: emptied on purpose\n")
	if err := Update(f.run(t, nil), f.assembly); err != nil {
		t.Fatal(err)
	}
	if r := f.run(t, nil); len(r.Changes["dev-app"]) != 0 || len(r.Gone) != 0 {
		t.Errorf("after the update: changes %v, gone %v; want none", r.Changes["dev-app"], r.Gone)
	}
	if _, err := os.Stat(filepath.Join(f.reviewed, AcceptedFile)); !os.IsNotExist(err) {
		t.Errorf("the applied acceptances are still in %s", AcceptedFile)
	}
}

func TestUpdateRefusesAnUnacceptedLoss(t *testing.T) {
	f := newFixture(t, map[string]string{"dev-app": renamed(t)}, map[string]string{"dev-app": base})
	if err := Update(f.run(t, nil), f.assembly); err == nil || !strings.Contains(err.Error(), "dev-app/Uploads") {
		t.Errorf("got %v, want a refusal naming dev-app/Uploads", err)
	}
	if r := f.run(t, nil); r.Passed() {
		t.Error("the refused update wrote the reviewed templates")
	}
}

func TestBrokenAcceptedFile(t *testing.T) {
	for _, c := range []struct{ line, want string }{
		{"Uploads: no stack", `accepted.txt:1: "Uploads: no stack" is not STACK/LOGICAL_ID: reason`},
		{"dev-app/Uploads:", "accepted.txt:1: dev-app/Uploads: give the reason the loss is accepted after the colon"},
	} {
		f := newFixture(t, map[string]string{"dev-app": base}, map[string]string{"dev-app": base})
		write(t, filepath.Join(f.reviewed, AcceptedFile), c.line+"\n")
		_, err := Run(Options{Assembly: f.assembly, Reviewed: f.reviewed})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.line, err, c.want)
		}
	}
}

func TestParseDestructiveReadsTheCDKDiffSummary(t *testing.T) {
	out, err := os.ReadFile("testdata/cdk-diff-destructive.txt")
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, "  dev-app: AWS::EC2::LaunchTemplate Tier/Servers Servers will be replaced\n"...)
	want := map[string]string{
		"TierFilesBucket903CB65E":      WillBeOrphaned,
		"TierDatabaseInstanceAC06CB03": MayBeReplaced,
		"Servers":                      WillBeReplaced,
	}
	if got := ParseDestructive(out); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestExprRendersIntrinsicsForAReader(t *testing.T) {
	for _, c := range []struct {
		in, want string
	}{
		{`{"Ref": "Bucket"}`, "${Bucket}"},
		{`{"Fn::GetAtt": ["Bucket", "Arn"]}`, "${Bucket.Arn}"},
		{`{"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/*"]]}`, "${Bucket.Arn}/*"},
		{`{"Fn::Sub": "arn:${AWS::Partition}:s3:::x"}`, "arn:${AWS::Partition}:s3:::x"},
		{`["a", {"Ref": "B"}]`, "a, ${B}"},
		{`{"StringEquals": {"k": "<v>"}}`, `{"StringEquals":{"k":"<v>"}}`},
	} {
		var v any
		if err := json.Unmarshal([]byte(c.in), &v); err != nil {
			t.Fatal(err)
		}
		if got := expr(v); got != c.want {
			t.Errorf("%s: got %q, want %q", c.in, got, c.want)
		}
	}
}

func TestTableColumnsLineUpInATerminal(t *testing.T) {
	var b bytes.Buffer
	m := &markdown{w: &b}
	m.table("", []string{"resource", "reason"}, [][]string{{"A", "short"}, {"LongerName", "a|b"}})
	want := "| resource   | reason |\n| ---------- | --- |\n| A          | short |\n| LongerName | a\\|b |\n\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestMainWritesTheReportAndExitsByTheVerdict(t *testing.T) {
	for _, c := range []struct {
		name, synthesized string
		code              int
	}{
		{"unchanged", base, 0},
		{"renamed bucket", renamed(t), 1},
	} {
		f := newFixture(t, map[string]string{"dev-app": c.synthesized}, map[string]string{"dev-app": base})
		report := filepath.Join(t.TempDir(), "report.md")
		var stdout, stderr bytes.Buffer
		// Main runs the real `cdk diff`; with the CLI missing, only the
		// stand-in below keeps this test offline and fast.
		code := mainWith([]string{"-assembly", f.assembly, "-reviewed", f.reviewed, "-report", report}, &stdout, &stderr,
			func(_, _, _ string) (map[string]string, error) { return nil, nil })
		if code != c.code {
			t.Errorf("%s: exit %d, want %d; stderr:\n%s", c.name, code, c.code, stderr.String())
		}
		if _, err := os.Stat(report); err != nil || !strings.Contains(stdout.String(), "report: "+report) {
			t.Errorf("%s: report %v, stdout %q; want the report written and its path printed", c.name, err, stdout.String())
		}
	}
}

func TestMainRefusesBadArguments(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"-report", "x.md"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "usage:") {
		t.Errorf("exit %d, stderr %q; want 2 and the usage", code, stderr.String())
	}
}

// withRelease is base with an Auto Scaling group whose servers run release.
func withRelease(t *testing.T, release string) string {
	return edit(t, func(r map[string]map[string]any) {
		r["Group"] = map[string]any{"Type": "AWS::AutoScaling::AutoScalingGroup", "Properties": map[string]any{"Tags": []any{
			map[string]any{"Key": "team", "PropagateAtLaunch": true, "Value": "web"},
			map[string]any{"Key": releaseTag, "PropagateAtLaunch": true, "Value": release},
		}}}
	})
}

func report(t *testing.T, r *Result) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestTheReportNamesANewReleaseAndWhatItReplaces(t *testing.T) {
	r := newFixture(t, map[string]string{"dev-app": withRelease(t, "r2")}, map[string]string{"dev-app": withRelease(t, "r1")}).run(t, nil)
	if got := r.Releases["dev-app"]; got != (ReleaseChange{Reviewed: "r1", Now: "r2"}) {
		t.Errorf("releases %+v; want r1 reviewed, r2 now", got)
	}
	if out := report(t, r); !strings.Contains(out, "Release `r2`, reviewed `r1`: every server is replaced") {
		t.Errorf("the report does not name the release change:\n%s", out)
	}
}

func TestTheReportNamesAnUnchangedRelease(t *testing.T) {
	r := newFixture(t, map[string]string{"dev-app": withRelease(t, "r1")}, map[string]string{"dev-app": withRelease(t, "r1")}).run(t, nil)
	if out := report(t, r); !strings.Contains(out, "Release `r1`, as reviewed.") {
		t.Errorf("the report does not name the release:\n%s", out)
	}
}

func TestWithoutReleasesTheReportNamesNone(t *testing.T) {
	r := newFixture(t, map[string]string{"dev-app": base}, map[string]string{"dev-app": base}).run(t, nil)
	if out := report(t, r); len(r.Releases) != 0 || strings.Contains(out, "Release `") {
		t.Errorf("releases %v in a review without any:\n%s", r.Releases, out)
	}
}
