// Package databasetest builds the database block's test fixtures: the stacks
// the block's own tests assert on, which internal/conformance also builds,
// with every other block's, into one app checked by aws-cdk-lib's
// CloudFormation validation and cdk-nag (one validation engine for all the
// blocks, instead of one per test process).
package databasetest

import (
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

	"github.com/tierkit/tierkit/constructs/database"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// IsolatedSubnets are the isolated subnets of the test VPC (ImportedVpc):
// the database's subnet group must use exactly these.
var IsolatedSubnets = []string{"subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"}

// The existing database of the "existing" stack: its security group and
// the ARN of its secret.
const (
	ExistingSG        = "sg-0123456789abcdef0"
	ExistingSecretARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:tierkit/db-AbCdEf"
)

// SnapshotARN is the snapshot the "restored" stack restores.
const SnapshotARN = "arn:aws:rds:us-east-1:123456789012:snapshot:app-final-2026-12-01"

// Fixtures are the block's test stacks, by name, and the databases in them.
type Fixtures struct {
	// Stacks are "mysql" (stack "Test": the default database, MySQL, opened
	// to a fleet security group and read by an instance role), "others"
	// (stack "Others": PostgreSQL with every size and retention prop set,
	// deletion protection, Enhanced Monitoring and Performance Insights
	// off, next to MariaDB with defaults), "keyed" (stack "Keyed": MySQL
	// with a customer managed key and Enhanced Monitoring every 10
	// seconds), "restored" (stack "Restored": MySQL restored from
	// SnapshotARN, master user "admin", database "laravel", with a customer
	// managed key) and "existing" (stack "Existing": a database the caller
	// already has, wrapped).
	Stacks map[string]awscdk.Stack
	// Created and Existing are the databases of "mysql" and "existing".
	Created, Existing *database.Database
	// ExistingInstance and ExistingSecret are what "existing" wraps.
	ExistingInstance awsrds.IDatabaseInstance
	ExistingSecret   awssecretsmanager.ISecret
}

// New builds the fixtures' stacks in scope, an app or a construct of one.
func New(scope constructs.Construct) *Fixtures {
	f := &Fixtures{Stacks: map[string]awscdk.Stack{}}
	f.Stacks["mysql"] = f.mysqlStack(scope)
	f.Stacks["others"] = othersStack(scope)
	f.Stacks["existing"] = f.existingStack(scope)
	f.Stacks["keyed"] = keyedStack(scope)
	f.Stacks["restored"] = restoredStack(scope)
	return f
}

func (f *Fixtures) mysqlStack(scope constructs.Construct) awscdk.Stack {
	stack := cdktest.NewStack(scope, "Test")
	vpc := ImportedVpc(stack)
	f.Created = database.New(stack, "Database", &database.Props{Vpc: vpc})
	fleet, role := FleetAndRole(stack, vpc)
	f.Created.AllowFrom(fleet)
	f.Created.GrantSecretRead(role)
	return stack
}

func othersStack(scope constructs.Construct) awscdk.Stack {
	stack := cdktest.NewStack(scope, "Others")
	vpc := ImportedVpc(stack)
	fleet, role := FleetAndRole(stack, vpc)
	pg := database.New(stack, "Postgres", &database.Props{
		Vpc:                        vpc,
		Engine:                     database.Postgres,
		InstanceType:               "m7g.large",
		AllocatedStorageGiB:        50,
		MaxAllocatedStorageGiB:     200,
		BackupRetentionDays:        14,
		LogRetention:               awslogs.RetentionDays_SIX_MONTHS,
		DisableDeletionProtection:  true,
		DisableEnhancedMonitoring:  true,
		DisablePerformanceInsights: true,
	})
	maria := database.New(stack, "MariaDB", &database.Props{Vpc: vpc, Engine: database.MariaDB})
	for _, db := range []*database.Database{pg, maria} {
		db.AllowFrom(fleet)
		db.GrantSecretRead(role)
	}
	return stack
}

func keyedStack(scope constructs.Construct) awscdk.Stack {
	stack := cdktest.NewStack(scope, "Keyed")
	vpc := ImportedVpc(stack)
	key := awskms.NewKey(stack, jsii.String("Key"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true), RemovalPolicy: awscdk.RemovalPolicy_RETAIN})
	db := database.New(stack, "Database", &database.Props{Vpc: vpc, EncryptionKey: key, MonitoringInterval: 10 * time.Second})
	fleet, role := FleetAndRole(stack, vpc)
	db.AllowFrom(fleet)
	db.GrantSecretRead(role)
	return stack
}

func restoredStack(scope constructs.Construct) awscdk.Stack {
	stack := cdktest.NewStack(scope, "Restored")
	vpc := ImportedVpc(stack)
	key := awskms.NewKey(stack, jsii.String("Key"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true), RemovalPolicy: awscdk.RemovalPolicy_RETAIN})
	db := database.New(stack, "Database", &database.Props{
		Vpc: vpc, SnapshotIdentifier: SnapshotARN, Username: "admin", DatabaseName: "laravel", EncryptionKey: key,
	})
	fleet, role := FleetAndRole(stack, vpc)
	db.AllowFrom(fleet)
	db.GrantSecretRead(role)
	return stack
}

func (f *Fixtures) existingStack(scope constructs.Construct) awscdk.Stack {
	stack := cdktest.NewStack(scope, "Existing")
	vpc := ImportedVpc(stack)
	f.ExistingInstance = awsrds.DatabaseInstance_FromDatabaseInstanceAttributes(stack, jsii.String("AppDB"), &awsrds.DatabaseInstanceAttributes{
		InstanceIdentifier:      jsii.String("app-db"),
		InstanceEndpointAddress: jsii.String("app-db.abcdefghijkl.us-east-1.rds.amazonaws.com"),
		Port:                    jsii.Number(3307),
		SecurityGroups:          &[]awsec2.ISecurityGroup{awsec2.SecurityGroup_FromSecurityGroupId(stack, jsii.String("AppDBSG"), jsii.String(ExistingSG), nil)},
	})
	f.ExistingSecret = awssecretsmanager.Secret_FromSecretCompleteArn(stack, jsii.String("AppDBSecret"), jsii.String(ExistingSecretARN))
	f.Existing = database.New(stack, "Database", &database.Props{
		Existing: &database.Existing{Instance: f.ExistingInstance, Secret: f.ExistingSecret, Engine: database.MariaDB},
	})
	fleet, role := FleetAndRole(stack, vpc)
	f.Existing.AllowFrom(fleet)
	f.Existing.GrantSecretRead(role)
	return stack
}

// ImportedVpc stands in for the network block's VPC: public, private and
// "Isolated" subnets in two AZs, imported by attributes (no VPC resources
// of its own to synthesize or nag).
func ImportedVpc(scope awscdk.Stack) awsec2.IVpc {
	return awsec2.Vpc_FromVpcAttributes(scope, jsii.String("Vpc"), &awsec2.VpcAttributes{
		VpcId:                       jsii.String("vpc-0123456789abcdef0"),
		VpcCidrBlock:                jsii.String("10.0.0.0/16"),
		AvailabilityZones:           jsii.Strings("us-east-1a", "us-east-1b"),
		PublicSubnetIds:             jsii.Strings("subnet-0eeeeeeeeeeeeeeee", "subnet-0ffffffffffffffff"),
		PublicSubnetRouteTableIds:   jsii.Strings("rtb-0eeeeeeeeeeeeeeee", "rtb-0ffffffffffffffff"),
		PrivateSubnetIds:            jsii.Strings("subnet-0cccccccccccccccc", "subnet-0dddddddddddddddd"),
		PrivateSubnetRouteTableIds:  jsii.Strings("rtb-0cccccccccccccccc", "rtb-0dddddddddddddddd"),
		IsolatedSubnetIds:           jsii.Strings(IsolatedSubnets...),
		IsolatedSubnetRouteTableIds: jsii.Strings("rtb-0aaaaaaaaaaaaaaaa", "rtb-0bbbbbbbbbbbbbbbb"),
		IsolatedSubnetNames:         jsii.Strings("Isolated"),
	})
}

// FleetAndRole stand in for the fleet block: its security group and its instance role.
func FleetAndRole(stack awscdk.Stack, vpc awsec2.IVpc) (awsec2.SecurityGroup, awsiam.Role) {
	fleet := awsec2.NewSecurityGroup(stack, jsii.String("Fleet"), &awsec2.SecurityGroupProps{Vpc: vpc})
	role := awsiam.NewRole(stack, jsii.String("AppRole"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("ec2.amazonaws.com"), nil)})
	return fleet, role
}
