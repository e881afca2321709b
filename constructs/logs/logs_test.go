package logs_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/logs"
	"github.com/tierkit/tierkit/constructs/logs/logstest"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// variant builds the fixtures' stacks (logstest) in one app, synthesized
// once in strict mode (validation warnings fail); internal/conformance checks
// the same stacks with CloudFormation validation and cdk-nag.
var variant = cdktest.Variants(func(tb testing.TB) map[string]awscdk.Stack {
	f := logstest.New(cdktest.NewApp(tb, cdktest.Strict()))
	shipped = f.Shipped
	return f.Stacks
})

var (
	// template holds two shipped files and a role granted write access (the
	// second file added after the grant), plus a log group of someone else's
	// that the grant must not reach.
	template = variant("default")
	// keyed is the template's setup with the tier's key: a customer managed
	// key of the same stack (rotated, retained) passed as EncryptionKey.
	keyed = variant("keyed")
)

// shipped is template's block.
var shipped *logs.Logs

const (
	errorGroup  = "LogsApacheError44101E5F"
	accessGroup = "LogsApacheAccess1C5E1515"
	policyType  = "AWS::IAM::Policy"
	keyID       = "TierKey0D030C44"
)

func TestLogGroupsKeepTheirLogicalIDsAndAreRetained(t *testing.T) {
	groups := *template(t).FindResources(jsii.String("AWS::Logs::LogGroup"), nil)
	for _, id := range []string{errorGroup, accessGroup} {
		g, ok := groups[id]
		if !ok {
			t.Errorf("no log group with logical ID %s: renaming a construct would orphan its logs", id)
		} else if (*g)["DeletionPolicy"] != "Retain" || (*g)["UpdateReplacePolicy"] != "Retain" {
			t.Errorf("%s: DeletionPolicy %v, UpdateReplacePolicy %v; want Retain", id, (*g)["DeletionPolicy"], (*g)["UpdateReplacePolicy"])
		}
	}
}

func TestLogGroupsKeepLogsOneYear(t *testing.T) {
	groups := *template(t).FindResources(jsii.String("AWS::Logs::LogGroup"), nil)
	for _, id := range []string{errorGroup, accessGroup} {
		if g, ok := groups[id]; ok {
			if r := (*g)["Properties"].(map[string]any)["RetentionInDays"]; r != 365.0 {
				t.Errorf("%s: RetentionInDays %v; want 365 (CloudWatch.16)", id, r)
			}
		}
	}
}

// Encryption with the tier's key

func TestLogGroupsUseCloudWatchLogsEncryptionByDefault(t *testing.T) {
	for id, g := range template(t).Resources("AWS::Logs::LogGroup") {
		if k, ok := cdktest.Props(g)["KmsKeyId"]; ok {
			t.Errorf("%s: KmsKeyId %v; want none without EncryptionKey", id, k)
		}
	}
}

func TestEveryLogGroupIsEncryptedWithTheKey(t *testing.T) {
	groups := keyed(t).Resources("AWS::Logs::LogGroup")
	if len(groups) != 2 {
		t.Fatalf("%d log groups; want 2", len(groups))
	}
	for _, id := range []string{errorGroup, accessGroup} {
		if got := cdktest.JSON(cdktest.Props(groups[id])["KmsKeyId"]); got != `{"Fn::GetAtt":["`+keyID+`","Arn"]}` {
			t.Errorf("%s: KmsKeyId %s; want the key's ARN", id, got)
		}
	}
}

func TestKeyPolicyLetsCloudWatchLogsUseTheKeyForThisAccountsGroups(t *testing.T) {
	keyed(t).HasResourceProperties(t, "AWS::KMS::Key", map[string]any{
		"KeyPolicy": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{map[string]any{
			"Sid": "AllowCloudWatchLogsOfThisAccount", "Effect": "Allow",
			"Principal": map[string]any{"Service": "logs.us-east-1.amazonaws.com"},
			"Action":    []any{"kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"},
			"Resource":  "*",
			"Condition": map[string]any{"ArnLike": map[string]any{"kms:EncryptionContext:aws:logs:arn": map[string]any{"Fn::Join": []any{"", []any{
				"arn:aws:logs:us-east-1:", map[string]any{"Ref": "AWS::AccountId"}, ":log-group:*",
			}}}}},
		}})},
	})
}

func TestBlocksSharingAKeyAddOneStatement(t *testing.T) {
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Test"), nil)
	key := awskms.NewKey(stack, jsii.String("TierKey"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)})
	logs.New(stack, "Logs", &logs.Props{EncryptionKey: key})
	logs.New(stack, "MoreLogs", &logs.Props{EncryptionKey: key})
	doc := cdktest.JSON(stack.Resolve(key.Policy()))
	if n := strings.Count(doc, "AllowCloudWatchLogsOfThisAccount"); n != 1 {
		t.Errorf("%d statements for CloudWatch Logs in %s; want 1", n, doc)
	}
}

func TestAgentNeedsNoKMSPermissionWithAKey(t *testing.T) {
	policies := keyed(t).Resources(policyType)
	if len(policies) != 1 {
		t.Fatalf("%d policies; want the agent's", len(policies))
	}
	for id, p := range policies {
		if doc := cdktest.JSON(cdktest.Props(p)["PolicyDocument"]); strings.Contains(doc, "kms:") {
			t.Errorf("%s allows KMS actions: %s; CloudWatch Logs encrypts with its own principal", id, doc)
		}
	}
}

func TestImportedKeyEncryptsTheGroupsAndItsPolicyIsTheOwnersConcern(t *testing.T) {
	const arn = "arn:aws:kms:us-east-1:123456789012:key/0123abcd-12ab-34cd-56ef-1234567890ab"
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Test"), nil)
	key := awskms.Key_FromKeyArn(stack, jsii.String("TierKey"), jsii.String(arn))
	group := logs.New(stack, "Logs", &logs.Props{EncryptionKey: key}).AddFile("App", "/var/log/app.log")
	if got := *group.Node().DefaultChild().(awslogs.CfnLogGroup).KmsKeyId(); got != arn {
		t.Errorf("KmsKeyId %s; want the imported key's ARN", got)
	}
}

func TestKeyOfAnotherStackIsLeftAlone(t *testing.T) {
	app := awscdk.NewApp(nil)
	keys := awscdk.NewStack(app, jsii.String("Keys"), nil)
	key := awskms.NewKey(keys, jsii.String("TierKey"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)})
	logs.New(awscdk.NewStack(app, jsii.String("Web"), nil), "Logs", &logs.Props{EncryptionKey: key}).AddFile("App", "/var/log/app.log")
	if doc := cdktest.JSON(keys.Resolve(key.Policy())); strings.Contains(doc, "logs.") {
		t.Errorf("a key of another stack got a statement: %s; its own stack grants what it allows", doc)
	}
}

func TestAgentShipsEachFileToItsGroupInOrder(t *testing.T) {
	template(t)
	stack := awscdk.Stack_Of(shipped)
	files := parseAgentConfig(t, shipped.AgentConfig()).Logs.LogsCollected.Files.CollectList
	want := []struct{ path, group string }{
		{"/var/log/apache2/error.log", errorGroup},
		{"/var/log/apache2/*access.log", accessGroup},
	}
	if len(files) != len(want) {
		t.Fatalf("%d files in the agent configuration; want %d", len(files), len(want))
	}
	for i, w := range want {
		f := files[i]
		if f.FilePath != w.path {
			t.Errorf("file %d: path %q; want %q", i, f.FilePath, w.path)
		}
		if got := resolve(stack, f.LogGroupName); got != cdktest.JSON(map[string]any{"Ref": w.group}) {
			t.Errorf("%s goes to %s; want the group %s", f.FilePath, got, w.group)
		}
		if f.LogStreamName != "{instance_id}" {
			t.Errorf("%s: stream %q; want one per instance, {instance_id}", f.FilePath, f.LogStreamName)
		}
	}
}

func TestAgentConfigResolvesInUserData(t *testing.T) {
	template(t)
	userData := awsec2.UserData_ForLinux(nil)
	userData.AddCommands(jsii.String("cat > /tmp/agent.json <<'EOF'\n" + shipped.AgentConfig() + "\nEOF"))
	got := cdktest.JSON(awscdk.Stack_Of(shipped).Resolve(userData.Render()))
	for _, g := range []string{errorGroup, accessGroup} {
		if !strings.Contains(got, cdktest.JSON(map[string]any{"Ref": g})) {
			t.Errorf("the rendered user data does not reference %s: %s", g, got)
		}
	}
	if strings.Contains(got, "${Token[") {
		t.Errorf("unresolved token in the user data: %s", got)
	}
}

func TestAgentConfigIsDeterministic(t *testing.T) {
	template(t)
	if a, b := shipped.AgentConfig(), shipped.AgentConfig(); a != b {
		t.Errorf("two renderings differ:\n%s\n%s", a, b)
	}
}

func TestAgentPublishesMemoryAndDiskUsage(t *testing.T) {
	template(t)
	metrics := parseAgentConfig(t, shipped.AgentConfig()).Metrics
	if metrics["namespace"] != "tierkit" {
		t.Errorf("metrics namespace %v; want tierkit, the only one GrantWrite allows", metrics["namespace"])
	}
	want := `{"disk":{"drop_device":true,"measurement":["used_percent"],"resources":["/"]},"mem":{"measurement":["used_percent"]}}`
	if got := cdktest.JSON(metrics["metrics_collected"]); got != want {
		t.Errorf("metrics_collected %s; want %s", got, want)
	}
	if got := cdktest.JSON(metrics["append_dimensions"]); got != `{"InstanceId":"${aws:InstanceId}"}` {
		t.Errorf("append_dimensions %s; want InstanceId only (others need ec2:DescribeTags)", got)
	}
}

func TestFilesAndGroupsAreListedInOrder(t *testing.T) {
	template(t)
	stack := awscdk.Stack_Of(shipped)
	files, groups := shipped.Files(), shipped.Groups()
	if len(files) != 2 || len(groups) != 2 {
		t.Fatalf("%d files, %d groups; want 2 of each", len(files), len(groups))
	}
	for i, w := range []struct{ id, path, group string }{
		{"ApacheError", "/var/log/apache2/error.log", errorGroup},
		{"ApacheAccess", "/var/log/apache2/*access.log", accessGroup},
	} {
		if files[i].ID != w.id || files[i].Path != w.path {
			t.Errorf("Files()[%d] = %s %s; want %s %s", i, files[i].ID, files[i].Path, w.id, w.path)
		}
		ref := cdktest.JSON(map[string]any{"Ref": w.group})
		if resolve(stack, *files[i].Group.LogGroupName()) != ref || resolve(stack, *groups[i].LogGroupName()) != ref {
			t.Errorf("Files()[%d] and Groups()[%d] are not the group %s", i, i, w.group)
		}
	}
}

func TestGrantIsWriteToTheseGroupsOnly(t *testing.T) {
	policies := *template(t).FindResources(jsii.String(policyType), nil)
	if len(policies) != 1 {
		t.Fatalf("%d policies; want 1", len(policies))
	}
	for id, policy := range policies {
		props := (*policy)["Properties"].(map[string]any)
		if got := cdktest.JSON(props["Roles"]); got != `[{"Ref":"AppRoleDC883459"}]` {
			t.Errorf("%s is attached to %s; want the granted role", id, got)
		}
		resources := map[string]bool{}
		for _, s := range props["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			st := s.(map[string]any)
			actions := cdktest.JSON(cdktest.AsList(st["Action"]))
			switch actions {
			case `["logs:CreateLogStream","logs:DescribeLogStreams","logs:PutLogEvents"]`:
				for _, r := range cdktest.AsList(st["Resource"]) {
					resources[cdktest.JSON(r)] = true
				}
			case `["cloudwatch:PutMetricData"]`:
				if st["Resource"] != "*" || cdktest.JSON(st["Condition"]) != `{"StringEquals":{"cloudwatch:namespace":"tierkit"}}` {
					t.Errorf("PutMetricData on %v with condition %s; want * limited to namespace tierkit", st["Resource"], cdktest.JSON(st["Condition"]))
				}
			default:
				t.Errorf("unexpected actions %s", actions)
			}
		}
		var want []string
		for _, g := range []string{errorGroup, accessGroup} {
			for _, suffix := range []string{"", ":*"} {
				parts := []any{"arn:aws:logs:us-east-1:", map[string]any{"Ref": "AWS::AccountId"}, ":log-group:", map[string]any{"Ref": g}}
				if suffix != "" {
					parts = append(parts, suffix)
				}
				want = append(want, cdktest.JSON(map[string]any{"Fn::Join": []any{"", parts}}))
			}
		}
		var got []string
		for r := range resources {
			got = append(got, r)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("log resources\n %s\nwant each group's ARN and its streams only\n %s", strings.Join(got, "\n "), strings.Join(want, "\n "))
		}
	}
}

func TestMetricsCanBeDisabled(t *testing.T) {
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Test"), nil)
	l := logs.New(stack, "Logs", &logs.Props{DisableMetrics: true})
	l.AddFile("App", "/var/www/app/storage/logs/laravel.log")
	if strings.Contains(l.AgentConfig(), `"metrics"`) {
		t.Errorf("the agent configuration has metrics: %s", l.AgentConfig())
	}
	l.GrantWrite(awsiam.NewRole(stack, jsii.String("Role"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("ec2.amazonaws.com"), nil)}))
	if doc := cdktest.JSON(stack.Resolve(l.Policy().Document())); strings.Contains(doc, "cloudwatch:") {
		t.Errorf("the grant allows CloudWatch metrics: %s", doc)
	}
}

func TestRetentionIsConfigurable(t *testing.T) {
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Test"), nil)
	group := logs.New(stack, "Logs", &logs.Props{Retention: awslogs.RetentionDays_ONE_WEEK}).AddFile("App", "/var/log/app.log")
	if got := *group.Node().DefaultChild().(awslogs.CfnLogGroup).RetentionInDays(); got != 7 {
		t.Errorf("RetentionInDays %v; want 7", got)
	}
}

func TestEachRoleIsAttachedOnce(t *testing.T) {
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Test"), nil)
	l := logs.New(stack, "Logs", nil)
	l.AddFile("App", "/var/log/app.log")
	newRole := func(id string) awsiam.IRole {
		return awsiam.NewRole(stack, jsii.String(id), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("ec2.amazonaws.com"), nil)})
	}
	web, worker := newRole("Web"), newRole("Worker")
	l.GrantWrite(web)
	l.GrantWrite(web)
	l.GrantWrite(worker)
	roles := stack.Resolve(l.Policy().Node().DefaultChild().(awsiam.CfnPolicy).Roles())
	if n := len(roles.([]any)); n != 2 {
		t.Errorf("the policy is attached %d times (%s); want once per role", n, cdktest.JSON(roles))
	}
}

func TestInvalidProps(t *testing.T) {
	cases := []struct {
		name  string
		props logs.Props
		want  string
	}{
		{"infinite", logs.Props{Retention: awslogs.RetentionDays_INFINITE}, "Retention: INFINITE keeps logs forever; allowed: a finite awslogs.RetentionDays"},
		{"unknown", logs.Props{Retention: "FOREVER"}, `Retention: "FOREVER" is not an awslogs.RetentionDays`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.props.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Validate() = %v; want %q", err, c.want)
			}
		})
	}
	if err := (logs.Props{Retention: awslogs.RetentionDays_TEN_YEARS}).Validate(); err != nil {
		t.Errorf("TEN_YEARS: %v", err)
	}
}

func TestNewPanicsNamingTheID(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(r.(string), "logs Logs: Retention") {
			t.Errorf("got %v, want a panic naming the construct and the field", r)
		}
	}()
	logs.New(awscdk.NewStack(nil, nil, nil), "Logs", &logs.Props{Retention: awslogs.RetentionDays_INFINITE})
}

func TestAddFileMisusePanicsNamingTheID(t *testing.T) {
	cases := []struct {
		name, id, path, want string
	}{
		{"empty id", "", "/var/log/x.log", `logs Logs: AddFile "": id is empty`},
		{"duplicate id", "ApacheError", "/var/log/other.log", `logs Logs: AddFile "ApacheError": id is already used in this construct`},
		{"id of the policy", "AgentPolicy", "/var/log/other.log", `logs Logs: AddFile "AgentPolicy": id is already used`},
		{"relative path", "App", "storage/logs/laravel.log", `logs Logs: AddFile "App": path "storage/logs/laravel.log" is not absolute; allowed: an absolute path on the instance`},
		{"empty path", "App", "", `logs Logs: AddFile "App": path "" is not absolute`},
		{"file shipped twice", "ApacheError2", "/var/log/apache2/error.log", `logs Logs: AddFile "ApacheError2": path "/var/log/apache2/error.log" is already shipped to ApacheError`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Test"), nil)
			l := logs.New(stack, "Logs", nil)
			l.AddFile("ApacheError", "/var/log/apache2/error.log")
			l.GrantWrite(awsiam.NewRole(stack, jsii.String("Role"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("ec2.amazonaws.com"), nil)}))
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.HasPrefix(s, c.want) {
					t.Errorf("got %v; want a panic starting %q", r, c.want)
				}
				if len(l.Files()) != 1 {
					t.Errorf("a refused file was recorded: %d files", len(l.Files()))
				}
			}()
			l.AddFile(c.id, c.path)
		})
	}
}

func TestLogsBehaveAsAConstruct(t *testing.T) {
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Test"), nil)
	l := logs.New(stack, "Logs", nil)
	child := constructs.NewConstruct(l, jsii.String("Child"))
	if *child.Node().Path() != "Test/Logs/Child" {
		t.Errorf("child path %s; want Test/Logs/Child", *child.Node().Path())
	}
	awscdk.Tags_Of(l).Add(jsii.String("tier"), jsii.String("web"), nil)
	other := constructs.NewConstruct(stack, jsii.String("Other"))
	other.Node().AddDependency(l)
	if len(*other.Node().Dependencies()) != 1 {
		t.Errorf("a construct cannot depend on the logs")
	}
}
