package fleet_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/constructs/fleet"
	"github.com/tierkit/tierkit/constructs/fleet/fleettest"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// The fleets the templates were built from, for the tests that compare.
var (
	groupFleet, fixedFleet   *fleet.Fleet
	groupScript, fixedScript *boot.Script
)

// singletonFleets are the Singleton variants of both modes (see
// fleettest.New); workerGroup is the AutoScaling one's worker group.
var (
	singletonFleets map[fleet.Mode]*fleet.Fleet
	workerGroup     awsautoscaling.AutoScalingGroup
)

// variant builds the fixtures' stacks (fleettest) in one app, synthesized
// once in strict mode; internal/conformance checks the same stacks with
// CloudFormation validation and cdk-nag.
var variant = cdktest.Variants(func(tb testing.TB) map[string]awscdk.Stack {
	f := fleettest.New(cdktest.NewApp(tb, cdktest.Strict()))
	groupFleet, fixedFleet, groupScript, fixedScript = f.GroupFleet, f.FixedFleet, f.GroupScript, f.FixedScript
	singletonFleets, workerGroup = f.SingletonFleets, f.WorkerGroup
	return f.Stacks
})

var (
	// groupTemplate is the default fleet (an Auto Scaling group) with a step
	// added after New, a database group that admits it and a target group for
	// it.
	groupTemplate = variant("autoscaling")
	// fixedTemplate is a Fixed fleet of three servers on port 8080, tagged,
	// with a target group for them; its boot script rewrites the golden IP and
	// carries an agent configuration with a deploy-time value (a CDK token).
	fixedTemplate = variant("fixed")
)

// rolloutTemplate is a group whose rollout is configured: a longer boot,
// checkpoints, a bake time and two alarms watched.
var rolloutTemplate = cdktest.Shared(func(tb testing.TB) awscdk.Stack {
	stack := cdktest.NewStack(cdktest.NewApp(tb), "Test")
	f := fleet.New(stack, "Fleet", &fleet.Props{
		Vpc: newVpc(stack), Image: image(), BootTimeout: 30 * time.Minute, RefreshBakeTime: 10 * time.Minute,
		RefreshCheckpoints: []int{50, 100}, RefreshCheckpointDelay: 15 * time.Minute,
	})
	metric := awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String("Test"), MetricName: jsii.String("M")})
	alarm := func(id string) awscloudwatch.IAlarm {
		return awscloudwatch.NewAlarm(stack, jsii.String(id), &awscloudwatch.AlarmProps{Metric: metric, Threshold: jsii.Number(1), EvaluationPeriods: jsii.Number(1)})
	}
	f.WatchRefresh(alarm("Errors"))
	// Added between the two: it watches the alarms before it and after it.
	f.AddWorkerGroup("Workers", nil)
	f.WatchRefresh(alarm("Unhealthy"))
	return stack
})

// The Singleton variants of both modes (see fleettest.New), the AutoScaling
// one with a worker group.
var (
	singletonGroupTemplate = variant("autoscaling singleton")
	singletonFixedTemplate = variant("fixed singleton")
)

var templates = map[string]func(testing.TB) *cdktest.Template{
	"autoscaling": groupTemplate, "fixed": fixedTemplate,
	"autoscaling singleton": singletonGroupTemplate, "fixed singleton": singletonFixedTemplate,
}

const (
	launchTemplate = "AWS::EC2::LaunchTemplate"
	group          = "AWS::AutoScaling::AutoScalingGroup"
	instance       = "AWS::EC2::Instance"
)

func TestLaunchTemplateRequiresIMDSv2WithHopLimit1(t *testing.T) {
	for name, tpl := range templates {
		t.Run(name, func(t *testing.T) {
			tpl(t).HasResourceProperties(t, launchTemplate, map[string]any{"LaunchTemplateData": assertions.Match_ObjectLike(&map[string]any{
				"MetadataOptions": map[string]any{"HttpEndpoint": "enabled", "HttpTokens": "required", "HttpPutResponseHopLimit": 1},
			})})
		})
	}
}

func TestRootVolumeIsEncryptedGp3(t *testing.T) {
	for name, tpl := range templates {
		t.Run(name, func(t *testing.T) {
			tpl(t).HasResourceProperties(t, launchTemplate, map[string]any{"LaunchTemplateData": assertions.Match_ObjectLike(&map[string]any{
				"BlockDeviceMappings": []any{map[string]any{
					"DeviceName": "/dev/sda1",
					"Ebs":        map[string]any{"Encrypted": true, "VolumeType": "gp3", "VolumeSize": 20, "DeleteOnTermination": true},
				}},
			})})
		})
	}
}

func TestLaunchTemplateCarriesImageTypeAndDetailedMonitoring(t *testing.T) {
	for name, tpl := range templates {
		t.Run(name, func(t *testing.T) {
			tpl(t).HasResourceProperties(t, launchTemplate, map[string]any{"LaunchTemplateData": assertions.Match_ObjectLike(&map[string]any{
				"ImageId": ami, "InstanceType": "t3.small", "Monitoring": map[string]any{"Enabled": true},
			})})
		})
	}
}

func TestNoKeyPairAnywhere(t *testing.T) {
	for name, tpl := range templates {
		t.Run(name, func(t *testing.T) {
			if s := cdktest.JSON(tpl(t).ToJSON()); strings.Contains(s, "KeyName") || strings.Contains(s, "AWS::EC2::KeyPair") {
				t.Errorf("the template names a key pair: servers are reached by Session Manager only")
			}
		})
	}
}

func fleetSecurityGroup(t *testing.T, tpl *cdktest.Template) (string, map[string]any) {
	t.Helper()
	for id, r := range tpl.Resources("AWS::EC2::SecurityGroup") {
		if strings.HasPrefix(id, "FleetSecurityGroup") {
			return id, r
		}
	}
	t.Fatalf("no fleet security group")
	return "", nil
}

func TestSecurityGroupHasNoIngress(t *testing.T) {
	for name, tpl := range templates {
		t.Run(name, func(t *testing.T) {
			tp := tpl(t)
			id, sg := fleetSecurityGroup(t, tp)
			if ingress := props(sg)["SecurityGroupIngress"]; ingress != nil {
				t.Errorf("fleet security group has ingress %s", cdktest.JSON(ingress))
			}
			for rid, r := range tp.Resources("AWS::EC2::SecurityGroupIngress") {
				if strings.Contains(cdktest.JSON(props(r)["GroupId"]), id) {
					t.Errorf("%s opens the fleet group: %s", rid, cdktest.JSON(props(r)))
				}
			}
			for _, port := range []string{`"FromPort":22,`, `"ToPort":22,`} {
				if strings.Contains(cdktest.JSON(tp.ToJSON()), port) {
					t.Errorf("port 22 is open somewhere")
				}
			}
			tp.HasResourceProperties(t, launchTemplate, map[string]any{"LaunchTemplateData": assertions.Match_ObjectLike(&map[string]any{
				"SecurityGroupIds": []any{map[string]any{"Fn::GetAtt": []any{id, "GroupId"}}},
			})})
		})
	}
}

func TestRoleHasSessionManagerAndTheBootsOwnGrantsOnly(t *testing.T) {
	boots := map[string]bool{"cloudformation:SignalResource": true, "s3:GetObject": true,
		"autoscaling:DescribeAutoScalingInstances": true, "autoscaling:CompleteLifecycleAction": true}
	for name, tpl := range templates {
		t.Run(name, func(t *testing.T) {
			tp := tpl(t)
			id, role := fleetRole(t, tp)
			policyID, _ := sessionManagerPolicy(t, tp)
			if got, want := cdktest.JSON(props(role)["ManagedPolicyArns"]), cdktest.JSON([]any{ref(policyID)}); got != want {
				t.Errorf("managed policies %s, want only the fleet's own %s", got, want)
			}
			if got := cdktest.JSON(props(role)["AssumeRolePolicyDocument"]); !strings.Contains(got, `"Service":"ec2.amazonaws.com"`) {
				t.Errorf("assumed by %s, want ec2.amazonaws.com", got)
			}
			for pid, p := range tp.Resources("AWS::IAM::Policy") {
				if !strings.Contains(cdktest.JSON(props(p)["Roles"]), id) {
					continue
				}
				for _, st := range props(p)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
					if action, _ := st.(map[string]any)["Action"].(string); !boots[action] {
						t.Errorf("policy %s grants %s: the fleet grants only what its boot needs", pid, cdktest.JSON(st))
					}
				}
			}
		})
	}
}

// sessionManagerPolicy returns the fleet's customer managed policy for the
// SSM agent.
func sessionManagerPolicy(t *testing.T, tpl *cdktest.Template) (string, map[string]any) {
	t.Helper()
	for id, r := range tpl.Resources("AWS::IAM::ManagedPolicy") {
		if strings.HasPrefix(id, "FleetSessionManagerPolicy") {
			return id, r
		}
	}
	t.Fatalf("no fleet SessionManagerPolicy")
	return "", nil
}

func TestSessionManagerPolicyGrantsTheAgentsActionsExactly(t *testing.T) {
	documents := map[string]any{"Fn::Join": []any{"", []any{"arn:", ref("AWS::Partition"), ":ssm:", ref("AWS::Region"), ":*:document/*"}}}
	want := map[string]any{
		"ssmmessages:CreateControlChannel": "*", "ssmmessages:CreateDataChannel": "*",
		"ssmmessages:OpenControlChannel": "*", "ssmmessages:OpenDataChannel": "*",
		"ec2messages:AcknowledgeMessage": "*", "ec2messages:DeleteMessage": "*", "ec2messages:FailMessage": "*",
		"ec2messages:GetEndpoint": "*", "ec2messages:GetMessages": "*", "ec2messages:SendReply": "*",
		"ssm:UpdateInstanceInformation": "*", "ssm:ListAssociations": "*", "ssm:ListInstanceAssociations": "*",
		"ssm:DescribeAssociation": "*", "ssm:UpdateInstanceAssociationStatus": "*",
		"ssm:GetDocument": documents, "ssm:DescribeDocument": documents,
	}
	_, policy := sessionManagerPolicy(t, groupTemplate(t))
	got := map[string]any{}
	for _, s := range props(policy)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
		st := s.(map[string]any)
		if st["Effect"] != "Allow" || st["Condition"] != nil {
			t.Errorf("statement %s: want a plain Allow", cdktest.JSON(st))
		}
		for _, a := range cdktest.AsList(st["Action"]) {
			got[a.(string)] = st["Resource"]
		}
	}
	if cdktest.JSON(got) != cdktest.JSON(want) {
		t.Errorf("actions and resources\n%s\nwant\n%s", cdktest.JSON(got), cdktest.JSON(want))
	}
}

func TestNoServerReadsParameterStore(t *testing.T) {
	for name, tpl := range templates {
		t.Run(name, func(t *testing.T) {
			// Properties only: the suppression's reason names the AWS policy.
			var all strings.Builder
			for _, r := range (*tpl(t).ToJSON())["Resources"].(map[string]any) {
				all.WriteString(cdktest.JSON(r.(map[string]any)["Properties"]))
			}
			for _, forbidden := range []string{"ssm:GetParameter", "ssm:*", "AmazonSSMManagedInstanceCore", "AmazonEC2RoleforSSM"} {
				if strings.Contains(all.String(), forbidden) {
					t.Errorf("the template names %s: Session Manager needs no parameter", forbidden)
				}
			}
		})
	}
}

func TestSessionManagerWildcardsAreReviewedExceptions(t *testing.T) {
	groupTemplate(t).HasResource(t, "AWS::IAM::ManagedPolicy", map[string]any{
		"Metadata": map[string]any{"cdk_nag": map[string]any{"rules_to_suppress": []any{assertions.Match_ObjectLike(&map[string]any{
			"id":         "AwsSolutions-IAM5",
			"applies_to": []any{"Resource::*", "Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:*:document/*"},
			"reason":     assertions.Match_StringLikeRegexp(jsii.String("no resource-level permissions")),
		})}}},
	})
	if strings.Contains(cdktest.JSON(groupTemplate(t).ToJSON()), `"id":"AwsSolutions-IAM4"`) {
		t.Errorf("an AwsSolutions-IAM4 suppression is left: the fleet attaches no AWS managed policy")
	}
}

func TestInstanceProfileCarriesTheRole(t *testing.T) {
	for name, tpl := range templates {
		t.Run(name, func(t *testing.T) {
			tp := tpl(t)
			roleID, _ := fleetRole(t, tp)
			profileID, profile := only(t, tp, "AWS::IAM::InstanceProfile")
			if got := cdktest.JSON(props(profile)["Roles"]); got != cdktest.JSON([]any{ref(roleID)}) {
				t.Errorf("instance profile roles %s", got)
			}
			tp.HasResourceProperties(t, launchTemplate, map[string]any{"LaunchTemplateData": assertions.Match_ObjectLike(&map[string]any{
				"IamInstanceProfile": map[string]any{"Arn": map[string]any{"Fn::GetAtt": []any{profileID, "Arn"}}},
			})})
		})
	}
}

func TestServersRunInPrivateSubnetsWithoutPublicIPs(t *testing.T) {
	for name, tpl := range templates {
		t.Run(name, func(t *testing.T) {
			tp := tpl(t)
			private := subnetsOfType(t, tp, "Private")
			if len(private) != 2 {
				t.Fatalf("private subnets %v", private)
			}
			for _, id := range private {
				if m := props(tp.Resources("AWS::EC2::Subnet")[id])["MapPublicIpOnLaunch"]; m != false {
					t.Errorf("%s MapPublicIpOnLaunch %v", id, m)
				}
			}
			var used []string
			for _, r := range tp.Resources(group) {
				for _, s := range props(r)["VPCZoneIdentifier"].([]any) {
					used = append(used, s.(map[string]any)["Ref"].(string))
				}
			}
			for _, r := range tp.Resources(instance) {
				used = append(used, props(r)["SubnetId"].(map[string]any)["Ref"].(string))
			}
			if len(used) == 0 {
				t.Fatalf("no server subnets found")
			}
			for _, s := range used {
				if !slices.Contains(private, s) {
					t.Errorf("servers in %s, not a private subnet", s)
				}
			}
			all := cdktest.JSON(tp.ToJSON())
			if strings.Contains(all, `"AssociatePublicIpAddress":true`) || strings.Contains(all, "NetworkInterfaces") {
				t.Errorf("a public IP is requested somewhere")
			}
		})
	}
}

func TestUserDataIsTheLoaderOfTheBootScriptAsset(t *testing.T) {
	b := cdktest.BootOf(t, groupTemplate(t), cdktest.FakeValue)
	if want := groupScript.Artifact(nil); b.Script != want.Script {
		t.Errorf("the asset is not the rendered boot script:\n%s", b.Script)
	}
	sum := sha256.Sum256([]byte(b.Script))
	if want := "SHA256='" + hex.EncodeToString(sum[:]) + "'"; !strings.Contains(b.Loader, want) {
		t.Errorf("the loader does not check the asset's SHA-256 (%s)", want)
	}
	if !strings.Contains(b.Script, `echo "added after fleet.New"`) {
		t.Errorf("a step added after fleet.New is missing")
	}
	if b.Bucket != "cdk-hnb659fds-assets-123456789012-us-east-1" {
		t.Errorf("the boot script is in %s, want the bootstrap's asset bucket", b.Bucket)
	}
}

func TestDeployTimeValuesTravelInTheUserData(t *testing.T) {
	b := cdktest.BootOf(t, fixedTemplate(t), cdktest.FakeValue)
	if strings.Contains(b.Script, "123456789012") || !strings.Contains(b.Script, `"log_group_name":"web-@tierkit:1@"`) {
		t.Errorf("the asset does not hold a placeholder where the token was:\n%s", b.Script)
	}
	if !strings.Contains(b.Deployed(), `"log_group_name":"web-123456789012"`) {
		t.Errorf("the loader's values do not fill the placeholder with the account")
	}
}

func TestAChangedStepChangesTheUserData(t *testing.T) {
	loader := func(step string) string {
		stack := cdktest.NewStack(cdktest.NewApp(t), "Test")
		f := fleet.New(stack, "Fleet", &fleet.Props{Vpc: newVpc(stack), Image: image()})
		f.Boot().AddStep("app", step)
		return cdktest.UserData(t, &cdktest.Template{Template: assertions.Template_FromStack(stack, nil)})
	}
	if loader("echo one") == loader("echo two") {
		t.Errorf("two boot scripts give the same user data: a changed step would not roll the fleet")
	}
}

func TestALargeBootScriptIsNotLimitedByTheUserData(t *testing.T) {
	stack := cdktest.NewStack(cdktest.NewApp(t), "Big")
	f := fleet.New(stack, "Fleet", &fleet.Props{Vpc: newVpc(stack), Image: image()})
	f.Boot().AddStep("big", "echo "+strings.Repeat("x", 2*boot.MaxUserDataBytes))
	b := cdktest.BootOf(t, &cdktest.Template{Template: assertions.Template_FromStack(stack, nil), Outdir: *awscdk.Stage_Of(stack).Outdir()}, cdktest.FakeValue)
	if len(b.Loader) > boot.MaxUserDataBytes/2 || len(b.Script) < 2*boot.MaxUserDataBytes {
		t.Errorf("user data %d bytes, boot script %d: want the script in S3 and the user data small", len(b.Loader), len(b.Script))
	}
}

func TestTooManyDeployTimeValuesFailSynthesis(t *testing.T) {
	app := cdktest.NewApp(t)
	stack := cdktest.NewStack(app, "Big")
	f := fleet.New(stack, "Fleet", &fleet.Props{Vpc: newVpc(stack), Image: image()})
	var step strings.Builder
	for i := range 70 {
		fmt.Fprintf(&step, "echo %s\n", boot.Quote(*awscdk.Fn_Select(jsii.Number(i), awscdk.Fn_GetAzs(nil))))
	}
	f.Boot().AddStep("many", step.String())
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "over EC2's limit of 16384") || !strings.Contains(fmt.Sprint(r), "deploy-time values") {
			t.Errorf("got %v, want synthesis to fail naming the user data limit and the deploy-time values", r)
		}
	}()
	app.Synth(nil)
}

func TestRoleReadsExactlyTheBootScriptObject(t *testing.T) {
	tp := groupTemplate(t)
	b := cdktest.BootOf(t, tp, cdktest.FakeValue)
	statements := cdktest.JSON(tp.Resources("AWS::IAM::Policy"))
	if !strings.Contains(statements, `"Action":"s3:GetObject"`) || !strings.Contains(statements, `"/`+b.Key+`"`) {
		t.Errorf("no s3:GetObject on the boot script's object %s:\n%s", b.Key, statements)
	}
	if strings.Contains(statements, `"s3:GetObject*"`) || strings.Contains(statements, `"s3:List*"`) {
		t.Errorf("the role reads more of the bootstrap bucket than its boot script")
	}
}

func TestServersSignalTheirStackOnly(t *testing.T) {
	for name, tpl := range templates {
		tpl(t).HasResourceProperties(t, "AWS::IAM::Policy", map[string]any{"PolicyDocument": map[string]any{
			"Statement": assertions.Match_ArrayWith(&[]any{map[string]any{
				"Action": "cloudformation:SignalResource", "Effect": "Allow", "Resource": ref("AWS::StackId"),
			}}),
		}})
		_ = name
	}
}

func TestFixedServersAreCreatedOnlyOnceTheirBootSignalled(t *testing.T) {
	for id, inst := range fixedTemplate(t).Resources(instance) {
		if got := cdktest.JSON(inst["CreationPolicy"]); got != `{"ResourceSignal":{"Count":1,"Timeout":"PT15M"}}` {
			t.Errorf("%s: CreationPolicy %s, want one signal within 15 minutes", id, got)
		}
		if !strings.Contains(cdktest.JSON(props(inst)["Tags"]), `{"Key":"`+fleet.SignalTag+`","Value":"`+id+`"}`) {
			t.Errorf("%s: no %s tag naming itself", id, fleet.SignalTag)
		}
		if !strings.Contains(cdktest.JSON(inst["DependsOn"]), "FleetBootPolicy") {
			t.Errorf("%s: does not wait for the boot's policy", id)
		}
	}
}

func TestGroupCreationWaitsForMinCapacitySignals(t *testing.T) {
	tp := groupTemplate(t)
	id, _ := only(t, tp, group)
	tp.HasResource(t, group, map[string]any{
		"CreationPolicy": map[string]any{"ResourceSignal": map[string]any{"Count": 2, "Timeout": "PT15M"}},
		"Properties": assertions.Match_ObjectLike(&map[string]any{"Tags": assertions.Match_ArrayWith(&[]any{
			map[string]any{"Key": fleet.SignalTag, "Value": id, "PropagateAtLaunch": true},
		})}),
	})
}

func TestNewGroupServersStayOutUntilTheirBootCompletesTheLaunchHook(t *testing.T) {
	tp := groupTemplate(t)
	tp.HasResourceProperties(t, group, map[string]any{
		"LifecycleHookSpecificationList": []any{map[string]any{
			"LifecycleHookName": fleet.LifecycleHookName, "LifecycleTransition": "autoscaling:EC2_INSTANCE_LAUNCHING",
			"HeartbeatTimeout": 900, "DefaultResult": "ABANDON",
		}},
		"Tags": assertions.Match_ArrayWith(&[]any{map[string]any{"Key": fleet.LifecycleHookTag, "Value": fleet.LifecycleHookName, "PropagateAtLaunch": true}}),
	})
	tp.HasResourceProperties(t, "AWS::IAM::Policy", map[string]any{"PolicyDocument": map[string]any{
		"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
			"Action":    "autoscaling:CompleteLifecycleAction",
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:ResourceTag/aws:cloudformation:stack-id": ref("AWS::StackId")}},
		})}),
	}})
}

func TestUnhealthyServersAreReplacedLaunchFirst(t *testing.T) {
	groupTemplate(t).HasResourceProperties(t, group, map[string]any{
		"InstanceMaintenancePolicy": map[string]any{"MinHealthyPercentage": 100, "MaxHealthyPercentage": 200},
	})
}

func TestRefreshIsWatchedByAlarmsAndBakes(t *testing.T) {
	rolloutTemplate(t).HasResource(t, group, map[string]any{"UpdatePolicy": map[string]any{
		"AutoScalingInstanceRefresh": map[string]any{
			"Strategy": "Rolling",
			"Preferences": map[string]any{
				"MinHealthyPercentage": 100, "MaxHealthyPercentage": 200, "InstanceWarmup": 300,
				"BakeTime": 600, "CheckpointPercentages": []any{50, 100}, "CheckpointDelay": 900,
				"AlarmSpecification": map[string]any{"Alarms": []any{ref("ErrorsFA5270DE"), ref("Unhealthy9594204A")}},
			},
		},
		"AutoScalingScheduledAction": map[string]any{"IgnoreUnmodifiedGroupSizeProperties": true},
	}})
}

func TestBootTimeoutBoundsTheSignalsAndTheHook(t *testing.T) {
	rolloutTemplate(t).HasResource(t, group, map[string]any{
		"CreationPolicy": map[string]any{"ResourceSignal": map[string]any{"Count": 2, "Timeout": "PT30M"}},
		"Properties": assertions.Match_ObjectLike(&map[string]any{"LifecycleHookSpecificationList": []any{assertions.Match_ObjectLike(&map[string]any{
			"HeartbeatTimeout": 1800,
		})}}),
	})
}

func TestWatchRefreshRefusesMoreThanTenAlarms(t *testing.T) {
	stack := cdktest.NewStack(cdktest.NewApp(t), "Test")
	f := fleet.New(stack, "Fleet", &fleet.Props{Vpc: newVpc(stack), Image: image()})
	var alarms []awscloudwatch.IAlarm
	for i := range 11 {
		alarms = append(alarms, awscloudwatch.Alarm_FromAlarmName(stack, jsii.String(fmt.Sprint("A", i)), jsii.String(fmt.Sprint("a", i))))
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "at most 10") {
			t.Errorf("got %v, want a panic naming the limit of 10 alarms", r)
		}
	}()
	f.WatchRefresh(alarms...)
}

func TestFixedServersAreSpreadOverTheAZs(t *testing.T) {
	tp := fixedTemplate(t)
	private := subnetsOfType(t, tp, "Private")
	sort.Strings(private) // VpcPrivateSubnet1..., VpcPrivateSubnet2...: first AZ, second AZ
	ltID, _ := only(t, tp, launchTemplate)
	profileID, _ := only(t, tp, "AWS::IAM::InstanceProfile")
	roleID, _ := fleetRole(t, tp)
	servers := tp.Resources(instance)
	if len(servers) != 3 {
		t.Fatalf("%d instances, want 3", len(servers))
	}
	for i := range 3 {
		var id string
		for sid := range servers {
			if strings.HasPrefix(sid, fmt.Sprintf("FleetServer%d", i+1)) {
				id = sid
			}
		}
		if id == "" {
			t.Fatalf("no FleetServer%d", i+1)
		}
		p := props(servers[id])
		checks := map[string]any{
			"Monitoring":         true,
			"IamInstanceProfile": ref(profileID),
			"LaunchTemplate":     map[string]any{"LaunchTemplateId": ref(ltID), "Version": map[string]any{"Fn::GetAtt": []any{ltID, "LatestVersionNumber"}}},
			"SubnetId":           ref(private[i%2]),
		}
		for k, want := range checks {
			if cdktest.JSON(p[k]) != cdktest.JSON(want) {
				t.Errorf("%s %s = %s, want %s", id, k, cdktest.JSON(p[k]), cdktest.JSON(want))
			}
		}
		if _, ok := p["ImageId"]; ok {
			t.Errorf("%s has its own ImageId: the launch template carries the AMI", id)
		}
		if !strings.Contains(cdktest.JSON(servers[id]["DependsOn"]), roleID) {
			t.Errorf("%s does not wait for the role (and its grants): DependsOn %s", id, cdktest.JSON(servers[id]["DependsOn"]))
		}
		if !strings.Contains(cdktest.JSON(p["Tags"]), `{"Key":"team","Value":"web"}`) {
			t.Errorf("%s does not carry the fleet's tags: %s", id, cdktest.JSON(p["Tags"]))
		}
	}
}

func TestFixedTargetsAreTheInstancesOnThePort(t *testing.T) {
	tp := fixedTemplate(t)
	var want []any
	for i := range 3 {
		for id := range tp.Resources(instance) {
			if strings.HasPrefix(id, fmt.Sprintf("FleetServer%d", i+1)) {
				want = append(want, map[string]any{"Id": ref(id), "Port": 8080})
			}
		}
	}
	tp.HasResourceProperties(t, "AWS::ElasticLoadBalancingV2::TargetGroup", map[string]any{"Targets": want})
}

func TestGroupUsesTheLaunchTemplate(t *testing.T) {
	tp := groupTemplate(t)
	ltID, _ := only(t, tp, launchTemplate)
	tp.HasResourceProperties(t, group, map[string]any{
		"LaunchTemplate": map[string]any{"LaunchTemplateId": ref(ltID), "Version": map[string]any{"Fn::GetAtt": []any{ltID, "LatestVersionNumber"}}},
	})
	tp.ResourceCountIs(t, "AWS::AutoScaling::LaunchConfiguration", 0)
}

func TestGroupReplacesServersFailingTheLoadBalancerHealthCheck(t *testing.T) {
	groupTemplate(t).HasResourceProperties(t, group, map[string]any{"HealthCheckType": "ELB", "HealthCheckGracePeriod": 300})
}

func TestGroupSizeHasNoDesiredCapacity(t *testing.T) {
	groupTemplate(t).HasResourceProperties(t, group, map[string]any{
		"MinSize": "2", "MaxSize": "4", "DesiredCapacity": assertions.Match_Absent(),
	})
}

func TestAMIChangesRollTheGroupAtFullCapacity(t *testing.T) {
	groupTemplate(t).HasResource(t, group, map[string]any{"UpdatePolicy": map[string]any{
		"AutoScalingInstanceRefresh": assertions.Match_ObjectLike(&map[string]any{
			"Strategy": "Rolling",
			"Preferences": assertions.Match_ObjectLike(&map[string]any{
				"MinHealthyPercentage": 100, "MaxHealthyPercentage": 200, "InstanceWarmup": 300,
			}),
		}),
	}})
}

func TestGroupTracksCPU(t *testing.T) {
	tp := groupTemplate(t)
	groupID, _ := only(t, tp, group)
	tp.HasResourceProperties(t, "AWS::AutoScaling::ScalingPolicy", map[string]any{
		"AutoScalingGroupName": ref(groupID),
		"PolicyType":           "TargetTrackingScaling",
		"TargetTrackingConfiguration": map[string]any{
			"PredefinedMetricSpecification": map[string]any{"PredefinedMetricType": "ASGAverageCPUUtilization"},
			"TargetValue":                   50,
		},
	})
}

func TestGroupCollectsGroupMetricsForTheCapacityAlarm(t *testing.T) {
	groupTemplate(t).HasResourceProperties(t, group, map[string]any{
		"MetricsCollection": []any{map[string]any{"Granularity": "1Minute"}},
	})
}

func TestGroupNotifiesLaunchesTerminationsAndErrors(t *testing.T) {
	tp := groupTemplate(t)
	topicID, _ := only(t, tp, "AWS::SNS::Topic")
	tp.HasResourceProperties(t, group, map[string]any{"NotificationConfigurations": []any{map[string]any{
		"TopicARN":          ref(topicID),
		"NotificationTypes": []any{"autoscaling:EC2_INSTANCE_LAUNCH", "autoscaling:EC2_INSTANCE_LAUNCH_ERROR", "autoscaling:EC2_INSTANCE_TERMINATE", "autoscaling:EC2_INSTANCE_TERMINATE_ERROR"},
	}}})
}

func TestNotificationTopicIsEncryptedAndTLSOnly(t *testing.T) {
	tp := groupTemplate(t)
	topicID, topic := only(t, tp, "AWS::SNS::Topic")
	if key := cdktest.JSON(props(topic)["KmsMasterKeyId"]); !strings.Contains(key, "alias/aws/sns") {
		t.Errorf("topic key %s, want alias/aws/sns", key)
	}
	tp.HasResourceProperties(t, "AWS::SNS::TopicPolicy", map[string]any{
		"Topics": []any{ref(topicID)},
		"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
			"Effect": "Deny", "Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
		})})},
	})
}

func TestGroupWaitsForTheRole(t *testing.T) {
	tp := groupTemplate(t)
	roleID, _ := fleetRole(t, tp)
	_, g := only(t, tp, group)
	if !strings.Contains(cdktest.JSON(g["DependsOn"]), roleID) {
		t.Errorf("the group does not wait for the role (and its grants): DependsOn %s", cdktest.JSON(g["DependsOn"]))
	}
}

func TestGroupIsTheTarget(t *testing.T) {
	tp := groupTemplate(t)
	tgID, _ := only(t, tp, "AWS::ElasticLoadBalancingV2::TargetGroup")
	tp.HasResourceProperties(t, group, map[string]any{"TargetGroupARNs": []any{ref(tgID)}})
}

func TestFleetIsConnectable(t *testing.T) {
	tp := groupTemplate(t)
	sgID, _ := fleetSecurityGroup(t, tp)
	tp.HasResourceProperties(t, "AWS::EC2::SecurityGroupIngress", map[string]any{
		"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306,
		"SourceSecurityGroupId": map[string]any{"Fn::GetAtt": []any{sgID, "GroupId"}},
	})
	if got := *groupFleet.Connections().DefaultPort().ToString(); got != "80" {
		t.Errorf("default port %s, want 80", got)
	}
	if got := *fixedFleet.Connections().DefaultPort().ToString(); got != "8080" {
		t.Errorf("default port %s, want 8080", got)
	}
	if groupFleet.Port() != 80 || fixedFleet.Port() != 8080 {
		t.Errorf("Port() = %d and %d, want 80 and 8080", groupFleet.Port(), fixedFleet.Port())
	}
}

func TestLogicalIDsAreStable(t *testing.T) {
	want := map[string][]string{
		"autoscaling": {"FleetRole427BC000", "FleetInstanceProfileDA1E99EC", "FleetSecurityGroup97A0FCFD", "FleetLaunchTemplate3FC2FEAE", "FleetGroupASGF037160E", "FleetNotificationsA69BCB12"},
		"fixed":       {"FleetRole427BC000", "FleetLaunchTemplate3FC2FEAE", "FleetServer122955B43", "FleetServer2E616AF1B", "FleetServer373709589"},
	}
	for name, tpl := range templates {
		t.Run(name, func(t *testing.T) {
			all := (*tpl(t).ToJSON())["Resources"].(map[string]any)
			var ids []string
			for id := range all {
				ids = append(ids, id)
			}
			for _, id := range want[name] {
				if _, ok := all[id]; !ok {
					t.Errorf("no resource %s: renaming a construct replaces it; resources: %v", id, ids)
				}
			}
		})
	}
}

func TestAccessorsFollowTheMode(t *testing.T) {
	groupTemplate(t)
	fixedTemplate(t)
	if groupFleet.Mode() != fleet.AutoScaling || groupFleet.AutoScalingGroup() == nil || groupFleet.Instances() != nil || groupFleet.NotificationTopic() == nil || len(groupFleet.Targets()) != 1 {
		t.Errorf("autoscaling fleet accessors are inconsistent")
	}
	if fixedFleet.Mode() != fleet.Fixed || fixedFleet.AutoScalingGroup() != nil || len(fixedFleet.Instances()) != 3 || fixedFleet.NotificationTopic() != nil || len(fixedFleet.Targets()) != 3 {
		t.Errorf("fixed fleet accessors are inconsistent")
	}
	if groupFleet.Role() == nil || groupFleet.SecurityGroup() == nil || groupFleet.LaunchTemplate() == nil || groupFleet.InstanceProfile() == nil || groupFleet.SessionManagerPolicy() == nil || groupFleet.Boot() != groupScript {
		t.Errorf("an accessor returns nil")
	}
}

func TestInvalidProps(t *testing.T) {
	vpc := awsec2.Vpc_FromVpcAttributes(awscdk.NewStack(nil, nil, nil), jsii.String("Vpc"), &awsec2.VpcAttributes{
		VpcId: jsii.String("vpc-1"), AvailabilityZones: jsii.Strings("us-east-1a"), PrivateSubnetIds: jsii.Strings("subnet-1"),
	})
	ok := fleet.Props{Vpc: vpc, Image: image()}
	with := func(change func(*fleet.Props)) fleet.Props {
		p := ok
		change(&p)
		return p
	}
	cases := []struct {
		name  string
		props fleet.Props
		want  string
	}{
		{"no VPC", with(func(p *fleet.Props) { p.Vpc = nil }), "Vpc: required"},
		{"no image", with(func(p *fleet.Props) { p.Image = nil }), "Image: required"},
		{"instance type", with(func(p *fleet.Props) { p.InstanceType = "small" }), `InstanceType: "small" is not an instance type`},
		{"mode typo", with(func(p *fleet.Props) { p.Mode = "autoscalling" }), `Mode: "autoscalling" is not a mode; allowed: "autoscaling", "fixed"`},
		{"instances negative", with(func(p *fleet.Props) { p.Mode = fleet.Fixed; p.Instances = -1 }), "Instances: -1 is out of range; allowed: 1 to 20"},
		{"instances too many", with(func(p *fleet.Props) { p.Mode = fleet.Fixed; p.Instances = 21 }), "Instances: 21 is out of range; allowed: 1 to 20"},
		{"instances with autoscaling", with(func(p *fleet.Props) { p.Instances = 3 }), "Instances: set with Mode autoscaling; allowed only with Mode fixed"},
		{"capacity with fixed", with(func(p *fleet.Props) { p.Mode = fleet.Fixed; p.MaxCapacity = 6 }), "MaxCapacity: set with Mode fixed; allowed only with Mode autoscaling"},
		{"grace with fixed", with(func(p *fleet.Props) { p.Mode = fleet.Fixed; p.HealthCheckGrace = time.Minute }), "HealthCheckGrace: set with Mode fixed"},
		{"topic with fixed", with(func(p *fleet.Props) {
			p.Mode = fleet.Fixed
			p.NotificationTopic = awssns.Topic_FromTopicArn(awscdk.NewStack(nil, nil, nil), jsii.String("T"), jsii.String("arn:aws:sns:us-east-1:111111111111:t"))
		}), "NotificationTopic: set with Mode fixed"},
		{"max equal to min", with(func(p *fleet.Props) { p.MinCapacity = 3; p.MaxCapacity = 3 }), "MaxCapacity: 3 is not greater than MinCapacity 3"},
		{"max below default min", with(func(p *fleet.Props) { p.MaxCapacity = 1 }), "MaxCapacity: 1 is not greater than MinCapacity 2"},
		{"min above default max", with(func(p *fleet.Props) { p.MinCapacity = 5 }), "MaxCapacity: 4 is not greater than MinCapacity 5"},
		{"max too large", with(func(p *fleet.Props) { p.MaxCapacity = 101 }), "MaxCapacity: 101 is out of range; allowed: 2 to 100"},
		{"min negative", with(func(p *fleet.Props) { p.MinCapacity = -1 }), "MinCapacity: -1 is out of range"},
		{"port negative", with(func(p *fleet.Props) { p.Port = -1 }), "Port: -1 is out of range; allowed: 1 to 65535"},
		{"port too large", with(func(p *fleet.Props) { p.Port = 70000 }), "Port: 70000 is out of range"},
		{"device name", with(func(p *fleet.Props) { p.RootDeviceName = "sda1" }), `RootDeviceName: "sda1" is not a device name`},
		{"volume too large", with(func(p *fleet.Props) { p.RootVolumeGiB = 20000 }), "RootVolumeGiB: 20000 is out of range; allowed: 1 to 16384"},
		{"grace fraction", with(func(p *fleet.Props) { p.HealthCheckGrace = 1500 * time.Millisecond }), "HealthCheckGrace: 1.5s is out of range; allowed: whole seconds"},
		{"grace too long", with(func(p *fleet.Props) { p.HealthCheckGrace = 3 * time.Hour }), "HealthCheckGrace: 3h0m0s is out of range"},
		{"cpu too high", with(func(p *fleet.Props) { p.TargetCPUPercent = 95 }), "TargetCPUPercent: 95 is out of range; allowed: 10 to 90"},
		{"unknown metric", with(func(p *fleet.Props) { p.ScaleOn = "memory" }), `ScaleOn: "memory" is not a metric; allowed: "cpu", "requests"`},
		{"requests target with cpu", with(func(p *fleet.Props) { p.TargetRequestsPerMinute = 500 }), "TargetRequestsPerMinute: set with ScaleOn cpu; allowed only with ScaleOn requests"},
		{"cpu target with requests", with(func(p *fleet.Props) { p.ScaleOn = fleet.ScaleOnRequests; p.TargetCPUPercent = 60 }), "TargetCPUPercent: set with ScaleOn requests; allowed only with ScaleOn cpu"},
		{"requests target too high", with(func(p *fleet.Props) { p.ScaleOn = fleet.ScaleOnRequests; p.TargetRequestsPerMinute = 2000000 }), "TargetRequestsPerMinute: 2000000 is out of range; allowed: 1 to 1000000"},
		{"scale on with fixed", with(func(p *fleet.Props) { p.Mode = fleet.Fixed; p.ScaleOn = fleet.ScaleOnRequests }), "ScaleOn: set with Mode fixed"},
		{"boot timeout too short", with(func(p *fleet.Props) { p.BootTimeout = time.Minute }), "BootTimeout: 1m0s is out of range; allowed: whole minutes, 5m to 1h"},
		{"boot timeout fraction", with(func(p *fleet.Props) { p.BootTimeout = 90 * time.Second * 5 }), "BootTimeout: 7m30s is out of range"},
		{"bake time fraction", with(func(p *fleet.Props) { p.RefreshBakeTime = 30 * time.Second }), "RefreshBakeTime: 30s is out of range; allowed: whole minutes, 1m to 48h"},
		{"checkpoints out of order", with(func(p *fleet.Props) { p.RefreshCheckpoints = []int{50, 20, 100} }), "RefreshCheckpoints[1]: 20 does not follow 50"},
		{"checkpoints not ending at 100", with(func(p *fleet.Props) { p.RefreshCheckpoints = []int{50} }), "RefreshCheckpoints: the last one is 50; allowed: the last one is 100"},
		{"checkpoint out of range", with(func(p *fleet.Props) { p.RefreshCheckpoints = []int{0, 100} }), "RefreshCheckpoints[0]: 0 is out of range"},
		{"delay without checkpoints", with(func(p *fleet.Props) { p.RefreshCheckpointDelay = time.Hour }), "RefreshCheckpointDelay: set without RefreshCheckpoints"},
		{"bake time with fixed", with(func(p *fleet.Props) { p.Mode = fleet.Fixed; p.RefreshBakeTime = time.Hour }), "RefreshBakeTime: set with Mode fixed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.props.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid props: %v", err)
	}
	if err := with(func(p *fleet.Props) { p.Mode = fleet.Fixed }).Validate(); err != nil {
		t.Errorf("valid fixed props: %v", err)
	}
}

func TestValidateReportsEveryProblemInFieldOrder(t *testing.T) {
	err := fleet.Props{Mode: fleet.Fixed, Port: -1, MinCapacity: 3, TargetCPUPercent: 50}.Validate()
	want := []string{"Vpc: ", "; Image: ", "; MinCapacity: ", "; Port: ", "; TargetCPUPercent: "}
	last := -1
	for _, w := range want {
		i := strings.Index(fmt.Sprint(err), w)
		if i <= last {
			t.Errorf("got %v, want %q after the previous problems", err, strings.Trim(w, "; "))
		}
		last = i
	}
}

func TestNewPanicsWithTheConstructIDOnInvalidProps(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "fleet Web: Vpc: required") {
			t.Errorf("got %v, want a panic naming the construct and the field", r)
		}
	}()
	fleet.New(awscdk.NewStack(nil, nil, nil), "Web", &fleet.Props{Image: image()})
}

func TestSingletonGroupIsOneServerNeverScaledAndReplacedStopFirst(t *testing.T) {
	tpl := singletonGroupTemplate(t)
	tpl.HasResource(t, group, map[string]any{
		"Properties": assertions.Match_ObjectLike(&map[string]any{
			"MinSize": "1", "MaxSize": "1",
			"InstanceMaintenancePolicy": map[string]any{"MinHealthyPercentage": 0, "MaxHealthyPercentage": 100},
			"Tags":                      assertions.Match_ArrayWith(&[]any{map[string]any{"Key": fleet.SingletonTag, "Value": "true", "PropagateAtLaunch": true}}),
		}),
		"UpdatePolicy": map[string]any{"AutoScalingInstanceRefresh": assertions.Match_ObjectLike(&map[string]any{
			"Preferences": assertions.Match_ObjectLike(&map[string]any{"MinHealthyPercentage": 0, "MaxHealthyPercentage": 100}),
		})},
	})
	// The main group, the singleton's and the worker group; the singleton's
	// alone is not scaled.
	tpl.ResourceCountIs(t, group, 3)
	tpl.ResourceCountIs(t, "AWS::AutoScaling::ScalingPolicy", 2)
	for id, p := range tpl.Resources("AWS::AutoScaling::ScalingPolicy") {
		if strings.Contains(cdktest.JSON(p), "FleetSingleton") {
			t.Errorf("scaling policy %s scales the singleton", id)
		}
	}
}

func TestOnlyTheSingletonCarriesTheSingletonTag(t *testing.T) {
	tagged := 0
	for id, g := range singletonGroupTemplate(t).Resources(group) {
		if strings.Contains(cdktest.JSON(g["Properties"]), fleet.SingletonTag) {
			tagged++
			if !strings.HasPrefix(id, "FleetSingleton") {
				t.Errorf("group %s carries the singleton tag", id)
			}
		}
	}
	for id, i := range singletonFixedTemplate(t).Resources(instance) {
		if has := strings.Contains(cdktest.JSON(i["Properties"]), fleet.SingletonTag); has != strings.HasPrefix(id, "FleetServer1") {
			t.Errorf("instance %s: singleton tag %v, want it on Server1 only", id, has)
		}
		if strings.HasPrefix(id, "FleetServer1") {
			tagged++
		}
	}
	if tagged != 2 {
		t.Errorf("got %d singletons over both modes, want exactly 1 in each", tagged)
	}
}

func TestServersReadTheirTagsFromInstanceMetadata(t *testing.T) {
	for _, tpl := range templates {
		tpl(t).HasResourceProperties(t, launchTemplate, map[string]any{"LaunchTemplateData": assertions.Match_ObjectLike(&map[string]any{
			"MetadataOptions": assertions.Match_ObjectLike(&map[string]any{"InstanceMetadataTags": "enabled", "HttpTokens": "required"}),
		})})
	}
}

func TestSingletonServesRequestsLikeTheOthers(t *testing.T) {
	singletonGroupTemplate(t)
	if got := len(singletonFleets[fleet.AutoScaling].Targets()); got != 2 {
		t.Errorf("got %d targets, want the main group and the singleton group", got)
	}
}

func TestTagServersTagsEveryServerAndNothingElse(t *testing.T) {
	for name, tpl := range map[string]*cdktest.Template{"autoscaling": singletonGroupTemplate(t), "fixed": singletonFixedTemplate(t)} {
		servers := 0
		for _, typ := range []string{group, "AWS::EC2::Instance"} {
			for id, r := range tpl.Resources(typ) {
				servers++
				want := `{"Key":"release","Value":"r1"}`
				if typ == group {
					want = `{"Key":"release","PropagateAtLaunch":true,"Value":"r1"}`
				}
				if tags := cdktest.JSON(cdktest.Props(r)["Tags"]); !strings.Contains(tags, want) {
					t.Errorf("%s: %s lacks %s: %s", name, id, want, tags)
				}
			}
		}
		if servers < 2 {
			t.Errorf("%s: %d groups or instances; want the main and the singleton", name, servers)
		}
		for _, typ := range []string{launchTemplate, "AWS::EC2::SecurityGroup", "AWS::IAM::Role"} {
			for id, r := range tpl.Resources(typ) {
				if strings.Contains(cdktest.JSON(r), `"release"`) {
					t.Errorf("%s: %s %s carries the servers' tag", name, typ, id)
				}
			}
		}
	}
}
