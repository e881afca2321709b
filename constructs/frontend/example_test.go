package frontend_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/frontend"
)

// The site's stack is in us-east-1: the site creates its own certificate.
func ExampleNew() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Frontend"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("us-east-1")},
	})
	zone := awsroute53.HostedZone_FromHostedZoneAttributes(stack, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
		HostedZoneId: jsii.String("Z0123456789ABCDEFGHIJ"), ZoneName: jsii.String("example.com"),
	})
	site := frontend.New(stack, "Site", &frontend.Props{DomainName: "example.com", Zone: zone, RedirectWWW: true})
	awscdk.NewCfnOutput(stack, jsii.String("DistributionId"), &awscdk.CfnOutputProps{Value: site.Distribution().DistributionId()})
}

// The site's stack is in another region: the certificate comes from a stack
// in us-east-1, through a cross-region reference.
func ExampleNewCertificateStack() {
	app := awscdk.NewApp(nil)
	cert := frontend.NewCertificateStack(app, "FrontendCertificate", &frontend.CertificateStackProps{
		Account:                 "123456789012",
		DomainName:              "example.com",
		SubjectAlternativeNames: []string{"www.example.com"},
		HostedZoneID:            "Z0123456789ABCDEFGHIJ",
		HostedZoneName:          "example.com",
	})
	stack := awscdk.NewStack(app, jsii.String("Frontend"), &awscdk.StackProps{
		Env:                   &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("eu-west-1")},
		CrossRegionReferences: jsii.Bool(true),
	})
	zone := awsroute53.HostedZone_FromHostedZoneAttributes(stack, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
		HostedZoneId: jsii.String("Z0123456789ABCDEFGHIJ"), ZoneName: jsii.String("example.com"),
	})
	frontend.New(stack, "Site", &frontend.Props{
		DomainName: "example.com", Zone: zone, RedirectWWW: true, Certificate: cert.Certificate(),
	})
}
