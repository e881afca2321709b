//go:build e2e

package realstack

import (
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"

	"github.com/tierkit/tierkit/constructs/fleet"
	"github.com/tierkit/tierkit/internal/cdktest"
	"github.com/tierkit/tierkit/internal/fakeaws"
)

// Synth synthesizes a stack built by build (with cdk.json's context, as
// `cdk synth` does) and returns its template; its assets (the boot script)
// are in the template's Outdir.
func Synth(t *testing.T, build func(stack awscdk.Stack)) *cdktest.Template {
	t.Helper()
	app := cdktest.NewApp(t)
	stack := cdktest.NewStack(app, "E2E")
	cdktest.Check(t, func() { build(stack) })
	var tpl *cdktest.Template
	cdktest.Check(t, func() {
		tpl = &cdktest.Template{Template: assertions.Template_FromStack(stack, nil), Outdir: *awscdk.Stage_Of(stack).Outdir()}
	})
	if tpl == nil {
		t.FailNow()
	}
	return tpl
}

// SecretARN is the ARN the user data reads a secret by: its logical ID
// is in it, so that the fake answers each secret by that fragment.
func SecretARN(logicalID string) string {
	return "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + logicalID + "-e2eAbC"
}

// Stack identity in the test's world: what the template's Ref AWS::StackId
// and AWS::StackName resolve to (the loader signals this stack).
const (
	StackName = "E2E"
	StackID   = "arn:aws:cloudformation:" + fakeaws.Region + ":123456789012:stack/" + StackName + "/0e2e0e2e-1234-4abc-8def-0123456789ab"
	// BootstrapBucket is the CDK bootstrap bucket the boot script's asset is
	// published to (cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}).
	BootstrapBucket = "cdk-hnb659fds-assets-123456789012-" + fakeaws.Region
)

// Delivered returns the fleet's boot as CloudFormation and `cdk deploy` would
// deliver it in the test's world: the user data (the loader) resolved with
// the database and the cache at the hub's names, the uploads bucket (the
// release bucket ReleaseBucket), the
// secrets by ARN, the VPC's CIDR and this stack's ID; the boot script as
// synthesized beside the template (the asset), to be published in the
// bootstrap bucket (see Stack.Publish).
func Delivered(t *testing.T, tpl *cdktest.Template, dbPort int) cdktest.Boot {
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
				if strings.Contains(args[0], "Releases") {
					return ReleaseBucket
				}
				return Bucket
			case "AWS::SecretsManager::Secret", "AWS::SecretsManager::SecretTargetAttachment":
				return SecretARN(args[0])
			case "AWS::Logs::LogGroup":
				return "/tierkit/e2e/" + args[0]
			}
			switch args[0] {
			case "AWS::StackId":
				return StackID
			case "AWS::StackName":
				return StackName
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
	b := cdktest.BootOf(t, tpl, value)
	if b.Bucket != BootstrapBucket {
		t.Fatalf("the loader fetches the boot script from bucket %q; the test publishes it in the bootstrap bucket %q (and resolves only that name)", b.Bucket, BootstrapBucket)
	}
	return b
}

// UserData returns the launch template's user data (the loader) as
// CloudFormation would deploy it in the test's world (see Delivered).
func UserData(t *testing.T, tpl *cdktest.Template, dbPort int) string {
	t.Helper()
	return Delivered(t, tpl, dbPort).Loader
}

// Tags are the EC2 tags of a server that its boot reads from IMDS.
type Tags struct {
	Singleton bool
	// Worker (tierkit-worker=true) marks a server of a worker group
	// (fleet's AddWorkerGroup): its boot serves nothing.
	Worker bool
	// SignalResource (tierkit-signal-resource) is the logical ID the server
	// signals CloudFormation for; LifecycleHook (tierkit-lifecycle-hook) the
	// launch lifecycle hook it completes.
	SignalResource, LifecycleHook string
}

// tags reads a CloudFormation Tags list; launched keeps only the tags a
// group propagates to the instances it launches.
func tags(t *testing.T, id string, props map[string]any, launched bool) Tags {
	t.Helper()
	var out Tags
	list, _ := props["Tags"].([]any)
	for _, e := range list {
		tag, _ := e.(map[string]any)
		key, _ := tag["Key"].(string)
		if launched && tag["PropagateAtLaunch"] != true {
			continue
		}
		value, ok := tag["Value"].(string)
		if !ok {
			t.Fatalf("%s: tag %s is %s, not a literal", id, key, cdktest.JSON(tag["Value"]))
		}
		switch key {
		case fleet.SingletonTag:
			out.Singleton = value == "true"
		case fleet.WorkerTag:
			out.Worker = value == "true"
		case fleet.SignalTag:
			out.SignalResource = value
		case fleet.LifecycleHookTag:
			out.LifecycleHook = value
		}
	}
	return out
}

// InstanceTags returns the tags of a fixed fleet's instances, Server1 first.
func InstanceTags(t *testing.T, tpl *cdktest.Template) []Tags {
	t.Helper()
	byName := map[int]Tags{}
	for id, r := range tpl.Resources("AWS::EC2::Instance") {
		p := cdktest.Props(r)
		var name string
		for _, e := range p["Tags"].([]any) {
			if tag := e.(map[string]any); tag["Key"] == "Name" {
				name, _ = tag["Value"].(string)
			}
		}
		num, _ := strings.CutPrefix(name[strings.LastIndex(name, "/")+1:], "Server")
		n, err := strconv.Atoi(num)
		if err != nil {
			t.Fatalf("instance %s is named %q, not .../ServerN", id, name)
		}
		byName[n] = tags(t, id, p, false)
	}
	out := make([]Tags, len(byName))
	for n, tg := range byName {
		if n < 1 || n > len(out) {
			t.Fatalf("instances %v are not Server1 to Server%d", byName, len(out))
		}
		out[n-1] = tg
	}
	return out
}

// GroupTags returns the tags the Auto Scaling groups give the servers they
// launch: the main group's, and the singleton group's (zero without one).
// Worker groups are left out (WorkerGroupTags).
func GroupTags(t *testing.T, tpl *cdktest.Template) (main, singleton Tags) {
	t.Helper()
	groups := tpl.Resources("AWS::AutoScaling::AutoScalingGroup")
	n := 0
	for id, r := range groups {
		tg := tags(t, id, cdktest.Props(r), true)
		switch {
		case tg.Worker:
			continue
		case tg.Singleton:
			singleton = tg
		default:
			main = tg
		}
		n++
	}
	if main.SignalResource == "" || n > 2 {
		t.Fatalf("%d groups besides worker groups; want the main one and at most a singleton group", n)
	}
	return main, singleton
}

// WorkerGroupTags returns the tags the fleet's one worker group gives the
// servers it launches, and the group's logical ID.
func WorkerGroupTags(t *testing.T, tpl *cdktest.Template) (Tags, string) {
	t.Helper()
	var out Tags
	var ids []string
	for id, r := range tpl.Resources("AWS::AutoScaling::AutoScalingGroup") {
		if tg := tags(t, id, cdktest.Props(r), true); tg.Worker {
			out, ids = tg, append(ids, id)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("worker groups %v; want one", ids)
	}
	return out, ids[0]
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
