// Package database is the database block of a web tier: one RDS instance
// that every server of the fleet shares (sessions, queues and application
// data must not live on one server), Multi-AZ, encrypted, reachable only from
// the security groups it is opened to, with its master password generated
// into Secrets Manager. A tier can also bring a database it already has, or
// restore one from a snapshot of it.
package database

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/tierkit/tierkit/internal/check"
)

// Engine is the database engine of a Database.
type Engine string

// The engines a Database can run.
const (
	MySQL    Engine = "mysql"
	MariaDB  Engine = "mariadb"
	Postgres Engine = "postgres"
)

// PasswordExcludedCharacters are left out of the generated master password:
// quotes, backslash, $, #, backtick and space break PHP .env files and shell
// quoting; @ / : ? % & + break database URLs; RDS itself refuses / @ ". It is
// aws-cdk's own default set, written out because the apps depend on it.
const PasswordExcludedCharacters = " %+~`#$&*()|[]{}:;<>?!'/@\"\\"

// Props configures a Database.
type Props struct {
	// Vpc is the network the database is created in, in its isolated subnets
	// (SubnetType PRIVATE_ISOLATED; the network block names that group
	// "Isolated"). Required unless Existing is set.
	Vpc awsec2.IVpc

	// Engine is the database engine.
	//
	// Default: MySQL.
	Engine Engine

	// EngineVersion is the full engine version, e.g. "8.4.10" for MySQL or
	// MariaDB (major.minor.patch), "17.9" for PostgreSQL (major.minor). RDS
	// upgrades minor versions automatically afterwards; when you change this
	// field later, never set it below the version the instance runs.
	//
	// Default: MySQL 8.4.10, MariaDB 11.8.6, PostgreSQL 17.9 (the newest of
	// those majors that aws-cdk v2.277.0 knows).
	EngineVersion string

	// InstanceType is the RDS instance class without the "db." prefix, e.g.
	// "t3.medium" or "r7g.large".
	//
	// Default: "t3.medium".
	InstanceType string

	// AllocatedStorageGiB is the gp3 storage allocated at creation, 20 to 65536 GiB.
	//
	// Default: 20.
	AllocatedStorageGiB int

	// MaxAllocatedStorageGiB is the ceiling storage autoscaling may grow to. RDS
	// requires it to be at least 10% above AllocatedStorageGiB; at most 65536.
	//
	// Default: twice AllocatedStorageGiB and at least 100 GiB, at most 65536
	// (no autoscaling when that is not 10% above AllocatedStorageGiB).
	MaxAllocatedStorageGiB int

	// Port is the port the database listens on: a literal number, not the
	// engine's well-known port (3306, 5432), 1150 to 65535.
	//
	// Default: 3307 for MySQL and MariaDB, 5433 for PostgreSQL.
	Port int

	// DatabaseName is the database created in the instance: a letter, then
	// up to 62 letters, digits or underscores.
	//
	// Default: "app".
	DatabaseName string

	// Username is the master user: a letter, then up to 15 letters, digits or
	// underscores; not admin, root, postgres or rdsadmin.
	//
	// Default: "tierkit_admin".
	Username string

	// BackupRetentionDays is how long automated backups (point-in-time
	// recovery) are kept, 7 to 35 days.
	//
	// Default: 7.
	BackupRetentionDays int

	// DisableDeletionProtection lets the instance be deleted, for throw-away
	// environments. A final snapshot is still taken.
	//
	// Default: false, deletion protection on.
	DisableDeletionProtection bool

	// LogRetention is how long the logs exported to CloudWatch Logs are kept:
	// a finite awslogs.RetentionDays.
	//
	// Default: awslogs.RetentionDays_ONE_YEAR.
	LogRetention awslogs.RetentionDays

	// MonitoringInterval is how often Enhanced Monitoring samples the
	// instance's operating system (CPU by process, memory, swap, file
	// system, disk I/O) into CloudWatch Logs (log group RDSOSMetrics): 1, 5,
	// 10, 15, 30 or 60 seconds.
	//
	// Default: 60 seconds; allowed only without DisableEnhancedMonitoring.
	MonitoringInterval time.Duration

	// DisableEnhancedMonitoring turns Enhanced Monitoring off: no monitoring
	// role, only the hypervisor's CloudWatch metrics.
	//
	// Default: false, Enhanced Monitoring on every MonitoringInterval.
	DisableEnhancedMonitoring bool

	// DisablePerformanceInsights turns Performance Insights (CloudWatch
	// Database Insights, Standard mode) off. RDS supports it for MySQL and
	// MariaDB on neither the micro nor the small classes of t2, t3 and t4g:
	// those need it set.
	//
	// Default: false, Performance Insights on, 7 days of history (free).
	DisablePerformanceInsights bool

	// EncryptionKey is a customer managed KMS key for the storage (and so
	// the snapshots and backups), the Performance Insights data and the
	// generated secret; GrantSecretRead then also grants kms:Decrypt through
	// Secrets Manager. A first-deployment decision: RDS cannot change the
	// storage key of an instance, so setting, changing or removing it later
	// makes CloudFormation replace the database (a new, empty instance;
	// the old one leaves a snapshot), and the Performance Insights key
	// cannot change once set either. Not allowed with Existing.
	//
	// Default: nil, the AWS managed keys aws/rds and aws/secretsmanager.
	EncryptionKey awskms.IKey

	// Existing is a database to use instead of creating one. When it is set,
	// nothing is created and the other fields are only validated.
	//
	// Default: nil, a database is created.
	Existing *Existing

	// SnapshotIdentifier restores the database from a DB snapshot instead of
	// creating it empty: the snapshot's name in this account and region (e.g.
	// "app-final-2026-12-01", or "rds:..." for an automated one) or its ARN
	// (required for a snapshot shared from another account), e.g.
	// "arn:aws:rds:eu-west-1:123456789012:snapshot:app-final". The instance
	// has everything a created one has (Multi-AZ, TLS only, deletion
	// protection, snapshot on delete, log exports, monitoring, backups, the
	// same security group, subnet group and logical IDs); its master password
	// is regenerated into the block's secret.
	//
	// The restore takes from the snapshot what CloudFormation cannot set:
	// the engine's data, the master user (Username must be the snapshot's,
	// reserved names such as admin allowed, since RDS cannot rename it), the
	// database names (DatabaseName must be the application's database in
	// it) and the storage encryption: an encrypted snapshot restores
	// encrypted with its own key, an unencrypted one restores unencrypted
	// (copy it encrypted first: aws rds copy-db-snapshot --kms-key-id). With
	// it, EncryptionKey encrypts the generated secret only. Engine and
	// EngineVersion must be the snapshot's (or a minor upgrade of it), and
	// AllocatedStorageGiB at least its size.
	//
	// Keep it set for the life of the database: CloudFormation replaces an
	// instance whose DBSnapshotIdentifier changes or is removed, with a new
	// database (empty, or restored from the other snapshot); the old one
	// leaves a final snapshot. Not allowed with Existing.
	//
	// Default: "", an empty database is created.
	SnapshotIdentifier string
}

// Existing is a database the caller already has.
type Existing struct {
	// Instance is the database instance, e.g. from
	// awsrds.DatabaseInstance_FromDatabaseInstanceAttributes. Its security
	// groups are the ones AllowFrom opens. Required.
	Instance awsrds.IDatabaseInstance

	// Secret holds the credentials the application connects with, in the
	// RDS secret JSON layout (username, password, host, port, dbname). Required.
	Secret awssecretsmanager.ISecret

	// Engine is the engine the instance runs.
	//
	// Default: MySQL.
	Engine Engine
}

// Limits and defaults the props are checked against.
const (
	minStorageGiB    = 20
	maxStorageGiB    = 65536
	minMaxStorageGiB = 100
	minBackupDays    = 7
	maxBackupDays    = 35
	minPort          = 1150
	maxPort          = 65535
	defaultInstance  = "t3.medium"
	defaultDatabase  = "app"
	defaultUsername  = "tierkit_admin"
	slowQuerySeconds = 2
	auditEvents      = "CONNECT,QUERY_DDL,QUERY_DCL"
	defaultMonitor   = 60 * time.Second
)

// monitoringIntervals are the intervals Enhanced Monitoring accepts.
var monitoringIntervals = []time.Duration{time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second, time.Minute}

// noInsightsClass matches the classes on which RDS for MySQL and MariaDB
// do not support Performance Insights.
var noInsightsClass = regexp.MustCompile(`^t(2|3|4g)\.(micro|small)$`)

var (
	instanceClass = regexp.MustCompile(`^[a-z]+[0-9][a-z0-9-]*\.(micro|small|medium|large|[0-9]*xlarge)$`)
	identifier    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,62}$`)
	masterUser    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,15}$`)
	threePartVer  = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)
	twoPartVer    = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)
	reservedUsers = []string{"admin", "root", "postgres", "rdsadmin"}
	// snapshotID matches a DB snapshot's name (manual, or "rds:" automated)
	// or ARN; a cluster snapshot's does not.
	snapshotID     = regexp.MustCompile(`^(arn:aws(-cn|-us-gov)?:rds:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:snapshot:)?(rds:)?[A-Za-z][A-Za-z0-9-]{0,254}$`)
	wellKnownPorts = map[Engine]int{MySQL: 3306, MariaDB: 3306, Postgres: 5432}
	defaultPorts   = map[Engine]int{MySQL: 3307, MariaDB: 3307, Postgres: 5433}
)

func validEngine(e Engine) bool { return e == "" || e == MySQL || e == MariaDB || e == Postgres }

func engineOrDefault(e Engine) Engine {
	if e == "" {
		return MySQL
	}
	return e
}

// Validate reports what is wrong with p, naming the field and what is allowed.
func (p Props) Validate() error {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if p.Existing != nil {
		if p.Existing.Instance == nil {
			bad("Existing.Instance: missing; required when Existing is set")
		}
		if p.Existing.Secret == nil {
			bad("Existing.Secret: missing; required when Existing is set (the application reads its credentials from it)")
		}
		if !validEngine(p.Existing.Engine) {
			bad("Existing.Engine: %q is not supported; allowed: %q, %q, %q", p.Existing.Engine, MySQL, MariaDB, Postgres)
		}
		if p.SnapshotIdentifier != "" {
			bad("SnapshotIdentifier: set with Existing; allowed: one of them (an existing database is used as it is)")
		}
	} else if p.Vpc == nil {
		bad("Vpc: missing; required to create a database (or set Existing)")
	}
	if s := p.SnapshotIdentifier; s != "" && (!snapshotID.MatchString(s) || strings.Contains(s, "--") || strings.HasSuffix(s, "-")) {
		bad("SnapshotIdentifier: %q is not a DB snapshot name or ARN; allowed: a letter, then letters, digits and single hyphens (\"rds:\" first for an automated snapshot), or arn:aws:rds:<region>:<account>:snapshot:<name>", s)
	}

	engine := engineOrDefault(p.Engine)
	if !validEngine(p.Engine) {
		bad("Engine: %q is not supported; allowed: %q, %q, %q", p.Engine, MySQL, MariaDB, Postgres)
	} else if v := p.EngineVersion; v != "" {
		if engine == Postgres && !twoPartVer.MatchString(v) {
			bad("EngineVersion: %q is not a full PostgreSQL version; allowed: major.minor, e.g. 17.9", v)
		} else if engine != Postgres && !threePartVer.MatchString(v) {
			bad("EngineVersion: %q is not a full %s version; allowed: major.minor.patch, e.g. 8.4.10", v, engine)
		}
	}

	if p.InstanceType != "" && !instanceClass.MatchString(p.InstanceType) {
		bad("InstanceType: %q is not an RDS instance class; allowed: family.size without the \"db.\" prefix, e.g. t3.medium", p.InstanceType)
	} else if p.Existing == nil && !p.DisablePerformanceInsights && engine != Postgres && validEngine(p.Engine) && noInsightsClass.MatchString(p.InstanceType) {
		bad("InstanceType: %q does not support Performance Insights with %s (RDS supports it on neither micro nor small of t2, t3, t4g); allowed: a larger class, e.g. t3.medium, or set DisablePerformanceInsights", p.InstanceType, engine)
	}

	allocated := p.AllocatedStorageGiB
	if allocated == 0 {
		allocated = minStorageGiB
	} else if allocated < minStorageGiB || allocated > maxStorageGiB {
		bad("AllocatedStorageGiB: %d is out of range; allowed: %d to %d (0 for the default, %d)", allocated, minStorageGiB, maxStorageGiB, minStorageGiB)
	}
	if m := p.MaxAllocatedStorageGiB; m != 0 {
		if least := minAutoscalingCeiling(allocated); m < least || m > maxStorageGiB {
			bad("MaxAllocatedStorageGiB: %d is out of range; allowed: %d (10%% above AllocatedStorageGiB %d, as RDS requires) to %d", m, least, allocated, maxStorageGiB)
		}
	}

	if port := p.Port; port != 0 {
		if port < minPort || port > maxPort {
			bad("Port: %d is out of range; allowed: %d to %d, not the engine's default port", port, minPort, maxPort)
		} else if validEngine(p.Engine) && port == wellKnownPorts[engine] {
			bad("Port: %d is the %s default port (cdk-nag RDS11); allowed: any other port from %d to %d, e.g. %d", port, engine, minPort, maxPort, defaultPorts[engine])
		}
	}

	if p.DatabaseName != "" && !identifier.MatchString(p.DatabaseName) {
		bad("DatabaseName: %q is not a database name; allowed: a letter, then up to 62 letters, digits or underscores", p.DatabaseName)
	}
	if u := p.Username; u != "" {
		if !masterUser.MatchString(u) {
			bad("Username: %q is not an RDS master user name; allowed: a letter, then up to 15 letters, digits or underscores", u)
		}
		for _, r := range reservedUsers {
			// A restored database keeps the snapshot's master user.
			if strings.EqualFold(u, r) && p.SnapshotIdentifier == "" {
				bad("Username: %q is a default or reserved user name (Security Hub RDS.25); allowed: any other name, e.g. %q", u, defaultUsername)
			}
		}
	}

	if d := p.BackupRetentionDays; d != 0 && (d < minBackupDays || d > maxBackupDays) {
		bad("BackupRetentionDays: %d is out of range; allowed: %d to %d (0 for the default, %d)", d, minBackupDays, maxBackupDays, minBackupDays)
	}

	if problem := check.Retention("LogRetention", p.LogRetention); problem != "" {
		bad("%s", problem)
	}

	if m := p.MonitoringInterval; m != 0 {
		if p.DisableEnhancedMonitoring {
			bad("MonitoringInterval: set with DisableEnhancedMonitoring; allowed only with Enhanced Monitoring on")
		} else if !slices.Contains(monitoringIntervals, m) {
			bad("MonitoringInterval: %v is not an Enhanced Monitoring interval; allowed: 1s, 5s, 10s, 15s, 30s, 1m0s (0 for the default, 1m0s)", m)
		}
	}

	if p.Existing != nil && p.EncryptionKey != nil {
		bad("EncryptionKey: set with Existing; an existing database keeps its keys: import its secret with awssecretsmanager.Secret_FromSecretAttributes and its EncryptionKey, and GrantSecretRead grants kms:Decrypt")
	}

	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// minAutoscalingCeiling is the smallest storage autoscaling ceiling RDS
// accepts: 10% above the allocated storage.
func minAutoscalingCeiling(allocated int) int {
	return allocated + (allocated+9)/10
}

// Database is the tier's shared database: the one created here, or the one
// passed in as Existing.
type Database struct {
	constructs.Construct
	instance awsrds.IDatabaseInstance
	secret   awssecretsmanager.ISecret
	sg       awsec2.ISecurityGroup
	key      awskms.IKey
	engine   Engine
	port     int
}

// Instance returns the database instance.
func (d *Database) Instance() awsrds.IDatabaseInstance { return d.instance }

// Secret returns the secret holding the credentials (username, password,
// host, port, dbname): the only place the password is stored.
func (d *Database) Secret() awssecretsmanager.ISecret { return d.secret }

// Engine returns the database engine, e.g. to choose the PHP driver.
func (d *Database) Engine() Engine { return d.engine }

// Port returns the port the database listens on. It is 0 for an Existing
// instance whose port is not a literal number.
func (d *Database) Port() int { return d.port }

// EndpointPort returns the port as a string for the servers' settings: the
// configured one, or, when it is known only at deploy time, the instance's
// endpoint port (a token).
func (d *Database) EndpointPort() string {
	if d.Port() != 0 {
		return strconv.Itoa(d.Port())
	}
	return *d.Instance().DbInstanceEndpointPort()
}

// Endpoint returns the instance's host name (a CloudFormation token).
func (d *Database) Endpoint() string { return *d.instance.DbInstanceEndpointAddress() }

// SecurityGroup returns the security group created for the instance, or nil
// for an Existing instance (use Connections for its groups).
func (d *Database) SecurityGroup() awsec2.ISecurityGroup { return d.sg }

// Connections returns the instance's network connections, which makes a
// Database an awsec2.IConnectable.
func (d *Database) Connections() awsec2.Connections { return d.instance.Connections() }

// AllowFrom lets peer's security groups connect to the database port, and
// nothing else: no CIDR range, even if peer has one. It panics if peer has
// no security group. For an Existing instance the rules go on the security
// groups it was imported with.
func (d *Database) AllowFrom(peer awsec2.IConnectable) {
	groups := peer.Connections().SecurityGroups()
	if groups == nil || len(*groups) == 0 {
		panic(fmt.Sprintf("database %s: AllowFrom: the peer has no security group; the database accepts security groups only", *d.Node().Id()))
	}
	for _, sg := range *groups {
		// A literal port, not the instance's Endpoint.Port attribute: rules
		// checkers cannot read a token.
		if d.port != 0 {
			d.instance.Connections().AllowFrom(sg, awsec2.Port_Tcp(jsii.Number(d.port)), jsii.String("database clients"))
		} else {
			d.instance.Connections().AllowDefaultPortFrom(sg, jsii.String("database clients"))
		}
	}
}

// GrantSecretRead lets grantee read the credentials
// (secretsmanager:GetSecretValue and DescribeSecret on this secret only, and
// kms:Decrypt through Secrets Manager on its key when it has a customer
// managed one: Props.EncryptionKey, or an Existing secret imported with its
// EncryptionKey).
func (d *Database) GrantSecretRead(grantee awsiam.IGrantable) {
	if d.key == nil {
		d.secret.GrantRead(grantee, nil)
		return
	}
	// With the customer key, both grants go on grantee's own policy:
	// aws-secretsmanager's GrantRead would add grantee to the key's policy,
	// which makes the key's stack refer to the role's (a cycle when the key
	// comes from a shared stack). The key policy already lets the account's
	// principals use the key through Secrets Manager.
	awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee:      grantee,
		Actions:      jsii.Strings("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"),
		ResourceArns: &[]*string{d.secret.SecretArn()},
	})
	// Secrets Manager decrypts with the caller's permissions, with the
	// secret's ARN as encryption context: this secret only, through Secrets
	// Manager only.
	awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee:      grantee,
		Actions:      jsii.Strings("kms:Decrypt"),
		ResourceArns: &[]*string{d.key.KeyArn()},
		Conditions: &map[string]*map[string]any{"StringEquals": {
			"kms:ViaService":                  "secretsmanager." + *awscdk.Stack_Of(d).Region() + ".amazonaws.com",
			"kms:EncryptionContext:SecretARN": d.secret.SecretArn(),
		}},
	})
}

// New creates the database, or wraps Existing. It panics, naming id, when
// props are invalid.
func New(scope constructs.Construct, id string, props *Props) *Database {
	p := Props{}
	if props != nil {
		p = *props
	}
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("database %s: %v", id, err))
	}

	d := &Database{}
	constructs.NewConstruct_Override(d, scope, jsii.String(id))
	if p.Existing != nil {
		d.instance = p.Existing.Instance
		d.secret = p.Existing.Secret
		d.engine = engineOrDefault(p.Existing.Engine)
		if port, err := strconv.Atoi(*d.instance.DbInstanceEndpointPort()); err == nil {
			d.port = port
		}
		return d
	}
	d.create(p)
	return d
}

// create builds the instance and everything around it.
func (d *Database) create(p Props) {
	d.engine = engineOrDefault(p.Engine)
	d.key = p.EncryptionKey
	if p.InstanceType == "" {
		p.InstanceType = defaultInstance
	}
	if p.AllocatedStorageGiB == 0 {
		p.AllocatedStorageGiB = minStorageGiB
	}
	if p.MaxAllocatedStorageGiB == 0 {
		p.MaxAllocatedStorageGiB = min(max(2*p.AllocatedStorageGiB, minMaxStorageGiB), maxStorageGiB)
	}
	var maxStorage *float64 // nil: no autoscaling, the allocation is already near the largest
	if p.MaxAllocatedStorageGiB >= minAutoscalingCeiling(p.AllocatedStorageGiB) {
		maxStorage = jsii.Number(p.MaxAllocatedStorageGiB)
	}
	d.port = p.Port
	if d.port == 0 {
		d.port = defaultPorts[d.engine]
	}
	if p.DatabaseName == "" {
		p.DatabaseName = defaultDatabase
	}
	if p.Username == "" {
		p.Username = defaultUsername
	}
	if p.BackupRetentionDays == 0 {
		p.BackupRetentionDays = minBackupDays
	}
	if p.LogRetention == "" {
		p.LogRetention = awslogs.RetentionDays_ONE_YEAR
	}

	engine, exports, parameters, audit := engineSettings(d.engine, p.EngineVersion)

	// The group has no ingress until AllowFrom, and the database opens no
	// outbound connections.
	sg := awsec2.NewSecurityGroup(d, jsii.String("SecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              p.Vpc,
		Description:      jsii.String("Database: accepts the security groups AllowFrom names, on the database port"),
		AllowAllOutbound: jsii.Bool(false),
	})
	d.sg = sg

	parameterGroup := awsrds.NewParameterGroup(d, jsii.String("Parameters"), &awsrds.ParameterGroupProps{
		Engine:      engine,
		Description: jsii.String("TLS-only connections and slow query logging"),
		Parameters:  &parameters,
	})
	var optionGroup awsrds.IOptionGroup
	if audit {
		// The audit log export is empty without the audit plugin. It records
		// logins and schema and privilege changes, not every query: that would
		// copy the application's data into the logs.
		optionGroup = awsrds.NewOptionGroup(d, jsii.String("Options"), &awsrds.OptionGroupProps{
			Engine:      engine,
			Description: jsii.String("Audit plugin for the exported audit log"),
			Configurations: &[]*awsrds.OptionConfiguration{{
				Name:     jsii.String("MARIADB_AUDIT_PLUGIN"),
				Settings: &map[string]*string{"SERVER_AUDIT_EVENTS": jsii.String(auditEvents)},
			}},
		})
	}

	// The secret carries dbname too, so that it alone describes the
	// connection. "Secret" and a hash of the excluded characters form its
	// logical ID: changing either replaces the secret and the password.
	generated := awsrds.NewDatabaseSecret(d, jsii.String("Secret"), &awsrds.DatabaseSecretProps{
		Username:                         jsii.String(p.Username),
		Dbname:                           jsii.String(p.DatabaseName),
		ExcludeCharacters:                jsii.String(PasswordExcludedCharacters),
		ReplaceOnPasswordCriteriaChanges: jsii.Bool(true),
		// Changing the key re-encrypts the secret in place; the key is not
		// part of its logical ID (only the excluded characters are).
		EncryptionKey: p.EncryptionKey,
	})
	// It is the only copy of the password a final snapshot needs, so it
	// outlives the instance.
	generated.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN)

	// Enhanced Monitoring and Performance Insights change the instance in
	// place; aws-rds creates the monitoring role ("MonitoringRole" in the
	// instance).
	var monitoring awscdk.Duration
	if !p.DisableEnhancedMonitoring {
		if p.MonitoringInterval == 0 {
			p.MonitoringInterval = defaultMonitor
		}
		monitoring = awscdk.Duration_Seconds(jsii.Number(p.MonitoringInterval.Seconds()))
	}
	var insightsKey awskms.IKey
	var insightsRetention awsrds.PerformanceInsightRetention
	if !p.DisablePerformanceInsights {
		insightsKey, insightsRetention = p.EncryptionKey, awsrds.PerformanceInsightRetention_DEFAULT
	}

	props := &awsrds.DatabaseInstanceProps{
		Engine:             engine,
		InstanceType:       awsec2.NewInstanceType(jsii.String(p.InstanceType)),
		Vpc:                p.Vpc,
		VpcSubnets:         &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED},
		SecurityGroups:     &[]awsec2.ISecurityGroup{sg},
		PubliclyAccessible: jsii.Bool(false),
		Port:               jsii.Number(d.port),
		MultiAz:            jsii.Bool(true),
		StorageEncrypted:   jsii.Bool(true),
		// A customer key is set only at creation: changing it replaces the
		// instance (see Props.EncryptionKey).
		StorageEncryptionKey:    p.EncryptionKey,
		StorageType:             awsrds.StorageType_GP3,
		AllocatedStorage:        jsii.Number(p.AllocatedStorageGiB),
		MaxAllocatedStorage:     maxStorage,
		DatabaseName:            jsii.String(p.DatabaseName),
		Credentials:             awsrds.Credentials_FromSecret(generated, jsii.String(p.Username)),
		CaCertificate:           awsrds.CaCertificate_RDS_CA_RSA2048_G1(),
		ParameterGroup:          parameterGroup,
		OptionGroup:             optionGroup,
		BackupRetention:         awscdk.Duration_Days(jsii.Number(p.BackupRetentionDays)),
		CopyTagsToSnapshot:      jsii.Bool(true),
		DeletionProtection:      jsii.Bool(!p.DisableDeletionProtection),
		RemovalPolicy:           awscdk.RemovalPolicy_SNAPSHOT,
		AutoMinorVersionUpgrade: jsii.Bool(true),
		CloudwatchLogsExports:   jsii.Strings(exports...),
		CloudwatchLogsRetention: p.LogRetention,

		MonitoringInterval:              monitoring,
		EnablePerformanceInsights:       jsii.Bool(!p.DisablePerformanceInsights),
		PerformanceInsightRetention:     insightsRetention,
		PerformanceInsightEncryptionKey: insightsKey,
	}
	// "Instance" is part of the instance's logical ID: renaming it replaces
	// the database. A restored instance has the same ID, and so has its
	// subnet group.
	var instance interface {
		awsrds.IDatabaseInstance
		Secret() awssecretsmanager.ISecret
	}
	if p.SnapshotIdentifier == "" {
		instance = awsrds.NewDatabaseInstance(d, jsii.String("Instance"), props)
	} else {
		instance = awsrds.NewDatabaseInstanceFromSnapshot(d, jsii.String("Instance"), fromSnapshot(props, p.SnapshotIdentifier, generated))
	}
	d.instance = instance
	if role := instance.Node().TryFindChild(jsii.String("MonitoringRole")); role != nil {
		cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
			Id:        jsii.String("AwsSolutions-IAM4"),
			Reason:    jsii.String("Enhanced Monitoring's role, assumed by monitoring.rds.amazonaws.com only: the AWS managed AmazonRDSEnhancedMonitoringRole lets RDS write OS metrics to the RDSOSMetrics log group (logs:CreateLogGroup, PutRetentionPolicy, CreateLogStream, PutLogEvents, DescribeLogStreams, GetLogEvents on RDS* log groups), and AWS keeps it current."),
			AppliesTo: &[]any{"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"},
		}}, jsii.Bool(false))
	}

	// The instance's secret is the generated one attached to it: its ARN
	// resolves once host, port and engine are in it.
	d.secret = instance.Secret()
	cdknag.NagSuppressions_AddResourceSuppressions(generated.Node().DefaultChild(), &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-SMG4"),
		Reason: jsii.String("Not rotated automatically: the servers read the password at every start (Laravel .env, Nextcloud config.php), so a single-user rotation breaks every running server until it restarts. Rotation without an outage needs alternating users: an application user and its clone beside the generated one, which the tiers do not create, and servers never more than one rotation behind, which fixed servers that are not restarted cannot promise. Rotate by hand, then roll the fleet (an instance refresh or a restart of each server picks up the new password)."),
	}}, jsii.Bool(false))
	suppressLogRetentionFindings(d)
	if p.SnapshotIdentifier != "" {
		cdknag.NagSuppressions_AddResourceSuppressions(instance, &[]*cdknag.NagPackSuppression{{
			Id:     jsii.String("AwsSolutions-RDS2"),
			Reason: jsii.String("Restored from SnapshotIdentifier: the storage encryption and its key come from the snapshot, and CloudFormation refuses StorageEncrypted and KmsKeyId on a restore. An encrypted snapshot restores encrypted; an unencrypted one must be copied encrypted (aws rds copy-db-snapshot --kms-key-id) before it is named here."),
		}}, jsii.Bool(false))
	}
	if p.DisableDeletionProtection {
		cdknag.NagSuppressions_AddResourceSuppressions(instance, &[]*cdknag.NagPackSuppression{{
			Id:     jsii.String("AwsSolutions-RDS10"),
			Reason: jsii.String("DisableDeletionProtection is set for a throw-away environment; a final snapshot is still taken on delete."),
		}}, jsii.Bool(false))
	}
}

// fromSnapshot returns the props of an instance restored from snapshot with
// everything of props but what a restore takes from the snapshot and
// CloudFormation refuses to set then: the storage encryption and its key
// (StorageEncrypted, KmsKeyId), the Performance Insights key, the database
// name and the master user name. The master password is reset to secret's.
func fromSnapshot(props *awsrds.DatabaseInstanceProps, snapshot string, secret awssecretsmanager.ISecret) *awsrds.DatabaseInstanceFromSnapshotProps {
	return &awsrds.DatabaseInstanceFromSnapshotProps{
		SnapshotIdentifier: jsii.String(snapshot),
		Credentials:        awsrds.SnapshotCredentials_FromSecret(secret),

		Engine: props.Engine, InstanceType: props.InstanceType,
		Vpc: props.Vpc, VpcSubnets: props.VpcSubnets, SecurityGroups: props.SecurityGroups,
		PubliclyAccessible: props.PubliclyAccessible, Port: props.Port, MultiAz: props.MultiAz,
		StorageType: props.StorageType, AllocatedStorage: props.AllocatedStorage, MaxAllocatedStorage: props.MaxAllocatedStorage,
		CaCertificate: props.CaCertificate, ParameterGroup: props.ParameterGroup, OptionGroup: props.OptionGroup,
		BackupRetention: props.BackupRetention, CopyTagsToSnapshot: props.CopyTagsToSnapshot,
		DeletionProtection: props.DeletionProtection, RemovalPolicy: props.RemovalPolicy,
		AutoMinorVersionUpgrade: props.AutoMinorVersionUpgrade,
		CloudwatchLogsExports:   props.CloudwatchLogsExports, CloudwatchLogsRetention: props.CloudwatchLogsRetention,
		MonitoringInterval:        props.MonitoringInterval,
		EnablePerformanceInsights: props.EnablePerformanceInsights, PerformanceInsightRetention: props.PerformanceInsightRetention,
	}
}

// logRetentionID is the id of aws-cdk's LogRetention function, one per stack,
// which sets the retention of the log groups RDS creates on first export.
const logRetentionID = "LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a"

// suppressLogRetentionFindings records the reviewed cdk-nag exceptions of
// aws-cdk's LogRetention function on its role, the narrowest construct that
// carries them. The function is a stack singleton other blocks may share.
func suppressLogRetentionFindings(d *Database) {
	fn := awscdk.Stack_Of(d).Node().TryFindChild(jsii.String(logRetentionID))
	if fn == nil {
		return
	}
	role := fn.Node().TryFindChild(jsii.String("ServiceRole"))
	if role == nil {
		return
	}
	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM4"),
		Reason:    jsii.String("aws-cdk's LogRetention function writes its own logs with the AWS managed basic execution policy (logs:CreateLogGroup/CreateLogStream/PutLogEvents)."),
		AppliesTo: &[]any{"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"},
	}, {
		Id:        jsii.String("AwsSolutions-IAM5"),
		Reason:    jsii.String("aws-cdk's LogRetention function sets retention (logs:PutRetentionPolicy/DeleteRetentionPolicy only) on log groups named after resources created in the same deployment, such as /aws/rds/instance/<generated id>/error."),
		AppliesTo: &[]any{"Resource::*"},
	}}, jsii.Bool(true))
}

// engineSettings returns the engine with its version, the logs to export,
// the parameters, and whether the audit plugin is needed for the audit log.
func engineSettings(e Engine, version string) (awsrds.IInstanceEngine, []string, map[string]*string, bool) {
	major := func(parts int) *string {
		return jsii.String(strings.Join(strings.Split(version, ".")[:parts], "."))
	}
	// MySQL and MariaDB write the slow query log to files only with
	// log_output FILE, and only files can be exported.
	mysqlParameters := map[string]*string{
		"require_secure_transport": jsii.String("1"),
		"slow_query_log":           jsii.String("1"),
		"long_query_time":          jsii.String(strconv.Itoa(slowQuerySeconds)),
		"log_output":               jsii.String("FILE"),
	}
	mysqlExports := []string{"error", "general", "slowquery", "audit"}
	switch e {
	case MariaDB:
		v := awsrds.MariaDbEngineVersion_VER_11_8_6()
		if version != "" {
			v = awsrds.MariaDbEngineVersion_Of(jsii.String(version), major(2))
		}
		return awsrds.DatabaseInstanceEngine_MariaDb(&awsrds.MariaDbInstanceEngineProps{Version: v}), mysqlExports, mysqlParameters, true
	case Postgres:
		v := awsrds.PostgresEngineVersion_VER_17_9()
		if version != "" {
			v = awsrds.PostgresEngineVersion_Of(jsii.String(version), major(1), nil)
		}
		parameters := map[string]*string{
			"rds.force_ssl":              jsii.String("1"),
			"log_min_duration_statement": jsii.String(strconv.Itoa(slowQuerySeconds * 1000)),
		}
		return awsrds.DatabaseInstanceEngine_Postgres(&awsrds.PostgresInstanceEngineProps{Version: v}), []string{"postgresql", "upgrade"}, parameters, false
	default:
		v := awsrds.MysqlEngineVersion_VER_8_4_10()
		if version != "" {
			v = awsrds.MysqlEngineVersion_Of(jsii.String(version), major(2))
		}
		return awsrds.DatabaseInstanceEngine_Mysql(&awsrds.MySqlInstanceEngineProps{Version: v}), mysqlExports, mysqlParameters, true
	}
}
