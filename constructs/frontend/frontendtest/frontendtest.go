// Package frontendtest builds the frontend block's test fixtures: the stacks
// the block's own tests assert on, which internal/conformance also builds,
// with every other block's, into one app checked by aws-cdk-lib's
// CloudFormation validation and cdk-nag (one validation engine for all the
// blocks, instead of one per test process).
package frontendtest

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/frontend"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// The hosted zone of the fixtures (cdktest.Zone's) and the account of the
// cross-region stacks.
const (
	ZoneID   = "Z0123456789ABCDEFGHIJ"
	ZoneName = "example.com"
	Account  = "123456789012"
)

// Fixtures are the block's test stacks, by name, and the constructs in them.
type Fixtures struct {
	// Stacks are "Test" (the site in a us-east-1 stack with RedirectWWW and
	// a new certificate), "FrontendCertificate" (a CertificateStack) and
	// "Frontend" (the site in eu-west-1 using that stack's certificate, as
	// an app in another region deploys it).
	Stacks map[string]awscdk.Stack
	// Site is the site of "Test".
	Site *frontend.Site
	// CertStack is "FrontendCertificate", SiteStack "Frontend".
	CertStack *frontend.CertificateStack
	SiteStack awscdk.Stack
}

// New builds the fixtures' stacks in scope, an app or a construct of one.
func New(scope constructs.Construct) *Fixtures {
	f := &Fixtures{Stacks: map[string]awscdk.Stack{}}
	stack := cdktest.NewStack(scope, "Test")
	f.Site = frontend.New(stack, "Site", &frontend.Props{DomainName: "example.com", Zone: cdktest.Zone(stack), RedirectWWW: true})
	f.Stacks["Test"] = stack

	f.CertStack = frontend.NewCertificateStack(scope, "FrontendCertificate", &frontend.CertificateStackProps{
		Account:                 Account,
		DomainName:              "example.com",
		SubjectAlternativeNames: []string{"www.example.com"},
		HostedZoneID:            ZoneID,
		HostedZoneName:          ZoneName,
	})
	f.Stacks["FrontendCertificate"] = f.CertStack.Stack
	f.SiteStack = awscdk.NewStack(scope, jsii.String("Frontend"), &awscdk.StackProps{
		Env:                   &awscdk.Environment{Account: jsii.String(Account), Region: jsii.String("eu-west-1")},
		CrossRegionReferences: jsii.Bool(true),
	})
	frontend.New(f.SiteStack, "Site", &frontend.Props{
		DomainName: "example.com", Zone: cdktest.Zone(f.SiteStack), RedirectWWW: true, Certificate: f.CertStack.Certificate(),
	})
	f.Stacks["Frontend"] = f.SiteStack
	return f
}
