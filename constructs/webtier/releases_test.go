package webtier_test

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/releases"
	"github.com/tierkit/tierkit/constructs/webtier"
	"github.com/tierkit/tierkit/constructs/webtier/webtiertest"
	"github.com/tierkit/tierkit/internal/cdktest"
)

var (
	// releasedTier is the tier of released.
	releasedTier *webtier.Tier[*testApp]
	// released is the tier with its own key and releases on, running
	// currentRelease; in the same app as template.
	released = tiers("Released")
	// currentRelease is the release of released.
	currentRelease = webtiertest.CurrentRelease
	// releasedProps are props with the tier's own key and releases on,
	// running currentRelease.
	releasedProps = webtiertest.ReleasedProps
)

// releaseBucketID is the release bucket's logical ID: renaming the
// construct replaces the bucket and its releases.
const releaseBucketID = "TierReleasesBucketFD8E1494"

func TestTheReleaseBucketIsPinnedRetainedAndKeyed(t *testing.T) {
	tpl := released(t)
	r, ok := tpl.Resources("AWS::S3::Bucket")[releaseBucketID]
	if !ok {
		t.Fatalf("no release bucket %s: renaming a construct replaces it, and its releases", releaseBucketID)
	}
	if r["DeletionPolicy"] != "Retain" || r["UpdateReplacePolicy"] != "Retain" {
		t.Errorf("DeletionPolicy %v, UpdateReplacePolicy %v; want Retain", r["DeletionPolicy"], r["UpdateReplacePolicy"])
	}
	key := cdktest.LogicalID(t, tpl, "AWS::KMS::Key", "TierKey")
	props := cdktest.JSON(r["Properties"])
	for _, want := range []string{`"KMSMasterKeyID":{"Fn::GetAtt":["` + key + `","Arn"]}`, `"DestinationBucketName":{"Ref":"TierAccessLogs1908E510"}`, `"Status":"Enabled"`} {
		if !strings.Contains(props, want) {
			t.Errorf("the release bucket lacks %s:\n%s", want, props)
		}
	}
}

func TestTheServersReadOnlyTheReleaseObjectsOfTheReleaseBucket(t *testing.T) {
	var got []string
	for _, p := range released(t).Resources("AWS::IAM::Policy") {
		for _, s := range cdktest.AsList(p["Properties"].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"]) {
			st := s.(map[string]any)
			if res := cdktest.JSON(st["Resource"]); strings.Contains(res, releaseBucketID) {
				got = append(got, cdktest.JSON(st["Action"])+" on "+res)
			}
		}
	}
	want := []string{`"s3:GetObject" on {"Fn::Join":["",[{"Fn::GetAtt":["` + releaseBucketID + `","Arn"]},"/releases/*"]]}`}
	if !slices.Equal(got, want) {
		t.Errorf("grants on the release bucket\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// The release is part of the boot script, whose SHA-256 is in the user data
// of the launch template: a new release is a new launch template version,
// rolled out like a new AMI.
func TestTheReleaseIsInTheBootScriptWhoseHashIsInTheUserData(t *testing.T) {
	tpl := released(t)
	b := cdktest.BootOf(t, tpl, cdktest.FakeValue)
	for _, want := range []string{boot0(currentRelease.ID), boot0(currentRelease.SHA256), "releases/" + currentRelease.ID + ".tar.gz"} {
		if !strings.Contains(b.Script, want) {
			t.Errorf("the boot script lacks %s", want)
		}
	}
	sum := sha256.Sum256([]byte(b.Script))
	if !strings.Contains(b.Loader, "SHA256='"+hex.EncodeToString(sum[:])+"'") {
		t.Error("the user data does not carry the boot script's SHA-256")
	}
}

func boot0(v string) string { return "'" + v + "'" }

func TestTheReleaseStepRunsBeforeTheApplicationsSteps(t *testing.T) {
	steps := releasedTier.BootSteps()
	i, j := slices.Index(steps, releases.StepName), slices.Index(steps, "app-settings")
	if i < 0 || j < 0 || i > j || steps[i-1] != "rds-ca" {
		t.Errorf("steps %v: want release after rds-ca and before the application's", steps)
	}
}

func TestTheReleaseAndItsBucketAreOutputs(t *testing.T) {
	outputs := cdktest.JSON(released(t).FindOutputs(jsii.String("*"), nil))
	for _, want := range []string{`"Value":"` + currentRelease.ID + `"`, `"Value":{"Ref":"` + releaseBucketID + `"}`} {
		if !strings.Contains(outputs, want) {
			t.Errorf("no output with %s:\n%s", want, outputs)
		}
	}
}

func TestWithoutReleasesTheTierHasNoReleaseBucketOrStep(t *testing.T) {
	tpl := template(t)
	for id := range tpl.Resources("AWS::S3::Bucket") {
		if strings.Contains(id, "Releases") {
			t.Errorf("release bucket %s without Releases", id)
		}
	}
	if strings.Contains(cdktest.BootScript(t, tpl), "Step release.") {
		t.Error("the boot script has the release step without Releases")
	}
}

func TestReleaseSettingsAreValidated(t *testing.T) {
	base := releasedProps(cdktest.NewStack(cdktest.NewApp(t), "Check"))
	for _, c := range []struct {
		name string
		edit func(*webtier.Props)
		app  *testApp
		want string
	}{
		{"release without releases", func(p *webtier.Props) { p.Releases = false }, &testApp{AppPath: "/var/www/app"}, "Release: set without Releases"},
		{"no app path", func(*webtier.Props) {}, &testApp{}, "Releases: set, but the application testapp names no AppPath"},
		{"bad id", func(p *webtier.Props) { p.Release = &releases.Release{ID: "../x", SHA256: currentRelease.SHA256} }, &testApp{AppPath: "/var/www/app"}, `Release.ID: "../x" is not a release id`},
		{"bad sha", func(p *webtier.Props) { p.Release = &releases.Release{ID: "r1", SHA256: "x"} }, &testApp{AppPath: "/var/www/app"}, `Release.SHA256: "x" is not a SHA-256`},
	} {
		p := *base
		c.edit(&p)
		if err := webtier.Validate(&p, c.app); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

// Every server carries the release it runs: the drill and the review read
// the tag, and an operator sees it in the console.
func TestEveryServerIsTaggedWithItsRelease(t *testing.T) {
	groups := released(t).Resources("AWS::AutoScaling::AutoScalingGroup")
	if len(groups) == 0 {
		t.Fatal("no Auto Scaling group")
	}
	want := `{"Key":"` + releases.Tag + `","PropagateAtLaunch":true,"Value":"` + currentRelease.ID + `"}`
	for id, g := range groups {
		if tags := cdktest.JSON(cdktest.Props(g)["Tags"]); !strings.Contains(tags, want) {
			t.Errorf("group %s lacks %s: %s", id, want, tags)
		}
	}
	for id, lt := range released(t).Resources("AWS::EC2::LaunchTemplate") {
		if strings.Contains(cdktest.JSON(lt), releases.Tag) {
			t.Errorf("launch template %s carries %s: only the servers do", id, releases.Tag)
		}
	}
}
