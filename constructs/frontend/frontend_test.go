package frontend_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/frontend"
	"github.com/tierkit/tierkit/constructs/frontend/frontendtest"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// Built by variant: the Site of the default template, for the accessor
// tests, and the stacks of the cross-region pair.
var (
	built     *frontend.Site
	certStack *frontend.CertificateStack
	siteStack awscdk.Stack
)

// variant builds the block's test stacks (frontendtest) in one app,
// synthesized once in strict mode (validation warnings fail);
// internal/conformance checks the same stacks with CloudFormation
// validation and cdk-nag.
var variant = cdktest.Variants(func(tb testing.TB) map[string]awscdk.Stack {
	f := frontendtest.New(cdktest.NewApp(tb, cdktest.Strict()))
	built, certStack, siteStack = f.Site, f.CertStack, f.SiteStack
	return f.Stacks
})

var (
	// template is the site in a us-east-1 stack with RedirectWWW and a new
	// certificate.
	template = variant("Test")
	// crossRegion is the site stack of the cross-region pair: a
	// CertificateStack in us-east-1 and the site in eu-west-1 using its
	// certificate, as an app in another region deploys it.
	crossRegion = variant("Frontend")
	// certTemplate is the certificate stack's template.
	certTemplate = variant("FrontendCertificate")
)

const (
	siteBucket   = "SiteBucket978D4AEB"
	logBucket    = "SiteLogsBCCC85C3"
	distribution = "SiteDistribution390DED28"
)

func TestStatefulResourcesKeepTheirLogicalIDs(t *testing.T) {
	for name, tpl := range map[string]*cdktest.Template{"us-east-1": template(t), "cross-region": crossRegion(t)} {
		buckets := tpl.Resources(bucketType)
		for _, id := range []string{siteBucket, logBucket} {
			b, ok := buckets[id]
			if !ok {
				t.Errorf("%s: no bucket with logical ID %s: renaming a construct would replace the bucket", name, id)
			} else if b["DeletionPolicy"] != "Retain" || b["UpdateReplacePolicy"] != "Retain" {
				t.Errorf("%s: %s: DeletionPolicy %v, UpdateReplacePolicy %v; want Retain", name, id, b["DeletionPolicy"], b["UpdateReplacePolicy"])
			}
		}
		// A replacement distribution would be created while the old one still
		// holds the aliases, which CloudFront refuses (CNAMEAlreadyExists).
		if _, ok := tpl.Resources(distributionType)[distribution]; !ok {
			t.Errorf("%s: no distribution with logical ID %s", name, distribution)
		}
	}
	if _, ok := template(t).Resources("AWS::CertificateManager::Certificate")["SiteCertificate74188813"]; !ok {
		t.Errorf("no certificate with logical ID SiteCertificate74188813")
	}
	if _, ok := certTemplate(t).Resources("AWS::CertificateManager::Certificate")["Certificate4E7ABB08"]; !ok {
		t.Errorf("certificate stack: no certificate with logical ID Certificate4E7ABB08")
	}
}

func TestBucketsBlockAllPublicAccess(t *testing.T) {
	for _, id := range []string{siteBucket, logBucket} {
		b := cdktest.Props(template(t).Resources(bucketType)[id])
		want := map[string]any{"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true}
		if got := cdktest.JSON(b["PublicAccessBlockConfiguration"]); got != cdktest.JSON(want) {
			t.Errorf("%s: PublicAccessBlockConfiguration %s, want %s", id, got, cdktest.JSON(want))
		}
	}
}

func TestBucketsAreEncryptedWithSSES3(t *testing.T) {
	for _, id := range []string{siteBucket, logBucket} {
		b := cdktest.Props(template(t).Resources(bucketType)[id])
		if got := cdktest.JSON(b["BucketEncryption"]); !strings.Contains(got, `"SSEAlgorithm":"AES256"`) {
			t.Errorf("%s: BucketEncryption %s, want SSE-S3 (AES256)", id, got)
		}
	}
}

func TestBucketsDenyRequestsWithoutTLS(t *testing.T) {
	for _, id := range []string{siteBucket, logBucket} {
		template(t).HasResourceProperties(t, "AWS::S3::BucketPolicy", map[string]any{
			"Bucket": ref(id),
			"PolicyDocument": map[string]any{"Statement": arrayWith(map[string]any{
				"Effect": "Deny", "Action": "s3:*", "Principal": map[string]any{"AWS": "*"},
				"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
			})},
		})
	}
}

func TestSiteBucketIsBucketOwnerEnforced(t *testing.T) {
	template(t).HasResourceProperties(t, bucketType, map[string]any{
		"VersioningConfiguration": map[string]any{"Status": "Enabled"},
		"OwnershipControls":       map[string]any{"Rules": []any{map[string]any{"ObjectOwnership": "BucketOwnerEnforced"}}},
	})
}

func TestSiteBucketIsVersionedWithNoncurrentVersionsExpired(t *testing.T) {
	template(t).HasResourceProperties(t, bucketType, map[string]any{
		"VersioningConfiguration": map[string]any{"Status": "Enabled"},
		"LifecycleConfiguration": map[string]any{"Rules": arrayWith(map[string]any{
			"Id": "noncurrent-versions", "Status": "Enabled",
			"NoncurrentVersionExpiration":    map[string]any{"NoncurrentDays": 90},
			"AbortIncompleteMultipartUpload": map[string]any{"DaysAfterInitiation": 7},
		})},
	})
}

func TestSiteBucketServerAccessLogsGoToTheLogBucket(t *testing.T) {
	template(t).HasResourceProperties(t, bucketType, map[string]any{
		"LoggingConfiguration": map[string]any{"DestinationBucketName": ref(logBucket), "LogFilePrefix": "s3/"},
	})
}

func TestOnlyTheDistributionReadsTheSiteBucket(t *testing.T) {
	tpl := template(t)
	tpl.HasResourceProperties(t, "AWS::S3::BucketPolicy", map[string]any{
		"Bucket": ref(siteBucket),
		"PolicyDocument": map[string]any{"Statement": arrayWith(map[string]any{
			"Effect": "Allow", "Action": "s3:GetObject",
			"Principal": map[string]any{"Service": "cloudfront.amazonaws.com"},
			"Condition": map[string]any{"StringEquals": map[string]any{"AWS:SourceArn": map[string]any{"Fn::Join": []any{"", []any{
				"arn:", ref("AWS::Partition"), ":cloudfront::", ref("AWS::AccountId"), ":distribution/", ref(distribution),
			}}}}},
		})},
	})
	// No other statement allows anything: the bucket is read through the
	// distribution only.
	for _, p := range tpl.Resources("AWS::S3::BucketPolicy") {
		props := cdktest.Props(p)
		if cdktest.JSON(props["Bucket"]) != cdktest.JSON(ref(siteBucket)) {
			continue
		}
		for _, s := range props["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			st := s.(map[string]any)
			if st["Effect"] == "Allow" && cdktest.JSON(st["Principal"]) != `{"Service":"cloudfront.amazonaws.com"}` {
				t.Errorf("the site bucket's policy also allows %s", cdktest.JSON(st))
			}
		}
	}
	tpl.HasResourceProperties(t, "AWS::CloudFront::OriginAccessControl", map[string]any{
		"OriginAccessControlConfig": map[string]any{"OriginAccessControlOriginType": "s3", "SigningBehavior": "always", "SigningProtocol": "sigv4"},
	})
	tpl.HasResourceProperties(t, distributionType, map[string]any{"DistributionConfig": map[string]any{"Origins": []any{like(map[string]any{
		"DomainName":            getAtt(siteBucket, "RegionalDomainName"),
		"OriginAccessControlId": getAtt("SiteDistributionOrigin1S3OriginAccessControl4F95283E", "Id"),
	})}}})
}

func TestViewersAreRedirectedToHTTPS(t *testing.T) {
	template(t).HasResourceProperties(t, distributionType, map[string]any{"DistributionConfig": map[string]any{
		"DefaultCacheBehavior": like(map[string]any{"ViewerProtocolPolicy": "redirect-to-https"}),
	}})
}

func TestDistributionServesHTTP2And3WithTLS12AndTheCertificate(t *testing.T) {
	template(t).HasResourceProperties(t, distributionType, map[string]any{"DistributionConfig": map[string]any{
		"HttpVersion": "http2and3",
		"ViewerCertificate": map[string]any{
			"AcmCertificateArn":      ref("SiteCertificate74188813"),
			"MinimumProtocolVersion": "TLSv1.2_2021",
			"SslSupportMethod":       "sni-only",
		},
	}})
}

func TestDistributionAnswersForTheDomainAndWWW(t *testing.T) {
	template(t).HasResourceProperties(t, distributionType, map[string]any{"DistributionConfig": map[string]any{
		"Aliases": []any{"example.com", "www.example.com"},
	}})
}

func TestDistributionServesIndexHTMLAtTheRoot(t *testing.T) {
	template(t).HasResourceProperties(t, distributionType, map[string]any{"DistributionConfig": map[string]any{
		"DefaultRootObject": "index.html",
	}})
}

func TestResponsesAreCompressedAndCachedWithCachingOptimized(t *testing.T) {
	template(t).HasResourceProperties(t, distributionType, map[string]any{"DistributionConfig": map[string]any{
		// The id of the managed policy CachingOptimized.
		"DefaultCacheBehavior": like(map[string]any{"Compress": true, "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}),
	}})
}

func TestDistributionIsDualStack(t *testing.T) {
	template(t).HasResourceProperties(t, distributionType, map[string]any{"DistributionConfig": map[string]any{"IPV6Enabled": true}})
}

func TestDistributionLogsToTheLogBucket(t *testing.T) {
	template(t).HasResourceProperties(t, distributionType, map[string]any{"DistributionConfig": map[string]any{
		"Logging": map[string]any{"Bucket": getAtt(logBucket, "RegionalDomainName"), "Prefix": "cloudfront/"},
	}})
}

func TestLogBucketTakesCloudFrontLogsAndExpiresThem(t *testing.T) {
	b := template(t).Resources(bucketType)[logBucket]
	props := cdktest.Props(b)
	// CloudFront's standard logs are delivered through a bucket ACL: ACLs stay
	// enabled, the bucket owner still owns the objects.
	if got := cdktest.JSON(props["OwnershipControls"]); got != `{"Rules":[{"ObjectOwnership":"BucketOwnerPreferred"}]}` {
		t.Errorf("OwnershipControls %s, want BucketOwnerPreferred", got)
	}
	if got := cdktest.JSON(props["LifecycleConfiguration"]); got != `{"Rules":[{"ExpirationInDays":90,"Id":"expire-logs","Status":"Enabled"}]}` {
		t.Errorf("LifecycleConfiguration %s, want logs expired after 90 days", got)
	}
	if _, ok := props["LoggingConfiguration"]; ok {
		t.Errorf("the log bucket logs its own access: %s", cdktest.JSON(props["LoggingConfiguration"]))
	}
}

func TestResponsesCarrySecurityHeaders(t *testing.T) {
	tpl := template(t)
	tpl.HasResourceProperties(t, "AWS::CloudFront::ResponseHeadersPolicy", map[string]any{
		"ResponseHeadersPolicyConfig": like(map[string]any{"SecurityHeadersConfig": map[string]any{
			"StrictTransportSecurity": map[string]any{"AccessControlMaxAgeSec": 63072000, "IncludeSubdomains": true, "Preload": false, "Override": true},
			"ContentTypeOptions":      map[string]any{"Override": true},
			"FrameOptions":            map[string]any{"FrameOption": "DENY", "Override": true},
			"ReferrerPolicy":          map[string]any{"ReferrerPolicy": "strict-origin-when-cross-origin", "Override": true},
		}}),
	})
	tpl.HasResourceProperties(t, distributionType, map[string]any{"DistributionConfig": map[string]any{
		"DefaultCacheBehavior": like(map[string]any{"ResponseHeadersPolicyId": ref("SiteHeadersB898D494")}),
	}})
}

func TestHeadersPolicyNameIsUniquePerRegionAndStack(t *testing.T) {
	for _, c := range []struct {
		tpl    *cdktest.Template
		prefix string
	}{{template(t), "us-east-1-TestSite"}, {crossRegion(t), "eu-west-1-FrontendSite"}} {
		for _, p := range c.tpl.Resources("AWS::CloudFront::ResponseHeadersPolicy") {
			name, _ := cdktest.Props(p)["ResponseHeadersPolicyConfig"].(map[string]any)["Name"].(string)
			if !strings.HasPrefix(name, c.prefix) || len(name) > 128 {
				t.Errorf("policy name %q: want the region and the construct path (%s...), at most 128 characters", name, c.prefix)
			}
		}
	}
}

func TestSPAFallbackAnswersIndexHTMLFor403And404(t *testing.T) {
	template(t).HasResourceProperties(t, distributionType, map[string]any{"DistributionConfig": map[string]any{
		"CustomErrorResponses": []any{
			map[string]any{"ErrorCode": 403, "ResponseCode": 200, "ResponsePagePath": "/index.html", "ErrorCachingMinTTL": 10},
			map[string]any{"ErrorCode": 404, "ResponseCode": 200, "ResponsePagePath": "/index.html", "ErrorCachingMinTTL": 10},
		},
	}})
}

func TestWWWRedirectRunsOnViewerRequest(t *testing.T) {
	tpl := template(t)
	tpl.HasResourceProperties(t, "AWS::CloudFront::Function", map[string]any{
		"AutoPublish":    true,
		"FunctionConfig": like(map[string]any{"Runtime": "cloudfront-js-2.0"}),
	})
	tpl.HasResourceProperties(t, distributionType, map[string]any{"DistributionConfig": map[string]any{
		"DefaultCacheBehavior": like(map[string]any{"FunctionAssociations": []any{map[string]any{
			"EventType": "viewer-request", "FunctionARN": getAtt("SiteWwwRedirectB87589FA", "FunctionARN"),
		}}}),
	}})
}

// TestWWWRedirectAnswers301ToTheApex runs the function's code, as
// synthesized, on viewer-request events in the project's Node.js.
func TestWWWRedirectAnswers301ToTheApex(t *testing.T) {
	node := os.Getenv("JSII_NODE")
	if node == "" {
		var err error
		if node, err = exec.LookPath("node"); err != nil {
			t.Skip("no Node.js to run the function with (JSII_NODE unset, no node on PATH)")
		}
	}
	var code string
	for _, f := range template(t).Resources("AWS::CloudFront::Function") {
		code, _ = cdktest.Props(f)["FunctionCode"].(string)
	}
	if code == "" {
		t.Fatal("no function code")
	}
	qs := func(pairs ...string) map[string]any {
		m := map[string]any{}
		for i := 0; i < len(pairs); i += 2 {
			if prev, ok := m[pairs[i]].(map[string]any); ok {
				multi, _ := prev["multiValue"].([]any)
				if multi == nil {
					multi = []any{map[string]any{"value": prev["value"]}}
				}
				m[pairs[i]] = map[string]any{"value": prev["value"], "multiValue": append(multi, map[string]any{"value": pairs[i+1]})}
				continue
			}
			m[pairs[i]] = map[string]any{"value": pairs[i+1]}
		}
		return m
	}
	cases := []struct {
		name, host, uri string
		query           map[string]any
		location        string // "" when the request passes through
	}{
		{"www root", "www.example.com", "/", qs(), "https://example.com/"},
		{"www path and query", "www.example.com", "/blog/post", qs("page", "2", "q", "a%20b"), "https://example.com/blog/post?page=2&q=a%20b"},
		{"www repeated and empty parameters", "WWW.Example.com", "/x", qs("tag", "a", "tag", "b", "flag", ""), "https://example.com/x?flag&tag=a&tag=b"},
		{"apex passes through", "example.com", "/about", qs("a", "1"), ""},
		{"other host passes through", "d111111abcdef8.cloudfront.net", "/", qs(), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			event, _ := json.Marshal(map[string]any{"version": "1.0", "request": map[string]any{
				"method": "GET", "uri": c.uri, "querystring": c.query, "cookies": map[string]any{},
				"headers": map[string]any{"host": map[string]any{"value": c.host}},
			}})
			out, err := exec.Command(node, "-e", code+"\nprocess.stdout.write(JSON.stringify(handler("+string(event)+")));").Output()
			if err != nil {
				t.Fatalf("running the function: %v", err)
			}
			var got map[string]any
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("the function returned %s: %v", out, err)
			}
			if c.location == "" {
				if got["uri"] != c.uri || got["statusCode"] != nil {
					t.Errorf("got %s, want the request unchanged", out)
				}
				return
			}
			want := map[string]any{"statusCode": 301, "statusDescription": "Moved Permanently",
				"headers": map[string]any{"location": map[string]any{"value": c.location}}}
			if cdktest.JSON(got) != cdktest.JSON(want) {
				t.Errorf("got %s, want %s", out, cdktest.JSON(want))
			}
		})
	}
}

func TestAliasRecordsPointAtTheDistribution(t *testing.T) {
	records := template(t).Resources(recordType)
	want := map[string]bool{"example.com. A": true, "example.com. AAAA": true, "www.example.com. A": true, "www.example.com. AAAA": true}
	for id, r := range records {
		p := cdktest.Props(r)
		key := p["Name"].(string) + " " + p["Type"].(string)
		if !want[key] {
			t.Errorf("unexpected record %s: %s", id, key)
			continue
		}
		delete(want, key)
		if got := cdktest.JSON(p["AliasTarget"].(map[string]any)["DNSName"]); got != cdktest.JSON(getAtt(distribution, "DomainName")) {
			t.Errorf("%s: alias to %s, want the distribution", key, got)
		}
		if p["HostedZoneId"] != zoneID {
			t.Errorf("%s: in zone %v, want %s", key, p["HostedZoneId"], zoneID)
		}
	}
	for key := range want {
		t.Errorf("no record %s", key)
	}
	for _, id := range []string{"SiteARecordDC5A9E63", "SiteAaaaRecordE0866AE3", "SiteWwwARecord42D780AA", "SiteWwwAaaaRecord9264B588"} {
		if _, ok := records[id]; !ok {
			t.Errorf("no record with logical ID %s", id)
		}
	}
}

func TestCertificateCoversBothNamesValidatedByDNSInTheZone(t *testing.T) {
	template(t).HasResourceProperties(t, "AWS::CertificateManager::Certificate", map[string]any{
		"DomainName":              "example.com",
		"SubjectAlternativeNames": []any{"www.example.com"},
		"ValidationMethod":        "DNS",
		"DomainValidationOptions": []any{
			map[string]any{"DomainName": "example.com", "HostedZoneId": zoneID},
			map[string]any{"DomainName": "www.example.com", "HostedZoneId": zoneID},
		},
	})
}

func TestBlockCreatesNoOutputs(t *testing.T) {
	for name, tpl := range map[string]*cdktest.Template{"us-east-1": template(t), "cross-region": crossRegion(t)} {
		if outputs := *tpl.FindOutputs(jsii.String("*"), nil); len(outputs) > 0 {
			t.Errorf("%s: outputs %v; the app creates its own", name, cdktest.JSON(outputs))
		}
	}
}

func TestAccessorsReturnWhatWasCreated(t *testing.T) {
	template(t)
	if built == nil {
		t.Fatal("the site was not built")
	}
	stack := awscdk.Stack_Of(built)
	checks := map[string]struct {
		got  any
		want string
	}{
		"Bucket":                {stack.Resolve(built.Bucket().BucketName()), cdktest.JSON(ref(siteBucket))},
		"LogBucket":             {stack.Resolve(built.LogBucket().BucketName()), cdktest.JSON(ref(logBucket))},
		"Distribution":          {stack.Resolve(built.Distribution().DistributionId()), cdktest.JSON(ref(distribution))},
		"Certificate":           {stack.Resolve(built.Certificate().CertificateArn()), cdktest.JSON(ref("SiteCertificate74188813"))},
		"ResponseHeadersPolicy": {stack.Resolve(built.ResponseHeadersPolicy().ResponseHeadersPolicyId()), cdktest.JSON(ref("SiteHeadersB898D494"))},
		"RedirectFunction":      {stack.Resolve(built.RedirectFunction().FunctionArn()), cdktest.JSON(getAtt("SiteWwwRedirectB87589FA", "FunctionARN"))},
	}
	for name, c := range checks {
		if got := cdktest.JSON(c.got); got != c.want {
			t.Errorf("%s(): resolves to %s, want %s", name, got, c.want)
		}
	}
	if n := len(built.AliasRecords()); n != 4 {
		t.Errorf("AliasRecords(): %d records, want 4", n)
	}
}

func TestCertificateStackIsInUSEast1WithTheCertificateValidatedInTheZone(t *testing.T) {
	tpl := certTemplate(t)
	if r, a := *certStack.Region(), *certStack.Account(); r != "us-east-1" || a != account {
		t.Errorf("certificate stack in %s/%s, want %s/us-east-1", a, r, account)
	}
	tpl.ResourceCountIs(t, "AWS::CertificateManager::Certificate", 1)
	tpl.HasResourceProperties(t, "AWS::CertificateManager::Certificate", map[string]any{
		"DomainName":              "example.com",
		"SubjectAlternativeNames": []any{"www.example.com"},
		"ValidationMethod":        "DNS",
		"DomainValidationOptions": []any{
			map[string]any{"DomainName": "example.com", "HostedZoneId": zoneID},
			map[string]any{"DomainName": "www.example.com", "HostedZoneId": zoneID},
		},
	})
}

// TestCrossRegionSiteReadsTheCertificateFromTheCertificateStack checks the
// reference as cdk.json configures it: "@aws-cdk/core:defaultCrossStackReferences"
// "weak" makes CDK read the certificate stack's output with Fn::GetStackOutput
// (no SSM export writer and reader custom resources, no Lambda functions).
func TestCrossRegionSiteReadsTheCertificateFromTheCertificateStack(t *testing.T) {
	site, cert := crossRegion(t), certTemplate(t)
	vc := distributionConfig(t, site)["ViewerCertificate"].(map[string]any)
	get, ok := vc["AcmCertificateArn"].(map[string]any)["Fn::GetStackOutput"].(map[string]any)
	if !ok {
		t.Fatalf("AcmCertificateArn %s, want Fn::GetStackOutput of the certificate stack", cdktest.JSON(vc["AcmCertificateArn"]))
	}
	if get["StackName"] != *certStack.StackName() || get["Region"] != "us-east-1" {
		t.Errorf("reads stack %v in %v, want %s in us-east-1", get["StackName"], get["Region"], *certStack.StackName())
	}
	outputs := *cert.FindOutputs(jsii.String("*"), nil)
	output, ok := outputs[get["OutputName"].(string)]
	if !ok {
		t.Fatalf("the certificate stack has no output %v; it has %s", get["OutputName"], cdktest.JSON(outputs))
	}
	if got := cdktest.JSON((*output)["Value"]); got != cdktest.JSON(ref("Certificate4E7ABB08")) {
		t.Errorf("output %v is %s, want the certificate's ARN", get["OutputName"], got)
	}
	if vc["MinimumProtocolVersion"] != "TLSv1.2_2021" || vc["SslSupportMethod"] != "sni-only" {
		t.Errorf("ViewerCertificate %s", cdktest.JSON(vc))
	}
	for _, typ := range []string{"AWS::Lambda::Function", "Custom::CrossRegionExportReader", "AWS::CertificateManager::Certificate"} {
		site.ResourceCountIs(t, typ, 0)
	}
	cert.ResourceCountIs(t, "AWS::Lambda::Function", 0)
	cert.ResourceCountIs(t, "Custom::CrossRegionExportWriter", 0)
}

func TestSiteStackDependsOnTheCertificateStack(t *testing.T) {
	crossRegion(t)
	for _, d := range *siteStack.Dependencies() {
		if *d.StackName() == *certStack.StackName() {
			return
		}
	}
	t.Errorf("stack %s does not depend on %s: CDK would deploy them in any order", *siteStack.StackName(), *certStack.StackName())
}

// TestSPAFallbackCanBeTurnedOff synthesizes the other variant without
// validation or cdk-nag: only the error responses and the absent www parts
// differ, which the default template's checks cover.
func TestSPAFallbackCanBeTurnedOff(t *testing.T) {
	app := cdktest.NewApp(t)
	stack := cdktest.NewStack(app, "Test")
	frontend.New(stack, "Site", &frontend.Props{DomainName: "example.com", Zone: cdktest.Zone(stack), DisableSPAFallback: true})
	var tpl *cdktest.Template
	cdktest.Check(t, func() { tpl = synthesized(stack) })
	if tpl == nil {
		t.FailNow()
	}
	cfg := distributionConfig(t, tpl)
	if v, ok := cfg["CustomErrorResponses"]; ok {
		t.Errorf("CustomErrorResponses %s, want none", cdktest.JSON(v))
	}
	if got := cdktest.JSON(cfg["Aliases"]); got != `["example.com"]` {
		t.Errorf("without RedirectWWW: Aliases %s, want only example.com", got)
	}
	if _, ok := cfg["DefaultCacheBehavior"].(map[string]any)["FunctionAssociations"]; ok {
		t.Error("without RedirectWWW: a function is associated")
	}
	tpl.ResourceCountIs(t, "AWS::CloudFront::Function", 0)
	tpl.ResourceCountIs(t, recordType, 2)
	tpl.HasResourceProperties(t, "AWS::CertificateManager::Certificate", map[string]any{
		"DomainName": "example.com", "SubjectAlternativeNames": assertions.Match_Absent(),
	})
}

func TestInvalidProps(t *testing.T) {
	stack := awscdk.NewStack(nil, jsii.String("Props"), &awscdk.StackProps{Env: &awscdk.Environment{Region: jsii.String("us-east-1")}})
	zone := cdktest.Zone(stack)
	euCert := awscertificatemanager.Certificate_FromCertificateArn(stack, jsii.String("EuCert"),
		jsii.String("arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"))
	cases := []struct {
		name  string
		props frontend.Props
		want  string
	}{
		{"nothing", frontend.Props{}, `DomainName: missing; required: the site's name, e.g. "example.com"; Zone: missing`},
		{"missing zone", frontend.Props{DomainName: "example.com"}, "Zone: missing; required: the hosted zone of DomainName"},
		{"single label", frontend.Props{DomainName: "example", Zone: zone}, `DomainName: "example" is not a domain name`},
		{"URL", frontend.Props{DomainName: "https://example.com", Zone: zone}, `DomainName: "https://example.com" is not a domain name`},
		{"upper case", frontend.Props{DomainName: "Example.com", Zone: zone}, `DomainName: "Example.com" is not a domain name`},
		{"outside the zone", frontend.Props{DomainName: "example.org", Zone: zone}, `DomainName: "example.org" is outside the hosted zone "example.com"`},
		{"www twice", frontend.Props{DomainName: "www.example.com", Zone: zone, RedirectWWW: true}, `RedirectWWW: DomainName "www.example.com" already starts with "www."`},
		{"certificate elsewhere", frontend.Props{DomainName: "example.com", Zone: zone, Certificate: euCert}, "Certificate: is in eu-west-1; required: a certificate in us-east-1"},
		{"too long for a certificate", frontend.Props{DomainName: strings.Repeat("a", 60) + ".example.com", Zone: zone}, "allowed: at most 64 for a new ACM certificate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.props.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
	if err := (frontend.Props{DomainName: "shop.example.com.", Zone: zone, RedirectWWW: true}).Validate(); err != nil {
		t.Errorf("valid props: %v", err)
	}
}

func TestInvalidCertificateStackProps(t *testing.T) {
	valid := frontend.CertificateStackProps{DomainName: "example.com", HostedZoneID: zoneID, HostedZoneName: zoneName}
	with := func(change func(*frontend.CertificateStackProps)) frontend.CertificateStackProps {
		p := valid
		change(&p)
		return p
	}
	cases := []struct {
		name  string
		props frontend.CertificateStackProps
		want  string
	}{
		{"nothing", frontend.CertificateStackProps{}, "HostedZoneName: missing; required: the name of the hosted zone, e.g. \"example.com\"; HostedZoneID: missing; required: the id of the hosted zone, e.g. \"Z0123456789ABCDEFGHIJ\"; DomainName: missing"},
		{"domain outside the zone", with(func(p *frontend.CertificateStackProps) { p.DomainName = "example.org" }), `DomainName: "example.org" is outside the hosted zone "example.com"`},
		{"bad alternative name", with(func(p *frontend.CertificateStackProps) {
			p.SubjectAlternativeNames = []string{"www.example.com", "*bad"}
		}), `SubjectAlternativeNames[1]: "*bad" is not a domain name`},
		{"bad account", with(func(p *frontend.CertificateStackProps) { p.Account = "12345" }), `Account: "12345" is not an account id`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.props.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
	if err := valid.Validate(); err != nil {
		t.Errorf("valid props: %v", err)
	}
}

// panicMessage returns what f panics with, or "" when it returns.
func panicMessage(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg, _ = r.(string)
			if msg == "" {
				msg = "non-string panic"
			}
		}
	}()
	f()
	return ""
}

func TestNewPanicsWithTheConstructIDOnInvalidProps(t *testing.T) {
	msg := panicMessage(func() { frontend.New(awscdk.NewStack(nil, nil, nil), "Site", &frontend.Props{DomainName: "example"}) })
	if !strings.HasPrefix(msg, "frontend Site: DomainName") {
		t.Errorf("got %q, want a panic naming the construct and the field", msg)
	}
	msg = panicMessage(func() { frontend.NewCertificateStack(awscdk.NewApp(nil), "Cert", &frontend.CertificateStackProps{}) })
	if !strings.HasPrefix(msg, "frontend Cert: HostedZoneName") {
		t.Errorf("got %q, want a panic naming the stack and the field", msg)
	}
}

func TestNewWithoutCertificateOutsideUSEast1PanicsNamingNewCertificateStack(t *testing.T) {
	app := awscdk.NewApp(nil)
	for _, c := range []struct {
		name string
		env  *awscdk.Environment
	}{{"EuWest1", &awscdk.Environment{Region: jsii.String("eu-west-1")}}, {"Agnostic", nil}} {
		name, env := c.name, c.env
		stack := awscdk.NewStack(app, jsii.String(name), &awscdk.StackProps{Env: env})
		zone := awsroute53.HostedZone_FromHostedZoneAttributes(stack, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
			HostedZoneId: jsii.String(zoneID), ZoneName: jsii.String(zoneName),
		})
		msg := panicMessage(func() { frontend.New(stack, "Site", &frontend.Props{DomainName: "example.com", Zone: zone}) })
		if !strings.HasPrefix(msg, "frontend Site: Certificate: missing") || !strings.Contains(msg, "NewCertificateStack") {
			t.Errorf("%s: got %q, want a panic naming the construct and NewCertificateStack", name, msg)
		}
	}
}
