//go:build e2e

package realstack

import (
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"

	"github.com/tierkit/tierkit/internal/cdktest"
)

// Synth synthesizes a stack built by build (with cdk.json's context, as
// `cdk synth` does) and returns its template.
func Synth(t *testing.T, build func(stack awscdk.Stack)) *cdktest.Template {
	t.Helper()
	app := cdktest.NewApp(t)
	stack := cdktest.NewStack(app, "E2E")
	cdktest.Check(t, func() { build(stack) })
	var tpl *cdktest.Template
	cdktest.Check(t, func() { tpl = &cdktest.Template{Template: assertions.Template_FromStack(stack, nil)} })
	return tpl
}

// SecretARN is the ARN the user data reads a secret by: its logical ID
// is in it, so that the fake answers each secret by that fragment.
func SecretARN(logicalID string) string {
	return "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + logicalID + "-e2eAbC"
}

// UserData returns the launch template's user data as CloudFormation
// would deploy it in the test's world: the database and the cache at the
// hub's names, the uploads bucket, the secrets by ARN, the VPC's CIDR.
func UserData(t *testing.T, tpl *cdktest.Template, dbPort int) string {
	t.Helper()
	types := map[string]string{}
	for _, typ := range []string{"AWS::S3::Bucket", "AWS::SecretsManager::Secret", "AWS::SecretsManager::SecretTargetAttachment", "AWS::Logs::LogGroup"} {
		for id := range tpl.Resources(typ) {
			types[id] = typ
		}
	}
	value := func(kind string, args ...string) string {
		switch kind {
		case "Ref":
			switch types[args[0]] {
			case "AWS::S3::Bucket":
				return Bucket
			case "AWS::SecretsManager::Secret", "AWS::SecretsManager::SecretTargetAttachment":
				return SecretARN(args[0])
			case "AWS::Logs::LogGroup":
				return "/tierkit/e2e/" + args[0]
			}
			return cdktest.RefValue(args[0])
		case "Fn::GetAtt":
			attr := args[1]
			switch {
			case attr == "Endpoint.Address":
				return DBHost
			case attr == "Endpoint.Port":
				return strconv.Itoa(dbPort)
			case strings.HasSuffix(attr, "EndPoint.Address"), strings.HasSuffix(attr, "Endpoint.Address"):
				return CacheHost
			case strings.HasSuffix(attr, "EndPoint.Port"):
				return strconv.Itoa(RedisPort)
			case attr == "CidrBlock":
				return VPCCIDR
			}
			return cdktest.GetAttValue(args[0], attr)
		}
		t.Fatalf("the user data imports %v: not resolvable in the test", args)
		return ""
	}
	return cdktest.Resolve(t, cdktest.UserDataExpr(t, tpl), value)
}

// Secrets returns the secrets the user data reads, by kind: "database",
// "cache" or "seed", each the logical ID in its ARN. The database's is read
// through its attachment to the instance (the secret with host and port).
func Secrets(tpl *cdktest.Template) map[string]string {
	out := map[string]string{}
	for id := range tpl.Resources("AWS::SecretsManager::Secret") {
		switch {
		case strings.Contains(id, "Database"):
			out["database"] = id
		case strings.Contains(id, "Cache"):
			out["cache"] = id
		case strings.Contains(id, "Seed"):
			out["seed"] = id
		}
	}
	for id := range tpl.Resources("AWS::SecretsManager::SecretTargetAttachment") {
		out["database"] = id
	}
	return out
}
