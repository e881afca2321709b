// Package cache is the shared cache block of a web tier: one ElastiCache
// replication group (Valkey or Redis OSS) that every server of the fleet
// uses for distributed caching, file locking and sessions, which must not
// live on one server. It is Multi-AZ with automatic failover, encrypted at
// rest and in transit, protected by an AUTH token generated into Secrets
// Manager, and reachable only from the security groups it is opened to. A
// tier can also bring a Redis-compatible cache it already has (Existing).
package cache

import (
	"cmp"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticache"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// The engines a Cache can run.
const (
	Valkey = "valkey"
	Redis  = "redis"
)

// TokenKey is the key of the AUTH token in the secret's JSON.
const TokenKey = "token"

// Props configures a Cache.
type Props struct {
	// Vpc is the network the cache is created in, in its isolated subnets
	// (SubnetType PRIVATE_ISOLATED; the network block names that group
	// "Isolated"). Required.
	Vpc awsec2.IVpc

	// Engine is the cache engine: Valkey or Redis (Redis OSS).
	//
	// Default: Valkey.
	Engine string

	// EngineVersion is the engine version, major.minor, e.g. "8.2" for Valkey
	// or "7.1" for Redis OSS; Valkey 7.2 or later, Redis OSS 7.0 or 7.1 (the
	// versions that support TransitEncryptionMode). ElastiCache applies patch
	// releases automatically.
	//
	// Default: "8.2" for Valkey, "7.1" for Redis OSS (the newest Valkey 8
	// and the newest Redis OSS that ElastiCache offers).
	EngineVersion string

	// NodeType is the ElastiCache node type, e.g. "cache.t4g.small" or
	// "cache.r7g.large".
	//
	// Default: "cache.t4g.small".
	NodeType string

	// Replicas is the number of read replicas next to the primary, 1 to 5;
	// at least one is needed for Multi-AZ automatic failover.
	//
	// Default: 1 (two nodes in two AZs).
	Replicas int

	// Port is the port the cache listens on: a literal number, not the
	// Redis default 6379 (cdk-nag AEC5), 1024 to 65535.
	//
	// Default: 6380.
	Port int

	// SnapshotRetentionDays is how many daily snapshots are kept, 1 to 35.
	//
	// Default: 7.
	SnapshotRetentionDays int

	// EncryptionKey is a symmetric customer managed KMS key, usually the
	// tier's, that encrypts the cache at rest (the replication group's
	// KmsKeyId) and the AUTH token secret; GrantSecretRead then includes
	// kms:Decrypt on it through Secrets Manager. The key's policy must let
	// the account's IAM policies grant its use (a default key policy does):
	// ElastiCache and Secrets Manager use it on behalf of the deploying
	// role, and Secrets Manager on behalf of the servers.
	//
	// A first-deploy decision: changing the at-rest key of an existing
	// cache, setting or removing it included, replaces the replication group
	// (a final snapshot is taken, the new group starts empty: sessions and
	// cached data are lost). The secret changes keys in place.
	//
	// Default: nil, the cache's AWS owned key and the secret's AWS managed
	// key aws/secretsmanager.
	EncryptionKey awskms.IKey

	// Existing is a Redis-compatible cache to use instead of creating one.
	// Nothing is created then (no replication group, secret, security group
	// or slow log), and every other field must be left empty: Validate
	// refuses them, naming each.
	//
	// Default: nil, a cache is created.
	Existing *Existing
}

// Existing is a Redis-compatible cache the caller already has: an
// ElastiCache replication group or serverless cache made elsewhere, or a
// Redis or Valkey server of the team's.
type Existing struct {
	// Endpoint is the host name clients connect to: the primary endpoint of
	// a replication group, the endpoint of a serverless cache (a token is
	// fine). Required.
	Endpoint string

	// Port is the port the cache listens on, 1 to 65535. Required.
	Port int

	// TLS states that the cache takes TLS connections (ElastiCache's
	// encryption in transit): clients then connect with tls://. Required
	// with Secret: an AUTH token over plain TCP can be read on the network
	// (and ElastiCache accepts AUTH only with encryption in transit).
	//
	// Default: false, plain TCP.
	TLS bool

	// Secret holds the AUTH token as JSON, under SecretKey; import it with
	// awssecretsmanager.Secret_FromSecretAttributes, with its EncryptionKey
	// when a customer managed key encrypts it (GrantSecretRead then grants
	// kms:Decrypt on that key, through Secrets Manager only).
	//
	// Default: nil, the cache takes connections without AUTH.
	Secret awssecretsmanager.ISecret

	// SecretKey is the JSON key of the AUTH token in Secret; only with
	// Secret.
	//
	// Default: "token" (TokenKey), the key of a cache this block created.
	SecretKey string

	// SecurityGroup is the cache's security group, to which AllowFrom adds
	// its ingress rules: import it with
	// awsec2.SecurityGroup_FromSecurityGroupId, mutable (the default; an
	// immutable import would silently drop the rules). Required.
	SecurityGroup awsec2.ISecurityGroup
}

// Limits and defaults the props are checked against.
const (
	defaultNodeType     = "cache.t4g.small"
	defaultReplicas     = 1
	maxReplicas         = 5
	defaultPort         = 6380
	wellKnownPort       = 6379
	minPort             = 1024
	maxPort             = 65535
	defaultSnapshotDays = 7
	maxSnapshotDays     = 35
	// The windows are in UTC and must not overlap: snapshots at night in
	// Europe and the Americas, maintenance after them on Sunday.
	snapshotWindow    = "03:00-04:00"
	maintenanceWindow = "sun:05:00-sun:06:00"
	tokenLength       = 64
	maxExistingPort   = 65535
)

var (
	defaultVersions = map[string]string{Valkey: "8.2", Redis: "7.1"}
	nodeType        = regexp.MustCompile(`^cache\.[a-z]+[0-9][a-z0-9-]*\.(micro|small|medium|large|[0-9]*xlarge)$`)
	twoPartVersion  = regexp.MustCompile(`^([0-9]+)\.([0-9]+)$`)
)

func engineOrDefault(e string) string {
	if e == "" {
		return Valkey
	}
	return e
}

// supportedVersion tells whether version (major.minor) of engine supports
// what the block sets: AUTH with TLS and TransitEncryptionMode.
func supportedVersion(engine, version string) bool {
	m := twoPartVersion.FindStringSubmatch(version)
	if m == nil {
		return false
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	if engine == Redis {
		return major == 7 && minor <= 1
	}
	return major > 7 || (major == 7 && minor >= 2)
}

// Validate reports what is wrong with p, naming the field and what is allowed.
func (p Props) Validate() error { return p.validate(true) }

// ValidateSettings is Validate without the Vpc requirement, for a
// composing tier that validates its props before it sets Vpc.
func (p Props) ValidateSettings() error { return p.validate(false) }

func (p Props) validate(needVpc bool) error {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if p.Existing != nil {
		p.validateExisting(bad)
		if len(problems) > 0 {
			return fmt.Errorf("%s", strings.Join(problems, "; "))
		}
		return nil
	}
	if p.Vpc == nil && needVpc {
		bad("Vpc: missing; required")
	}
	engine := engineOrDefault(p.Engine)
	if engine != Valkey && engine != Redis {
		bad("Engine: %q is not supported; allowed: %q, %q", p.Engine, Valkey, Redis)
	} else if v := p.EngineVersion; v != "" && !supportedVersion(engine, v) {
		if engine == Redis {
			bad("EngineVersion: %q is not a supported Redis OSS version; allowed: major.minor, 7.0 or 7.1", v)
		} else {
			bad("EngineVersion: %q is not a supported Valkey version; allowed: major.minor, 7.2 or later, e.g. 8.2", v)
		}
	}
	if p.NodeType != "" && !nodeType.MatchString(p.NodeType) {
		bad("NodeType: %q is not an ElastiCache node type; allowed: cache.<family>.<size>, e.g. %s", p.NodeType, defaultNodeType)
	}
	if r := p.Replicas; r != 0 && (r < 1 || r > maxReplicas) {
		bad("Replicas: %d is out of range; allowed: 1 to %d (0 for the default, %d; Multi-AZ failover needs at least one)", r, maxReplicas, defaultReplicas)
	}
	if port := p.Port; port != 0 {
		if port < minPort || port > maxPort {
			bad("Port: %d is out of range; allowed: %d to %d, not %d", port, minPort, maxPort, wellKnownPort)
		} else if port == wellKnownPort {
			bad("Port: %d is the Redis default port (cdk-nag AEC5); allowed: any other port from %d to %d, e.g. %d", port, minPort, maxPort, defaultPort)
		}
	}
	if d := p.SnapshotRetentionDays; d != 0 && (d < 1 || d > maxSnapshotDays) {
		bad("SnapshotRetentionDays: %d is out of range; allowed: 1 to %d (0 for the default, %d)", d, maxSnapshotDays, defaultSnapshotDays)
	}

	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// validateExisting reports what is wrong with Existing, and every other
// field that is set: they apply to a created cache only.
func (p Props) validateExisting(bad func(string, ...any)) {
	e := p.Existing
	if e.Endpoint == "" {
		bad("Existing.Endpoint: missing; required, the host name clients connect to (the primary endpoint)")
	} else if strings.ContainsAny(e.Endpoint, " :/") && !*awscdk.Token_IsUnresolved(jsii.String(e.Endpoint)) {
		bad("Existing.Endpoint: %q is not a host name; allowed: the host only, without scheme or port, e.g. my-cache.abc123.ng.0001.euw1.cache.amazonaws.com", e.Endpoint)
	}
	if e.Port < 1 || e.Port > maxExistingPort {
		bad("Existing.Port: %d is out of range; required, allowed: 1 to %d", e.Port, maxExistingPort)
	}
	if e.SecurityGroup == nil {
		bad("Existing.SecurityGroup: missing; required, the cache's security group, to which AllowFrom adds the fleet")
	}
	if e.Secret != nil && !e.TLS {
		bad("Existing.Secret: set without Existing.TLS; an AUTH token over plain TCP can be read on the network (and ElastiCache accepts AUTH only with encryption in transit); allowed: a cache with TLS, Existing.TLS true")
	}
	if e.Secret == nil && e.SecretKey != "" {
		bad("Existing.SecretKey: set without Existing.Secret; allowed: only with Secret")
	}
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"Vpc", p.Vpc != nil}, {"Engine", p.Engine != ""}, {"EngineVersion", p.EngineVersion != ""},
		{"NodeType", p.NodeType != ""}, {"Replicas", p.Replicas != 0}, {"Port", p.Port != 0},
		{"SnapshotRetentionDays", p.SnapshotRetentionDays != 0}, {"EncryptionKey", p.EncryptionKey != nil},
	} {
		if f.set {
			bad("%s: set with Existing; it applies to a created cache only (an existing cache keeps its own settings): leave it empty, or the port, TLS and secret in Existing", f.name)
		}
	}
}

// Cache is the tier's shared cache: the one created here, or the one
// passed in as Existing.
type Cache struct {
	constructs.Construct
	group       awselasticache.CfnReplicationGroup
	secret      awssecretsmanager.ISecret
	secretKey   string
	sg          awsec2.ISecurityGroup
	connections awsec2.Connections
	slowLog     awslogs.ILogGroup
	key         awskms.IKey
	endpoint    string
	port        int
	replicas    int
	tls         bool
}

// ReplicationGroup returns the ElastiCache replication group, for metrics
// and escape hatches; nil for an Existing cache, which the tier does not
// watch (no alarms: its owner's apply).
func (c *Cache) ReplicationGroup() awselasticache.CfnReplicationGroup { return c.group }

// Secret returns the secret holding the AUTH token under SecretKey: the
// only place the token is stored. It is nil for an Existing cache without
// AUTH.
func (c *Cache) Secret() awssecretsmanager.ISecret { return c.secret }

// SecretKey returns the JSON key of the AUTH token in Secret: "token"
// (TokenKey) for a created cache, Existing.SecretKey otherwise.
func (c *Cache) SecretKey() string { return c.secretKey }

// Endpoint returns the host name clients connect to: a created cache's
// primary endpoint (a CloudFormation token), which follows a failover, or
// Existing.Endpoint.
func (c *Cache) Endpoint() string { return c.endpoint }

// Replicas returns the number of replicas next to the primary; 0 for an
// Existing cache (unknown here).
func (c *Cache) Replicas() int { return c.replicas }

// Port returns the port the cache listens on.
func (c *Cache) Port() int { return c.port }

// TLS reports whether clients connect with TLS: always for a created cache
// (TransitEncryptionMode required), Existing.TLS otherwise.
func (c *Cache) TLS() bool { return c.tls }

// SecurityGroup returns the cache's security group: the one created, or
// Existing.SecurityGroup.
func (c *Cache) SecurityGroup() awsec2.ISecurityGroup { return c.sg }

// SlowLog returns the log group the slow log is delivered to; nil for an
// Existing cache, whose logs are its owner's.
func (c *Cache) SlowLog() awslogs.ILogGroup { return c.slowLog }

// Connections returns the cache's network connections, which makes a Cache
// an awsec2.IConnectable.
func (c *Cache) Connections() awsec2.Connections { return c.connections }

// AllowFrom lets peer's security groups connect to the cache port, and
// nothing else: no CIDR range, even if peer has one. It panics if peer has
// no security group. For an Existing cache the rules go on
// Existing.SecurityGroup.
func (c *Cache) AllowFrom(peer awsec2.IConnectable) {
	groups := peer.Connections().SecurityGroups()
	if groups == nil || len(*groups) == 0 {
		panic(fmt.Sprintf("cache %s: AllowFrom: the peer has no security group; the cache accepts security groups only", *c.Node().Id()))
	}
	for _, sg := range *groups {
		c.connections.AllowFrom(sg, awsec2.Port_Tcp(jsii.Number(c.port)), jsii.String("cache clients"))
	}
}

// GrantSecretRead lets grantee read the AUTH token
// (secretsmanager:GetSecretValue and DescribeSecret on this secret only) and,
// with Props.EncryptionKey, decrypt it: kms:Decrypt on that key only, and only
// through Secrets Manager (condition kms:ViaService). With a key, grantee must
// be able to hold an identity policy (a role or a user): it panics otherwise.
// For an Existing cache the key is its secret's EncryptionKey, if imported
// with one; without a secret (no AUTH) there is nothing to read and nothing
// is granted.
func (c *Cache) GrantSecretRead(grantee awsiam.IGrantable) {
	if c.secret == nil {
		return
	}
	if c.key == nil {
		c.secret.GrantRead(grantee, nil)
		return
	}
	// Secret.GrantRead would grant the key as well, but in the key's policy,
	// naming the grantee, and not at all for an imported key, whose policy
	// cannot be changed here. Both statements go to the grantee's own policy
	// instead, which works with any key whose policy lets the account's IAM
	// policies grant its use (a default key policy does).
	awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee:      grantee,
		Actions:      jsii.Strings("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"),
		ResourceArns: jsii.Strings(*c.secret.SecretArn()),
	}).AssertSuccess()
	awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee:      grantee,
		Actions:      jsii.Strings("kms:Decrypt"),
		ResourceArns: jsii.Strings(*c.key.KeyArn()),
		Conditions: &map[string]*map[string]any{"StringEquals": {
			"kms:ViaService": "secretsmanager." + *awscdk.Stack_Of(c).Region() + ".amazonaws.com",
		}},
	}).AssertSuccess()
}

// New creates the cache, or wraps Existing. It panics, naming id, when
// props are invalid.
func New(scope constructs.Construct, id string, props *Props) *Cache {
	p := Props{}
	if props != nil {
		p = *props
	}
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("cache %s: %v", id, err))
	}
	if e := p.Existing; e != nil {
		c := &Cache{endpoint: e.Endpoint, port: e.Port, tls: e.TLS, secret: e.Secret, sg: e.SecurityGroup}
		constructs.NewConstruct_Override(c, scope, jsii.String(id))
		if e.Secret != nil {
			c.secretKey = cmp.Or(e.SecretKey, TokenKey)
			c.key = e.Secret.EncryptionKey()
		}
		c.connections = awsec2.NewConnections(&awsec2.ConnectionsProps{
			SecurityGroups: &[]awsec2.ISecurityGroup{e.SecurityGroup},
			DefaultPort:    awsec2.Port_Tcp(jsii.Number(e.Port)),
		})
		return c
	}
	engine := engineOrDefault(p.Engine)
	if p.EngineVersion == "" {
		p.EngineVersion = defaultVersions[engine]
	}
	if p.NodeType == "" {
		p.NodeType = defaultNodeType
	}
	if p.Replicas == 0 {
		p.Replicas = defaultReplicas
	}
	if p.Port == 0 {
		p.Port = defaultPort
	}
	if p.SnapshotRetentionDays == 0 {
		p.SnapshotRetentionDays = defaultSnapshotDays
	}

	c := &Cache{port: p.Port, replicas: p.Replicas, key: p.EncryptionKey, tls: true, secretKey: TokenKey}
	constructs.NewConstruct_Override(c, scope, jsii.String(id))

	// The group has no ingress until AllowFrom, and the cache opens no
	// outbound connections.
	sg := awsec2.NewSecurityGroup(c, jsii.String("SecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              p.Vpc,
		Description:      jsii.String("Cache: accepts the security groups AllowFrom names, on the cache port"),
		AllowAllOutbound: jsii.Bool(false),
	})
	c.sg = sg
	c.connections = awsec2.NewConnections(&awsec2.ConnectionsProps{
		SecurityGroups: &[]awsec2.ISecurityGroup{sg},
		DefaultPort:    awsec2.Port_Tcp(jsii.Number(p.Port)),
	})

	isolated := p.Vpc.SelectSubnets(&awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED})
	subnetIDs := []any{}
	for _, id := range *isolated.SubnetIds {
		subnetIDs = append(subnetIDs, id)
	}
	subnets := awselasticache.NewCfnSubnetGroup(c, jsii.String("Subnets"), &awselasticache.CfnSubnetGroupProps{
		Description: jsii.String("Isolated subnets of the shared cache"),
		SubnetIds:   &subnetIDs,
	})

	// Letters and digits only: the AUTH token refuses spaces, @, / and ",
	// and the servers render it into PHP configuration. "Secret" is part of
	// its logical ID: renaming it replaces the token.
	secret := awssecretsmanager.NewSecret(c, jsii.String("Secret"), &awssecretsmanager.SecretProps{
		Description: jsii.String("AUTH token of the shared cache, under the key \"" + TokenKey + "\""),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			SecretStringTemplate: jsii.String("{}"),
			GenerateStringKey:    jsii.String(TokenKey),
			PasswordLength:       jsii.Number(tokenLength),
			ExcludePunctuation:   jsii.Bool(true),
			IncludeSpace:         jsii.Bool(false),
		},
		// The token outlives the cache: a cache restored from the final
		// snapshot is reached with it.
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		EncryptionKey: p.EncryptionKey,
	})
	c.secret = secret
	cdknag.NagSuppressions_AddResourceSuppressions(secret.Node().DefaultChild(), &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-SMG4"),
		Reason: jsii.String("Not rotated: rotating an ElastiCache AUTH token needs a coordinated ROTATE-then-SET change on the replication group, and the PHP servers read the token when they boot (Nextcloud config.php, Laravel .env; at every start); a rotation would lock out every running server until it restarts. Rotation needs that coordination first."),
	}}, jsii.Bool(false))

	// The slow log is small (commands over the slowlog threshold only, no
	// values) and keeps a year like every other log of the tier.
	slowLog := awslogs.NewLogGroup(c, jsii.String("SlowLog"), &awslogs.LogGroupProps{
		Retention:     awslogs.RetentionDays_ONE_YEAR,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	c.slowLog = slowLog

	// "ReplicationGroup" is part of the logical ID: renaming it replaces the
	// cache. Cluster mode is off: one shard, a primary and Replicas replicas,
	// which every PHP Redis client supports without cluster configuration.
	c.group = awselasticache.NewCfnReplicationGroup(c, jsii.String("ReplicationGroup"), &awselasticache.CfnReplicationGroupProps{
		ReplicationGroupDescription: jsii.String("Shared cache of the web tier"),
		Engine:                      jsii.String(engine),
		EngineVersion:               jsii.String(p.EngineVersion),
		CacheNodeType:               jsii.String(p.NodeType),
		ClusterMode:                 jsii.String("disabled"),
		NumCacheClusters:            jsii.Number(p.Replicas + 1),
		MultiAzEnabled:              jsii.Bool(true),
		AutomaticFailoverEnabled:    jsii.Bool(true),
		Port:                        jsii.Number(p.Port),
		CacheSubnetGroupName:        subnets.Ref(),
		SecurityGroupIds:            jsii.Strings(*sg.SecurityGroupId()),
		AtRestEncryptionEnabled:     jsii.Bool(true),
		KmsKeyId:                    keyArn(p.EncryptionKey),
		TransitEncryptionEnabled:    jsii.Bool(true),
		TransitEncryptionMode:       jsii.String("required"),
		// A {{resolve:secretsmanager:...}} dynamic reference: CloudFormation
		// reads the token at deploy time; the template never holds it.
		AuthToken:                  secret.SecretValueFromJson(jsii.String(TokenKey)).UnsafeUnwrap(),
		SnapshotRetentionLimit:     jsii.Number(p.SnapshotRetentionDays),
		SnapshotWindow:             jsii.String(snapshotWindow),
		PreferredMaintenanceWindow: jsii.String(maintenanceWindow),
		AutoMinorVersionUpgrade:    jsii.Bool(true),
		LogDeliveryConfigurations: &[]any{&awselasticache.CfnReplicationGroup_LogDeliveryConfigurationRequestProperty{
			LogType:         jsii.String("slow-log"),
			LogFormat:       jsii.String("json"),
			DestinationType: jsii.String("cloudwatch-logs"),
			DestinationDetails: &awselasticache.CfnReplicationGroup_DestinationDetailsProperty{
				CloudWatchLogsDetails: &awselasticache.CfnReplicationGroup_CloudWatchLogsDestinationDetailsProperty{
					LogGroup: slowLog.LogGroupName(),
				},
			},
		}},
	})
	// Snapshot: deleting or replacing the group takes a final snapshot first.
	c.group.ApplyRemovalPolicy(awscdk.RemovalPolicy_SNAPSHOT, nil)
	c.endpoint = *c.group.AttrPrimaryEndPointAddress()
	return c
}

// keyArn returns key's ARN, or nil (ElastiCache's AWS owned key) without one.
func keyArn(key awskms.IKey) *string {
	if key == nil {
		return nil
	}
	return key.KeyArn()
}
