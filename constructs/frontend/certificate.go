package frontend

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/tierkit/tierkit/internal/check"
)

// CertificateStackProps configures a CertificateStack.
type CertificateStackProps struct {
	// Account is the app's account: the same as the account of the stack that
	// holds the Site (cross-region references stay within one account).
	//
	// Default: "": an environment-agnostic account (then the Site's stack must
	// have no account either).
	Account string

	// DomainName is the certificate's name, e.g. "example.com". It must be the
	// zone's name or a name under it. Required.
	DomainName string

	// SubjectAlternativeNames are further names the certificate covers, e.g.
	// "www.example.com" for a Site with RedirectWWW; each in the zone.
	//
	// Default: none.
	SubjectAlternativeNames []string

	// HostedZoneID is the id of the public hosted zone holding DomainName, e.g.
	// "Z0123456789ABCDEFGHIJ": the zone is imported by id and name, without a
	// lookup, and the validation records are written to it. Required.
	HostedZoneID string

	// HostedZoneName is the name of that zone, e.g. "example.com". Required.
	HostedZoneName string
}

// Validate reports what is wrong with p, naming the field and what is allowed.
func (p CertificateStackProps) Validate() error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	zone := strings.ToLower(strings.TrimSuffix(p.HostedZoneName, "."))
	switch {
	case zone == "":
		add(`HostedZoneName: missing; required: the name of the hosted zone, e.g. "example.com"`)
	case !check.HostName(zone):
		add("HostedZoneName: %q is not a domain name; allowed: labels of letters, digits and hyphens separated by dots", p.HostedZoneName)
	}
	if p.HostedZoneID == "" {
		add(`HostedZoneID: missing; required: the id of the hosted zone, e.g. "Z0123456789ABCDEFGHIJ"`)
	}
	inZone := func(field, name string) {
		switch {
		case !check.HostName(name):
			add(`%s: %q is not a domain name; allowed: lower-case labels of letters, digits and hyphens separated by dots, e.g. "example.com"`, field, name)
		case zone != "" && !check.InZone(name, zone):
			add("%s: %q is outside the hosted zone %q; allowed: the zone's name or a name under it", field, name, zone)
		}
	}
	domain := strings.TrimSuffix(p.DomainName, ".")
	switch {
	case domain == "":
		add(`DomainName: missing; required: the certificate's name, e.g. "example.com"`)
	case len(domain) > 64:
		add("DomainName: %q is %d characters; allowed: at most 64 (ACM)", p.DomainName, len(domain))
	default:
		inZone("DomainName", domain)
	}
	for i, san := range p.SubjectAlternativeNames {
		inZone(fmt.Sprintf("SubjectAlternativeNames[%d]", i), strings.TrimSuffix(san, "."))
	}
	if p.Account != "" && (len(p.Account) != 12 || strings.Trim(p.Account, "0123456789") != "") {
		add("Account: %q is not an account id; allowed: 12 digits, or \"\" for an environment-agnostic account", p.Account)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// CertificateStack is a stack in us-east-1 that holds only a CloudFront
// certificate, for a Site whose stack is in another region.
type CertificateStack struct {
	awscdk.Stack
	certificate awscertificatemanager.Certificate
}

// Certificate returns the certificate, to pass as Props.Certificate.
func (c *CertificateStack) Certificate() awscertificatemanager.ICertificate { return c.certificate }

// NewCertificateStack creates a stack in us-east-1 holding only the CloudFront
// certificate, DNS-validated in the zone, with cross-region references on
// (awscdk.StackProps CrossRegionReferences), so that a Site in a stack of
// another region (which must also set CrossRegionReferences) can use
// Certificate(). This is the way CDK supports for CloudFront certificates.
// The site's stack then depends on this one. It panics, naming id, when props
// are invalid.
func NewCertificateStack(scope constructs.Construct, id string, props *CertificateStackProps) *CertificateStack {
	p := CertificateStackProps{}
	if props != nil {
		p = *props
		p.SubjectAlternativeNames = append([]string(nil), props.SubjectAlternativeNames...)
	}
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("frontend %s: %v", id, err))
	}
	env := &awscdk.Environment{Region: jsii.String(CertificateRegion)}
	if p.Account != "" {
		env.Account = jsii.String(p.Account)
	}
	c := &CertificateStack{}
	awscdk.NewStack_Override(c, scope, jsii.String(id), &awscdk.StackProps{
		Env:                   env,
		CrossRegionReferences: jsii.Bool(true),
		Description:           jsii.String("CloudFront certificate of " + strings.TrimSuffix(p.DomainName, ".")),
	})
	zone := awsroute53.HostedZone_FromHostedZoneAttributes(c, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
		HostedZoneId: jsii.String(p.HostedZoneID),
		ZoneName:     jsii.String(strings.TrimSuffix(p.HostedZoneName, ".")),
	})
	var sans *[]*string
	if len(p.SubjectAlternativeNames) > 0 {
		trimmed := make([]string, len(p.SubjectAlternativeNames))
		for i, san := range p.SubjectAlternativeNames {
			trimmed[i] = strings.TrimSuffix(san, ".")
		}
		sans = jsii.Strings(trimmed...)
	}
	// "Certificate" is part of the logical ID: renaming it issues a new certificate.
	c.certificate = awscertificatemanager.NewCertificate(c, jsii.String("Certificate"), &awscertificatemanager.CertificateProps{
		DomainName:              jsii.String(strings.TrimSuffix(p.DomainName, ".")),
		SubjectAlternativeNames: sans,
		Validation:              awscertificatemanager.CertificateValidation_FromDns(zone),
	})
	return c
}
