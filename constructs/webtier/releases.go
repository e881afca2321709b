package webtier

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/releases"
	"github.com/tierkit/tierkit/internal/check"
)

// validateReleases reports what is wrong with Releases and Release for the
// application's profile.
func validateReleases(p Props, profile Profile, pr *check.Problems) {
	if p.Releases && profile.AppPath == "" {
		pr.Add("Releases", "set, but the application %s names no AppPath a release replaces; allowed: false", profile.Name)
	}
	if p.Release != nil {
		if !p.Releases {
			pr.Add("Release", "set without Releases; allowed: only with Releases (the tier has no release bucket)")
		}
		for _, problem := range p.Release.Validate("Release") {
			field, message, _ := strings.Cut(problem, ": ")
			pr.Add(field, "%s", message)
		}
	}
}

// addReleases creates the release bucket, lets the servers read the
// release objects and adds the release step, which runs before the
// application's steps: they write their settings through AppPath into the
// release that serves. What must run once per release (database
// migrations) belongs after the application's steps, which it needs, and
// before the web server starts: in New, before the job's step.
func (t *Tier[A]) addReleases(profile Profile) {
	// "Releases" is part of the bucket's logical ID: renaming it replaces
	// the bucket and the releases in it.
	t.releases = releases.New(t, "Releases", &releases.Props{
		EncryptionKey:   t.Key(),
		AccessLogBucket: t.logBucket,
	})
	t.releases.GrantRead(t.fleet.Role())
	t.fleet.Boot().AddStep(releases.StepName, releases.Step(releases.StepProps{
		Bucket:  *t.releases.Bucket().BucketName(),
		Release: t.props.Release,
		AppPath: profile.AppPath,
		Shared:  profile.Shared,
	}))
	id := releases.AMI
	if r := t.props.Release; r != nil {
		id = r.ID
	}
	// The servers carry the release they run, as the console, the drill
	// and the review show it.
	t.fleet.TagServers(releases.Tag, id)
	for _, o := range []struct{ id, description, value string }{
		{"ReleaseBucket", "The tier's release bucket (scripts/release)", *t.releases.Bucket().BucketName()},
		{"Release", "The release the servers run (" + releases.AMI + ": the AMI's code)", id},
	} {
		awscdk.NewCfnOutput(t, jsii.String(o.id), &awscdk.CfnOutputProps{Description: jsii.String(o.description), Value: jsii.String(o.value)})
	}
}

// Releases returns the release bucket block, or nil without Releases.
func (t *Tier[A]) Releases() *releases.Releases { return t.releases }
