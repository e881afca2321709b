package cache_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/cache"
	"github.com/tierkit/tierkit/constructs/cache/cachetest"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// The existing cache of the existing template: an ElastiCache replication
// group made elsewhere, its security group, and its AUTH token in a secret
// encrypted with a customer managed key (cachetest).
const (
	existingSG       = cachetest.ExistingSG
	existingEndpoint = cachetest.ExistingEndpoint
	existingSecret   = cachetest.ExistingSecret
	existingKey      = cachetest.ExistingKey
)

// wrapped is the cache of the existing template, for its accessors.
var wrapped *cache.Cache

// existingCache returns Existing props for the existing cache, its
// security group and secret imported into scope.
var existingCache = cachetest.ExistingCache

// existing wraps that cache, opened to a fleet security group and read by
// an instance role.
var existing = variant("existing")

func TestExistingCacheCreatesNothingOfItsOwn(t *testing.T) {
	tpl := existing(t)
	for _, typ := range []string{replicationGroup, subnetGroup, secret, logGroup} {
		tpl.ResourceCountIs(t, typ, 0)
	}
	// The fleet's group only.
	tpl.ResourceCountIs(t, "AWS::EC2::SecurityGroup", 1)
}

func TestExistingCacheLetsTheFleetInOnItsSecurityGroup(t *testing.T) {
	existing(t).OnlyIngressFrom(t, existingSG, fleetSGID, 6379)
}

func TestExistingSecretIsReadWithItsKeyThroughSecretsManagerOnly(t *testing.T) {
	var statements []string
	for _, p := range *existing(t).FindResources(jsii.String(policy), nil) {
		for _, s := range props(p)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			statements = append(statements, cdktest.JSON(s))
		}
	}
	want := []string{
		`{"Action":["secretsmanager:DescribeSecret","secretsmanager:GetSecretValue"],"Effect":"Allow","Resource":"` + existingSecret + `"}`,
		`{"Action":"kms:Decrypt","Condition":{"StringEquals":{"kms:ViaService":"secretsmanager.us-east-1.amazonaws.com"}},"Effect":"Allow","Resource":"` + existingKey + `"}`,
	}
	if strings.Join(statements, "\n") != strings.Join(want, "\n") {
		t.Errorf("statements:\n%s\nwant:\n%s", strings.Join(statements, "\n"), strings.Join(want, "\n"))
	}
}

func TestExistingCacheAccessors(t *testing.T) {
	existing(t)
	c := wrapped
	if c.ReplicationGroup() != nil || c.SlowLog() != nil {
		t.Error("ReplicationGroup and SlowLog must be nil for an existing cache: nothing to watch or link")
	}
	if c.Endpoint() != existingEndpoint || c.Port() != 6379 || !c.TLS() || c.SecretKey() != "auth" || c.Replicas() != 0 {
		t.Errorf("Endpoint %q, Port %d, TLS %t, SecretKey %q, Replicas %d; want Existing's, and 0 replicas",
			c.Endpoint(), c.Port(), c.TLS(), c.SecretKey(), c.Replicas())
	}
	if c.Secret() == nil || *c.Secret().SecretArn() != existingSecret || *c.SecurityGroup().SecurityGroupId() != existingSG {
		t.Error("Secret and SecurityGroup must be Existing's")
	}
	if got := *c.Connections().DefaultPort().ToString(); got != "6379" {
		t.Errorf("Connections' default port %s; want 6379", got)
	}
}

func TestCreatedCacheReportsTLSAndTheTokenKey(t *testing.T) {
	template(t)
	if !created.TLS() || created.SecretKey() != cache.TokenKey {
		t.Errorf("TLS %t, SecretKey %q; want true and %q", created.TLS(), created.SecretKey(), cache.TokenKey)
	}
}

func TestExistingCacheWithoutAUTHGrantsNothing(t *testing.T) {
	stack := scratch(t)
	vpc := newVpc(stack)
	e := existingCache(stack)
	e.Secret, e.SecretKey, e.TLS = nil, "", false
	c := cache.New(stack, "Cache", &cache.Props{Existing: e})
	fleet, role := fleetAndRole(stack, vpc)
	c.AllowFrom(fleet)
	c.GrantSecretRead(role)
	if c.Secret() != nil || c.SecretKey() != "" || c.TLS() {
		t.Errorf("Secret %v, SecretKey %q, TLS %t; want none", c.Secret(), c.SecretKey(), c.TLS())
	}
	tpl := &cdktest.Template{Template: assertions.Template_FromStack(stack, nil)}
	tpl.ResourceCountIs(t, policy, 0)
	tpl.OnlyIngressFrom(t, existingSG, fleetSGID, 6379)
}

func TestExistingSecretKeyDefaultsToTheTokenKey(t *testing.T) {
	stack := scratch(t)
	e := existingCache(stack)
	e.SecretKey = ""
	if got := cache.New(stack, "Cache", &cache.Props{Existing: e}).SecretKey(); got != cache.TokenKey {
		t.Errorf("SecretKey %q; want %q", got, cache.TokenKey)
	}
}

func TestInvalidExistingProps(t *testing.T) {
	stack := scratch(t)
	vpc := newVpc(stack)
	base := existingCache(stack)
	with := func(change func(*cache.Existing)) *cache.Existing {
		e := *base
		change(&e)
		return &e
	}
	for _, c := range []struct {
		name  string
		props cache.Props
		want  string
	}{
		{"no endpoint", cache.Props{Existing: with(func(e *cache.Existing) { e.Endpoint = "" })}, "Existing.Endpoint: missing; required"},
		{"endpoint with a scheme", cache.Props{Existing: with(func(e *cache.Existing) { e.Endpoint = "tls://cache.example:6380" })}, `Existing.Endpoint: "tls://cache.example:6380" is not a host name`},
		{"no port", cache.Props{Existing: with(func(e *cache.Existing) { e.Port = 0 })}, "Existing.Port: 0 is out of range; required, allowed: 1 to 65535"},
		{"port too high", cache.Props{Existing: with(func(e *cache.Existing) { e.Port = 70000 })}, "Existing.Port: 70000 is out of range"},
		{"no security group", cache.Props{Existing: with(func(e *cache.Existing) { e.SecurityGroup = nil })}, "Existing.SecurityGroup: missing; required"},
		{"AUTH without TLS", cache.Props{Existing: with(func(e *cache.Existing) { e.TLS = false })}, "Existing.Secret: set without Existing.TLS; an AUTH token over plain TCP can be read on the network"},
		{"key without secret", cache.Props{Existing: with(func(e *cache.Existing) { e.Secret = nil })}, "Existing.SecretKey: set without Existing.Secret"},
		{"vpc", cache.Props{Vpc: vpc, Existing: base}, "Vpc: set with Existing; it applies to a created cache only"},
		{"engine", cache.Props{Engine: cache.Redis, Existing: base}, "Engine: set with Existing"},
		{"engine version", cache.Props{EngineVersion: "8.2", Existing: base}, "EngineVersion: set with Existing"},
		{"node type", cache.Props{NodeType: "cache.t4g.small", Existing: base}, "NodeType: set with Existing"},
		{"replicas", cache.Props{Replicas: 2, Existing: base}, "Replicas: set with Existing"},
		{"port", cache.Props{Port: 6380, Existing: base}, "Port: set with Existing"},
		{"snapshots", cache.Props{SnapshotRetentionDays: 7, Existing: base}, "SnapshotRetentionDays: set with Existing"},
		{"key", cache.Props{EncryptionKey: awskms.Key_FromKeyArn(stack, jsii.String("K"), jsii.String(existingKey)), Existing: base}, "EncryptionKey: set with Existing"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := c.props.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Validate() = %v; want %q", err, c.want)
			}
		})
	}
}

func TestValidExistingPropsPass(t *testing.T) {
	stack := scratch(t)
	base := existingCache(stack)
	tokenHost, plain := *base, *base
	tokenHost.Endpoint = *awscdk.Fn_ImportValue(jsii.String("LegacyCacheEndpoint"))
	plain.TLS, plain.Secret, plain.SecretKey = false, nil, ""
	for name, e := range map[string]*cache.Existing{"with AUTH": base, "endpoint a token": &tokenHost, "no TLS, no AUTH": &plain} {
		if err := (cache.Props{Existing: e}).Validate(); err != nil {
			t.Errorf("%s: Validate() = %v; want nil", name, err)
		}
	}
}

func TestValidateSettingsLeavesVpcToTheTier(t *testing.T) {
	if err := (cache.Props{}).ValidateSettings(); err != nil {
		t.Errorf("ValidateSettings() = %v; want nil (Vpc is the tier's)", err)
	}
	if err := (cache.Props{Replicas: 9}).ValidateSettings(); err == nil || !strings.Contains(err.Error(), "Replicas: 9") || strings.Contains(err.Error(), "Vpc") {
		t.Errorf("ValidateSettings() = %v; want the Replicas problem only", err)
	}
}
