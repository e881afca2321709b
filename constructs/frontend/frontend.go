// Package frontend is the static frontend of a web application: a single-page
// app (Nuxt, Vue, ...) built to files and served at the apex name (example.com)
// while the API tier answers at api.example.com. S3 website hosting speaks
// plain HTTP only, so the files sit in a private bucket that only a CloudFront
// distribution may read (origin access control), and CloudFront serves them
// over HTTPS with security headers, access logs and alias records.
package frontend

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53targets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
	"github.com/tierkit/tierkit/internal/check"
)

// CertificateRegion is the only region whose ACM certificates CloudFront
// serves.
const CertificateRegion = "us-east-1"

// Retention and cache settings of the block.
const (
	noncurrentVersionDays = 90
	logExpirationDays     = 90
	// hstsMaxAgeDays is two years, the max-age the HSTS preload list asks for.
	hstsMaxAgeDays = 730
	// spaFallbackTTLSeconds is how long CloudFront caches the fallback
	// index.html: short, so a deploy that adds a file is visible at once.
	spaFallbackTTLSeconds = 10
	serverAccessLogPrefix = "s3/"
	distributionLogPrefix = "cloudfront/"
	indexDocument         = "index.html"
)

// Props configures a Site.
type Props struct {
	// DomainName is the site's name, e.g. "example.com" (the apex). It must be
	// Zone's name or a name under it. Required.
	DomainName string

	// Zone is the Route53 hosted zone holding DomainName: the alias records are
	// written to it (and a new certificate is validated in it). Pass it by id and
	// name (awsroute53.HostedZone_FromHostedZoneAttributes), never by lookup.
	// Required.
	Zone awsroute53.IHostedZone

	// Certificate is the CloudFront certificate: it must be in us-east-1 and
	// cover DomainName (and www.DomainName with RedirectWWW).
	//
	// Default: a new certificate for them, DNS-validated in Zone, created in
	// this stack, which must then be in us-east-1 (New panics otherwise, naming
	// NewCertificateStack). Elsewhere pass NewCertificateStack(...).Certificate().
	Certificate awscertificatemanager.ICertificate

	// RedirectWWW also serves www.DomainName and answers it with a 301 to
	// https://DomainName (same path and query), via a CloudFront Function on
	// viewer request.
	//
	// Default: false: www.DomainName is neither served nor given records.
	RedirectWWW bool

	// DisableSPAFallback turns off the single-page-app error handling.
	//
	// Default: false: a 403 or 404 from the bucket answers /index.html with
	// 200, so client-side routes (Nuxt, Vue Router) load on refresh.
	DisableSPAFallback bool
}

// Validate reports what is wrong with p, naming the field and what is allowed.
func (p Props) Validate() error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	domain := strings.TrimSuffix(p.DomainName, ".")
	switch {
	case domain == "":
		add(`DomainName: missing; required: the site's name, e.g. "example.com"`)
	case !check.HostName(domain):
		add(`DomainName: %q is not a domain name; allowed: lower-case labels of letters, digits and hyphens separated by dots, e.g. "example.com"`, p.DomainName)
	case p.Certificate == nil && len(domain) > 64:
		add("DomainName: %q is %d characters; allowed: at most 64 for a new ACM certificate (or pass Certificate)", p.DomainName, len(domain))
	case p.RedirectWWW && strings.HasPrefix(domain, "www."):
		add(`RedirectWWW: DomainName %q already starts with "www."; allowed: RedirectWWW with the bare name, e.g. "example.com"`, p.DomainName)
	}
	if p.Zone == nil {
		add("Zone: missing; required: the hosted zone of DomainName, from awsroute53.HostedZone_FromHostedZoneAttributes")
	} else if name, ok := check.ZoneName(p.Zone); ok && domain != "" && !check.InZone(domain, name) {
		add("DomainName: %q is outside the hosted zone %q; allowed: the zone's name or a name under it", p.DomainName, name)
	}
	if p.Certificate != nil {
		if region, ok := certificateRegion(p.Certificate); ok && region != CertificateRegion {
			add("Certificate: is in %s; required: a certificate in us-east-1, the only region CloudFront takes certificates from (see NewCertificateStack)", region)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// certificateRegion returns the region of a certificate imported by a literal
// ARN; a certificate created in the app has a token ARN and is not checked here.
func certificateRegion(cert awscertificatemanager.ICertificate) (region string, ok bool) {
	arn := cert.CertificateArn()
	if arn == nil || *awscdk.Token_IsUnresolved(arn) {
		return "", false
	}
	parts := strings.Split(*arn, ":")
	if len(parts) < 6 || parts[3] == "" {
		return "", false
	}
	return parts[3], true
}

// Site is a static site: the private bucket holding the built files, the
// CloudFront distribution in front of it, the log bucket, the certificate,
// the security headers and the alias records.
type Site struct {
	constructs.Construct
	bucket       awss3.Bucket
	logBucket    awss3.Bucket
	distribution awscloudfront.Distribution
	certificate  awscertificatemanager.ICertificate
	headers      awscloudfront.ResponseHeadersPolicy
	redirect     awscloudfront.Function
	records      []awsroute53.RecordSet
}

// Bucket returns the private bucket holding the site's files: deploy the
// build into it (e.g. awss3deployment.BucketDeployment with
// Distribution() to invalidate).
func (s *Site) Bucket() awss3.Bucket { return s.bucket }

// Distribution returns the CloudFront distribution, for its domain name,
// invalidations, metrics and AttachWebAclId.
func (s *Site) Distribution() awscloudfront.Distribution { return s.distribution }

// Certificate returns the certificate the distribution serves: the one given
// in Props, or the one created.
func (s *Site) Certificate() awscertificatemanager.ICertificate { return s.certificate }

// LogBucket returns the bucket that receives the distribution's standard logs
// (prefix "cloudfront/") and the site bucket's server access logs ("s3/").
func (s *Site) LogBucket() awss3.IBucket { return s.logBucket }

// ResponseHeadersPolicy returns the security headers policy of every response.
func (s *Site) ResponseHeadersPolicy() awscloudfront.ResponseHeadersPolicy { return s.headers }

// RedirectFunction returns the CloudFront Function that redirects
// www.DomainName to DomainName, or nil without RedirectWWW.
func (s *Site) RedirectFunction() awscloudfront.Function { return s.redirect }

// AliasRecords returns the A and AAAA alias records of DomainName, then those
// of www.DomainName with RedirectWWW.
func (s *Site) AliasRecords() []awsroute53.RecordSet {
	return append([]awsroute53.RecordSet(nil), s.records...)
}

// New creates the site. It panics, naming id, when props are invalid, or when
// it must create the certificate in a stack outside us-east-1.
func New(scope constructs.Construct, id string, props *Props) *Site {
	p := Props{}
	if props != nil {
		p = *props
	}
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("frontend %s: %v", id, err))
	}
	if p.Certificate == nil {
		region := awscdk.Stack_Of(scope).Region()
		if *awscdk.Token_IsUnresolved(region) || *region != CertificateRegion {
			where := *region
			if *awscdk.Token_IsUnresolved(region) {
				where = "a stack without a concrete region"
			}
			panic(fmt.Sprintf("frontend %s: Certificate: missing, and the new certificate would be created in %s; CloudFront only takes certificates from us-east-1: "+
				"put the site in a stack with Env.Region us-east-1, or create the certificate with NewCertificateStack (in us-east-1, CrossRegionReferences on) "+
				"and pass its Certificate(), with CrossRegionReferences on this stack too", id, where))
		}
	}
	domain := strings.TrimSuffix(p.DomainName, ".")
	names := []string{domain}
	if p.RedirectWWW {
		names = append(names, "www."+domain)
	}

	s := &Site{}
	constructs.NewConstruct_Override(s, scope, jsii.String(id))

	s.certificate = p.Certificate
	if s.certificate == nil {
		var sans *[]*string
		if len(names) > 1 {
			sans = jsii.Strings(names[1:]...)
		}
		// "Certificate" is part of the logical ID: renaming it issues a new certificate.
		s.certificate = awscertificatemanager.NewCertificate(s, jsii.String("Certificate"), &awscertificatemanager.CertificateProps{
			DomainName:              jsii.String(domain),
			SubjectAlternativeNames: sans,
			Validation:              awscertificatemanager.CertificateValidation_FromDns(p.Zone),
		})
	}

	// CloudFront's standard (legacy) logs are delivered by granting an ACL on
	// the bucket, so this bucket keeps ACLs on (BucketOwnerPreferred: the
	// bucket owner still owns the log objects). "Logs" is part of its logical ID.
	s.logBucket = awss3.NewBucket(s, jsii.String("Logs"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_PREFERRED,
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:         jsii.String("expire-logs"),
			Expiration: awscdk.Duration_Days(jsii.Number(logExpirationDays)),
		}},
	})
	cdknag.NagSuppressions_AddResourceSuppressions(s.logBucket, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-S1"),
		Reason: jsii.String("This is the access log bucket (CloudFront standard logs and the site bucket's server access logs); logging its own access into itself would loop."),
	}}, jsii.Bool(false))

	// "Bucket" is part of the logical ID: renaming it replaces the bucket.
	s.bucket = awss3.NewBucket(s, jsii.String("Bucket"), &awss3.BucketProps{
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:              jsii.Bool(true),
		ServerAccessLogsBucket: s.logBucket,
		ServerAccessLogsPrefix: jsii.String(serverAccessLogPrefix),
		RemovalPolicy:          awscdk.RemovalPolicy_RETAIN,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("noncurrent-versions"),
			NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(noncurrentVersionDays)),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(7)),
		}},
	})

	// Response headers policies are account-wide and CloudFront requires a
	// name: CDK's default (unique within the app, from the construct path) with
	// the region in front, so the same stack name in two regions never collides.
	headersName := fmt.Sprintf("%s-%s", *awscdk.Stack_Of(s).Region(), *awscdk.Names_UniqueResourceName(s, &awscdk.UniqueResourceNameOptions{
		MaxLength: jsii.Number(100), AllowedSpecialCharacters: jsii.String("-_"),
	}))
	s.headers = awscloudfront.NewResponseHeadersPolicy(s, jsii.String("Headers"), &awscloudfront.ResponseHeadersPolicyProps{
		ResponseHeadersPolicyName: jsii.String(headersName + "-Headers"),
		Comment:                   jsii.String("Security headers of " + domain),
		SecurityHeadersBehavior: &awscloudfront.ResponseSecurityHeadersBehavior{
			// Preload stays off: the preload list is hard to leave and binds every
			// name under the domain; an owner opts in knowingly.
			StrictTransportSecurity: &awscloudfront.ResponseHeadersStrictTransportSecurity{
				AccessControlMaxAge: awscdk.Duration_Days(jsii.Number(hstsMaxAgeDays)),
				IncludeSubdomains:   jsii.Bool(true),
				Preload:             jsii.Bool(false),
				Override:            jsii.Bool(true),
			},
			ContentTypeOptions: &awscloudfront.ResponseHeadersContentTypeOptions{Override: jsii.Bool(true)},
			FrameOptions: &awscloudfront.ResponseHeadersFrameOptions{
				FrameOption: awscloudfront.HeadersFrameOption_DENY, Override: jsii.Bool(true),
			},
			ReferrerPolicy: &awscloudfront.ResponseHeadersReferrerPolicy{
				ReferrerPolicy: awscloudfront.HeadersReferrerPolicy_STRICT_ORIGIN_WHEN_CROSS_ORIGIN, Override: jsii.Bool(true),
			},
		},
	})

	var functions *[]*awscloudfront.FunctionAssociation
	if p.RedirectWWW {
		s.redirect = awscloudfront.NewFunction(s, jsii.String("WwwRedirect"), &awscloudfront.FunctionProps{
			Code:    awscloudfront.FunctionCode_FromInline(jsii.String(redirectCode(domain))),
			Runtime: awscloudfront.FunctionRuntime_JS_2_0(),
			Comment: jsii.String("Redirects www." + domain + " to " + domain),
		})
		functions = &[]*awscloudfront.FunctionAssociation{{
			Function: s.redirect, EventType: awscloudfront.FunctionEventType_VIEWER_REQUEST,
		}}
	}

	var errorResponses *[]*awscloudfront.ErrorResponse
	if !p.DisableSPAFallback {
		// The bucket answers 403 for a missing key (the distribution may not
		// list it) and 404 otherwise: both are client-side routes.
		errorResponses = &[]*awscloudfront.ErrorResponse{}
		for _, status := range []float64{403, 404} {
			*errorResponses = append(*errorResponses, &awscloudfront.ErrorResponse{
				HttpStatus:         jsii.Number(status),
				ResponseHttpStatus: jsii.Number(200),
				ResponsePagePath:   jsii.String("/" + indexDocument),
				Ttl:                awscdk.Duration_Seconds(jsii.Number(spaFallbackTTLSeconds)),
			})
		}
	}

	// "Distribution" is part of the logical ID: renaming it replaces the
	// distribution and its cloudfront.net name.
	s.distribution = awscloudfront.NewDistribution(s, jsii.String("Distribution"), &awscloudfront.DistributionProps{
		Comment:     jsii.String(domain),
		DomainNames: jsii.Strings(names...),
		Certificate: s.certificate,
		DefaultBehavior: &awscloudfront.BehaviorOptions{
			Origin:                awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(s.bucket, nil),
			ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
			CachePolicy:           awscloudfront.CachePolicy_CACHING_OPTIMIZED(),
			Compress:              jsii.Bool(true),
			ResponseHeadersPolicy: s.headers,
			FunctionAssociations:  functions,
		},
		DefaultRootObject:      jsii.String(indexDocument),
		ErrorResponses:         errorResponses,
		HttpVersion:            awscloudfront.HttpVersion_HTTP2_AND_3,
		MinimumProtocolVersion: awscloudfront.SecurityPolicyProtocol_TLS_V1_2_2021,
		SslSupportMethod:       awscloudfront.SSLMethod_SNI,
		EnableIpv6:             jsii.Bool(true),
		EnableLogging:          jsii.Bool(true),
		LogBucket:              s.logBucket,
		LogFilePrefix:          jsii.String(distributionLogPrefix),
	})
	cdknag.NagSuppressions_AddResourceSuppressions(s.distribution, &[]*cdknag.NagPackSuppression{
		{
			Id:     jsii.String("AwsSolutions-CFR1"),
			Reason: jsii.String("A public website for every country: which countries to block is a business decision, not a default of the block."),
		},
		{
			Id: jsii.String("AwsSolutions-CFR2"),
			Reason: jsii.String("Static files only (GET/HEAD from a private bucket, no server code, no query reaches an application): the application-layer attacks a WAF filters have no target here, and CloudFront has Shield Standard. " +
				"A WebACL (CLOUDFRONT scope, us-east-1) can still be attached with Distribution().AttachWebAclId."),
		},
	}, jsii.Bool(false))

	target := awsroute53.RecordTarget_FromAlias(awsroute53targets.NewCloudFrontTarget(s.distribution))
	// The record ids are part of their logical IDs.
	ids := [][2]string{{"ARecord", "AaaaRecord"}, {"WwwARecord", "WwwAaaaRecord"}}
	for i, name := range names {
		s.records = append(s.records,
			awsroute53.NewARecord(s, jsii.String(ids[i][0]), &awsroute53.ARecordProps{
				Zone: p.Zone, RecordName: jsii.String(name + "."), Target: target,
			}),
			awsroute53.NewAaaaRecord(s, jsii.String(ids[i][1]), &awsroute53.AaaaRecordProps{
				Zone: p.Zone, RecordName: jsii.String(name + "."), Target: target,
			}))
	}
	return s
}

// redirectCode is the viewer-request function of RedirectWWW: a request for
// www.<domain> gets a 301 to https://<domain> with the same path and query;
// any other host passes through. ES5 only, so it runs on either CloudFront
// Functions runtime. Query values arrive as the viewer sent them (still
// URL-encoded), so they are joined back as they are.
func redirectCode(domain string) string {
	return strings.NewReplacer("{{www}}", "www."+domain, "{{domain}}", domain).Replace(`function handler(event) {
  var request = event.request;
  var host = request.headers.host ? request.headers.host.value.toLowerCase() : '';
  if (host !== '{{www}}') {
    return request;
  }
  var query = [];
  for (var name in request.querystring) {
    var param = request.querystring[name];
    var values = param.multiValue ? param.multiValue : [param];
    for (var i = 0; i < values.length; i++) {
      query.push(values[i].value === '' ? name : name + '=' + values[i].value);
    }
  }
  return {
    statusCode: 301,
    statusDescription: 'Moved Permanently',
    headers: { location: { value: 'https://{{domain}}' + request.uri + (query.length ? '?' + query.join('&') : '') } }
  };
}
`)
}
