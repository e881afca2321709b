package cache_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/cache"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// Logical IDs of the template: part of the contract, since renaming a
// construct replaces the cache, its AUTH token or its log group.
const (
	groupID   = "CacheReplicationGroupBFE59FF3"
	secretID  = "CacheSecret4CD6E2C3"
	slowLogID = "CacheSlowLog43E55961"
	subnetsID = "CacheSubnets75A36213"
	cacheSGID = "CacheSecurityGroup79A9F160"
	fleetSGID = "Fleet30813DF3"
)

// created is the cache of the template, for its accessors.
var created *cache.Cache

// template is the default cache (Valkey) in a VPC like the network block's,
// opened to a fleet security group and read by an instance role.
var template = variant("defaults")

// keyed is the template's setup with the tier's key: a customer managed key
// of the same stack (rotated, retained) passed as EncryptionKey.
var keyed = variant("keyed")

// keyARN is the keyed template's key, as the resources reference it.
var keyARN = map[string]any{"Fn::GetAtt": []any{"TierKey0D030C44", "Arn"}}

func TestCacheKeepsItsLogicalIDsAndIsSnapshotted(t *testing.T) {
	tpl := template(t)
	for id, want := range map[string][2]string{
		groupID:   {replicationGroup, "Snapshot"},
		secretID:  {secret, "Retain"},
		slowLogID: {logGroup, "Retain"},
	} {
		found := *tpl.FindResources(jsii.String(want[0]), nil)
		r, ok := found[id]
		if !ok {
			t.Errorf("no %s with logical ID %s: renaming a construct replaces it", want[0], id)
			continue
		}
		if (*r)["DeletionPolicy"] != want[1] || (*r)["UpdateReplacePolicy"] != want[1] {
			t.Errorf("%s: DeletionPolicy %v, UpdateReplacePolicy %v; want %s", id, (*r)["DeletionPolicy"], (*r)["UpdateReplacePolicy"], want[1])
		}
	}
	tpl.ResourceCountIs(t, replicationGroup, 1)
}

func TestCacheIsMultiAZWithAutomaticFailover(t *testing.T) {
	template(t).HasResourceProperties(t, replicationGroup, map[string]any{
		"MultiAZEnabled": true, "AutomaticFailoverEnabled": true, "ClusterMode": "disabled", "NumCacheClusters": 2,
	})
}

func TestCacheIsEncryptedAtRestAndInTransit(t *testing.T) {
	template(t).HasResourceProperties(t, replicationGroup, map[string]any{
		"AtRestEncryptionEnabled": true, "TransitEncryptionEnabled": true, "TransitEncryptionMode": "required",
	})
}

// Encryption with the tier's key

func TestCacheAndSecretUseAWSKeysByDefault(t *testing.T) {
	tpl := template(t)
	for _, typ := range []string{replicationGroup, secret} {
		for id, r := range tpl.Resources(typ) {
			if k, ok := cdktest.Props(r)["KmsKeyId"]; ok {
				t.Errorf("%s: KmsKeyId %v; want none without EncryptionKey", id, k)
			}
		}
	}
	tpl.ResourceCountIs(t, "AWS::KMS::Key", 0)
}

func TestCacheIsEncryptedAtRestWithTheKey(t *testing.T) {
	keyed(t).HasResourceProperties(t, replicationGroup, map[string]any{"AtRestEncryptionEnabled": true, "KmsKeyId": keyARN})
}

func TestAuthTokenSecretIsEncryptedWithTheKey(t *testing.T) {
	keyed(t).HasResourceProperties(t, secret, map[string]any{"KmsKeyId": keyARN})
}

func TestKeyKeepsTheStatefulLogicalIDs(t *testing.T) {
	tpl := keyed(t)
	for id, typ := range map[string]string{groupID: replicationGroup, secretID: secret, slowLogID: logGroup} {
		if _, ok := tpl.Resources(typ)[id]; !ok {
			t.Errorf("no %s with logical ID %s with a key", typ, id)
		}
	}
}

func TestSecretReadWithAKeyDecryptsThroughSecretsManagerOnly(t *testing.T) {
	var decrypt int
	for _, p := range keyed(t).Resources(policy) {
		for _, s := range cdktest.Props(p)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			st := s.(map[string]any)
			switch actions := cdktest.JSON(cdktest.AsList(st["Action"])); actions {
			case `["secretsmanager:DescribeSecret","secretsmanager:GetSecretValue"]`:
				if got := cdktest.JSON(st["Resource"]); got != `{"Ref":"`+secretID+`"}` {
					t.Errorf("secret read on %s; want the cache secret only", got)
				}
			case `["kms:Decrypt"]`:
				decrypt++
				if got := cdktest.JSON(st["Resource"]); got != cdktest.JSON(keyARN) {
					t.Errorf("kms:Decrypt on %s; want the tier's key only", got)
				}
				if got := cdktest.JSON(st["Condition"]); got != `{"StringEquals":{"kms:ViaService":"secretsmanager.us-east-1.amazonaws.com"}}` {
					t.Errorf("kms:Decrypt with condition %s; want through Secrets Manager of the stack's region only", got)
				}
			default:
				t.Errorf("unexpected actions %s", actions)
			}
		}
	}
	if decrypt != 1 {
		t.Errorf("%d kms:Decrypt statements in the role's policy; want 1: the servers cannot read a token encrypted with the key without it", decrypt)
	}
}

func TestSecretReadWithAKeyLeavesTheKeyPolicyAlone(t *testing.T) {
	for id, k := range keyed(t).Resources("AWS::KMS::Key") {
		if doc := cdktest.JSON(cdktest.Props(k)["KeyPolicy"]); strings.Contains(doc, "AppRole") {
			t.Errorf("%s's policy names the granted role: %s; the grant belongs in the role's policy", id, doc)
		}
	}
}

func TestSecretReadWithAnImportedKeyGrantsDecrypt(t *testing.T) {
	const arn = "arn:aws:kms:us-east-1:123456789012:key/0123abcd-12ab-34cd-56ef-1234567890ab"
	stack := scratch(t)
	vpc := newVpc(stack)
	c := cache.New(stack, "Cache", &cache.Props{Vpc: vpc, EncryptionKey: awskms.Key_FromKeyArn(stack, jsii.String("TierKey"), jsii.String(arn))})
	_, role := fleetAndRole(stack, vpc)
	c.GrantSecretRead(role)
	doc := cdktest.JSON(stack.Resolve(role.Node().FindChild(jsii.String("DefaultPolicy")).(awsiam.Policy).Document()))
	want := `{"Action":"kms:Decrypt","Condition":{"StringEquals":{"kms:ViaService":{"Fn::Join":["",["secretsmanager.",{"Ref":"AWS::Region"},".amazonaws.com"]]}}},"Effect":"Allow","Resource":"` + arn + `"}`
	if !strings.Contains(doc, want) {
		t.Errorf("the role's policy %s; want kms:Decrypt on %s through Secrets Manager", doc, arn)
	}
}

func TestAuthTokenIsASecretsManagerDynamicReference(t *testing.T) {
	tpl := template(t)
	tpl.HasResourceProperties(t, replicationGroup, map[string]any{
		"AuthToken": map[string]any{"Fn::Join": []any{"", []any{
			"{{resolve:secretsmanager:", map[string]any{"Ref": secretID}, ":SecretString:token::}}",
		}}},
	})
	// No literal token anywhere: the only generated value is the secret's.
	whole := cdktest.JSON(tpl.ToJSON())
	if regexp.MustCompile(`"AuthToken":"`).MatchString(whole) {
		t.Error("the template holds a literal AuthToken")
	}
}

func TestTokenIsGeneratedWithoutCharactersAUTHRefuses(t *testing.T) {
	template(t).HasResourceProperties(t, secret, map[string]any{
		"GenerateSecretString": map[string]any{
			"SecretStringTemplate": "{}", "GenerateStringKey": "token", "PasswordLength": 64,
			"ExcludePunctuation": true, "IncludeSpace": false,
		},
	})
}

func TestSecretRotationIsAReviewedException(t *testing.T) {
	template(t).HasResource(t, secret, map[string]any{
		"Metadata": map[string]any{"cdk_nag": map[string]any{"rules_to_suppress": assertions.Match_ArrayWith(&[]any{
			assertions.Match_ObjectLike(&map[string]any{"id": "AwsSolutions-SMG4", "reason": assertions.Match_StringLikeRegexp(jsii.String("read the token when they boot"))}),
		})}},
	})
}

func TestSnapshotsAreKeptAWeek(t *testing.T) {
	template(t).HasResourceProperties(t, replicationGroup, map[string]any{
		"SnapshotRetentionLimit":     7,
		"SnapshotWindow":             "03:00-04:00",
		"PreferredMaintenanceWindow": "sun:05:00-sun:06:00",
	})
}

func TestMinorVersionsAreUpgradedAutomatically(t *testing.T) {
	template(t).HasResourceProperties(t, replicationGroup, map[string]any{"AutoMinorVersionUpgrade": true})
}

func TestCacheIsInTheIsolatedSubnets(t *testing.T) {
	tpl := template(t)
	tpl.HasResourceProperties(t, replicationGroup, map[string]any{"CacheSubnetGroupName": map[string]any{"Ref": subnetsID}})
	groups := *tpl.FindResources(jsii.String(subnetGroup), nil)
	g, ok := groups[subnetsID]
	if !ok {
		t.Fatalf("no subnet group %s", subnetsID)
	}
	ids := cdktest.AsList(props(g)["SubnetIds"])
	if len(ids) != 2 {
		t.Errorf("%d subnets; want the 2 isolated ones", len(ids))
	}
	for _, id := range ids {
		if ref := cdktest.JSON(id); !strings.HasPrefix(ref, `{"Ref":"VpcIsolatedSubnet`) {
			t.Errorf("subnet %s; want an isolated subnet", ref)
		}
	}
}

func TestEngineVersionNodeTypeAndPort(t *testing.T) {
	template(t).HasResourceProperties(t, replicationGroup, map[string]any{
		"Engine": "valkey", "EngineVersion": "8.2", "CacheNodeType": "cache.t4g.small", "Port": 6380,
	})
}

func TestSlowLogGoesToALogGroupKeptAYear(t *testing.T) {
	tpl := template(t)
	tpl.HasResourceProperties(t, replicationGroup, map[string]any{
		"LogDeliveryConfigurations": []any{map[string]any{
			"LogType": "slow-log", "LogFormat": "json", "DestinationType": "cloudwatch-logs",
			"DestinationDetails": map[string]any{"CloudWatchLogsDetails": map[string]any{"LogGroup": map[string]any{"Ref": slowLogID}}},
		}},
	})
	tpl.HasResourceProperties(t, logGroup, map[string]any{"RetentionInDays": 365})
}

func TestOnlyTheFleetSecurityGroupReachesTheCachePort(t *testing.T) {
	tpl := template(t)
	tpl.HasResourceProperties(t, replicationGroup, map[string]any{
		"SecurityGroupIds": []any{map[string]any{"Fn::GetAtt": []any{cacheSGID, "GroupId"}}},
	})
	tpl.OnlyIngressFrom(t, cacheSGID, fleetSGID, 6380)
}

func TestCacheOpensNoOutboundConnections(t *testing.T) {
	groups := *template(t).FindResources(jsii.String("AWS::EC2::SecurityGroup"), nil)
	egress := cdktest.JSON(props(groups[cacheSGID])["SecurityGroupEgress"])
	if egress != `[{"CidrIp":"255.255.255.255/32","Description":"Disallow all traffic","FromPort":252,"IpProtocol":"icmp","ToPort":86}]` {
		t.Errorf("cache egress %s; want none (CDK's disallow-all placeholder)", egress)
	}
}

func TestSecretReadIsGrantedOnThisSecretOnly(t *testing.T) {
	var statements int
	for _, p := range *template(t).FindResources(jsii.String(policy), nil) {
		for _, s := range props(p)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			st := s.(map[string]any)
			statements++
			for _, a := range cdktest.AsList(st["Action"]) {
				if a != "secretsmanager:GetSecretValue" && a != "secretsmanager:DescribeSecret" {
					t.Errorf("action %v; want secretsmanager:GetSecretValue and DescribeSecret only", a)
				}
			}
			for _, r := range cdktest.AsList(st["Resource"]) {
				if got := cdktest.JSON(r); got != `{"Ref":"`+secretID+`"}` {
					t.Errorf("statement reaches %s; want the cache secret only", got)
				}
			}
		}
	}
	if statements == 0 {
		t.Error("no policy statement grants the secret")
	}
}

func TestAccessorsReturnWhatWasCreated(t *testing.T) {
	template(t)
	if created.Port() != 6380 {
		t.Errorf("Port %d; want 6380", created.Port())
	}
	if created.ReplicationGroup() == nil || created.Secret() == nil || created.SecurityGroup() == nil || created.SlowLog() == nil {
		t.Error("ReplicationGroup, Secret, SecurityGroup and SlowLog must be set")
	}
	if !strings.Contains(created.Endpoint(), "${Token[") {
		t.Errorf("Endpoint %q; want the primary endpoint address token", created.Endpoint())
	}
	if groups := created.Connections().SecurityGroups(); groups == nil || len(*groups) != 1 {
		t.Error("Connections must carry the cache security group")
	}
	var _ awsec2.IConnectable = created
}

func TestRedisAndSizingPropsAreApplied(t *testing.T) {
	// Synthesized without validation: the default template already carries
	// the validated resource shape; this checks the props reach it.
	stack := scratch(t)
	c := cache.New(stack, "Cache", &cache.Props{
		Vpc: newVpc(stack), Engine: cache.Redis, NodeType: "cache.r7g.large", Replicas: 2, Port: 6400, SnapshotRetentionDays: 14,
	})
	if c.Port() != 6400 {
		t.Errorf("Port %d; want 6400", c.Port())
	}
	tpl := &cdktest.Template{Template: assertions.Template_FromStack(stack, nil)}
	tpl.HasResourceProperties(t, replicationGroup, map[string]any{
		"Engine": "redis", "EngineVersion": "7.1", "CacheNodeType": "cache.r7g.large", "NumCacheClusters": 3,
		"Port": 6400, "SnapshotRetentionLimit": 14, "MultiAZEnabled": true,
	})
}

func TestAllowFromRefusesAPeerWithoutSecurityGroup(t *testing.T) {
	stack := scratch(t)
	c := cache.New(stack, "Cache", &cache.Props{Vpc: newVpc(stack)})
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "cache Cache: AllowFrom: the peer has no security group") {
			t.Errorf("got %v, want a panic naming the cache", r)
		}
	}()
	c.AllowFrom(awsec2.NewConnections(&awsec2.ConnectionsProps{}))
}

func TestInvalidProps(t *testing.T) {
	stack := scratch(t)
	vpc := newVpc(stack)
	cases := []struct {
		name  string
		props cache.Props
		want  string
	}{
		{"no vpc", cache.Props{}, "Vpc: missing; required"},
		{"unknown engine", cache.Props{Vpc: vpc, Engine: "memcached"}, `Engine: "memcached" is not supported; allowed: "valkey", "redis"`},
		{"major-only version", cache.Props{Vpc: vpc, EngineVersion: "8"}, `EngineVersion: "8" is not a supported Valkey version; allowed: major.minor, 7.2 or later`},
		{"patch version", cache.Props{Vpc: vpc, EngineVersion: "8.2.1"}, `EngineVersion: "8.2.1" is not a supported Valkey version`},
		{"old valkey", cache.Props{Vpc: vpc, EngineVersion: "7.1"}, `EngineVersion: "7.1" is not a supported Valkey version`},
		{"old redis", cache.Props{Vpc: vpc, Engine: cache.Redis, EngineVersion: "6.2"}, `EngineVersion: "6.2" is not a supported Redis OSS version; allowed: major.minor, 7.0 or 7.1`},
		{"valkey version for redis", cache.Props{Vpc: vpc, Engine: cache.Redis, EngineVersion: "8.2"}, `EngineVersion: "8.2" is not a supported Redis OSS version`},
		{"node type without prefix", cache.Props{Vpc: vpc, NodeType: "t4g.small"}, `NodeType: "t4g.small" is not an ElastiCache node type; allowed: cache.<family>.<size>, e.g. cache.t4g.small`},
		{"node type without size", cache.Props{Vpc: vpc, NodeType: "cache.t4g"}, `NodeType: "cache.t4g" is not an ElastiCache node type`},
		{"RDS class", cache.Props{Vpc: vpc, NodeType: "db.t4g.small"}, `NodeType: "db.t4g.small" is not an ElastiCache node type`},
		{"negative replicas", cache.Props{Vpc: vpc, Replicas: -1}, "Replicas: -1 is out of range; allowed: 1 to 5"},
		{"too many replicas", cache.Props{Vpc: vpc, Replicas: 6}, "Replicas: 6 is out of range; allowed: 1 to 5"},
		{"default port", cache.Props{Vpc: vpc, Port: 6379}, "Port: 6379 is the Redis default port (cdk-nag AEC5)"},
		{"privileged port", cache.Props{Vpc: vpc, Port: 443}, "Port: 443 is out of range; allowed: 1024 to 65535"},
		{"port too high", cache.Props{Vpc: vpc, Port: 70000}, "Port: 70000 is out of range"},
		{"no snapshots", cache.Props{Vpc: vpc, SnapshotRetentionDays: -1}, "SnapshotRetentionDays: -1 is out of range; allowed: 1 to 35"},
		{"snapshots too long", cache.Props{Vpc: vpc, SnapshotRetentionDays: 36}, "SnapshotRetentionDays: 36 is out of range"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.props.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Validate() = %v; want %q", err, c.want)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	err := cache.Props{Engine: "memcached", NodeType: "t4g", Replicas: 9, Port: 6379, SnapshotRetentionDays: 40}.Validate()
	for _, field := range []string{"Vpc:", "Engine:", "NodeType:", "Replicas:", "Port:", "SnapshotRetentionDays:"} {
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("Validate() = %v; want it to name %s", err, field)
		}
	}
}

func TestValidPropsPass(t *testing.T) {
	stack := scratch(t)
	vpc := newVpc(stack)
	for _, p := range []cache.Props{
		{Vpc: vpc},
		{Vpc: vpc, EngineVersion: "7.2"},
		{Vpc: vpc, EngineVersion: "9.0", NodeType: "cache.r7g.2xlarge", Replicas: 5, Port: 1024, SnapshotRetentionDays: 35},
		{Vpc: vpc, Engine: cache.Redis, EngineVersion: "7.0", NodeType: "cache.m7g.large", Replicas: 1, SnapshotRetentionDays: 1},
	} {
		if err := p.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v; want nil", p, err)
		}
	}
}

func TestNewPanicsWithTheConstructIDOnInvalidProps(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(r.(string), "cache Cache: Vpc: missing") {
			t.Errorf("got %v, want a panic naming the construct and the field", r)
		}
	}()
	cache.New(scratch(t), "Cache", &cache.Props{})
}
