package config

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/tierkit/tierkit/internal/check"
)

// Brought is what a tier brings from the team's account instead of
// creating it: its database (as it is, or restored from a snapshot) and
// its uploads bucket. Its keys sit in the tier's object next to the web
// tier's and the application's, e.g.
// "tiers": {"laravel": {"uploadsBucket": "example-uploads"}}.
type Brought struct {
	// ExistingDatabase is the team's RDS instance, used as it is: nothing
	// of the environment's database settings applies to it. Requires the
	// environment's vpc (the fleet must run where it can reach the
	// database); not with databaseSnapshot. Default: none.
	ExistingDatabase *ExistingDatabase `json:"existingDatabase"`
	// DatabaseSnapshot restores the tier's database from a snapshot of the
	// team's, with the environment's database settings. Keep it in the
	// configuration for the life of the database: removing or changing it
	// replaces the database. Default: none, an empty database.
	DatabaseSnapshot *DatabaseSnapshot `json:"databaseSnapshot"`
	// UploadsBucket is the name of the team's uploads bucket, used in place
	// instead of a new one (its CORS, versioning, logging, encryption and
	// replication stay the team's to set). Default: "", a new bucket.
	UploadsBucket string `json:"uploadsBucket"`
}

// ExistingDatabase identifies an RDS instance without a lookup.
type ExistingDatabase struct {
	// InstanceIdentifier is the instance's name, e.g. "app-db". Required.
	InstanceIdentifier string `json:"instanceIdentifier"`
	// Endpoint is its address, e.g. "app-db.abcdefghijkl.eu-west-1.rds.amazonaws.com". Required.
	Endpoint string `json:"endpoint"`
	// Port is the port it listens on, 1150 to 65535. Required.
	Port int `json:"port"`
	// Engine is "mysql", "mariadb" or "postgres". Default: "mysql".
	Engine string `json:"engine"`
	// SecretARN is the complete ARN (with its 6-character suffix) of the
	// Secrets Manager secret holding username, password (and dbname) in the
	// RDS layout. Required.
	SecretARN string `json:"secretArn"`
	// SecretKMSKeyARN is the customer managed key the secret is encrypted
	// with, so that the servers' role may decrypt it. Default: none, the
	// AWS managed key.
	SecretKMSKeyARN string `json:"secretKmsKeyArn"`
	// SecurityGroupID is the instance's security group, e.g.
	// "sg-0123456789abcdef0": the stack adds an ingress rule on it for the
	// fleet. Required.
	SecurityGroupID string `json:"securityGroupId"`
	// DatabaseName is the application's database in the instance. Default: "app".
	DatabaseName string `json:"databaseName"`
}

// DatabaseSnapshot is the DB snapshot a tier's database is restored from.
type DatabaseSnapshot struct {
	// ID is the snapshot's name or ARN (required for a snapshot shared from
	// another account). Required.
	ID string `json:"id"`
	// Username is the snapshot's master user, which a restore keeps.
	// Default: "tierkit_admin" (a tierkit database's).
	Username string `json:"username"`
	// DatabaseName is the application's database in the snapshot. Default: "app".
	DatabaseName string `json:"databaseName"`
	// EngineVersion is the snapshot's full engine version, e.g. "8.0.39".
	// Default: the database block's (MySQL 8.4.10, MariaDB 11.8.6, PostgreSQL 17.9).
	EngineVersion string `json:"engineVersion"`
}

// VPC identifies the team's VPC without a lookup: the tiers run in it
// instead of a new one, e.g. to reach an existing database.
type VPC struct {
	// ID is the VPC's id, e.g. "vpc-0123456789abcdef0". Required.
	ID string `json:"id"`
	// CIDR is its IPv4 range, e.g. "172.31.0.0/16". Required.
	CIDR string `json:"cidr"`
	// AvailabilityZones are the zones its subnets are in, in the order of
	// the subnet lists, at least 2. Required.
	AvailabilityZones []string `json:"availabilityZones"`
	// PublicSubnetIDs are the load balancer's subnets (with a route to an
	// internet gateway), one per zone. Required.
	PublicSubnetIDs []string `json:"publicSubnetIds"`
	// PublicSubnetCIDRs are the IPv4 ranges of PublicSubnetIDs, in their
	// order: the applications trust X-Forwarded-For from the load
	// balancer's subnets only, not from the whole VPC. Required.
	PublicSubnetCIDRs []string `json:"publicSubnetCidrs"`
	// PrivateSubnetIDs are the servers' subnets (with a route to a NAT
	// gateway), one per zone. Required.
	PrivateSubnetIDs []string `json:"privateSubnetIds"`
	// PrivateSubnetCIDRs are the IPv4 ranges of PrivateSubnetIDs, in their
	// order: the trusted proxies of an internal load balancer. Required.
	PrivateSubnetCIDRs []string `json:"privateSubnetCidrs"`
	// IsolatedSubnetIDs are the database's and cache's subnets (no route to
	// the internet), one per zone. Required.
	IsolatedSubnetIDs []string `json:"isolatedSubnetIds"`
}

var (
	vpcID        = regexp.MustCompile(`^vpc-([0-9a-f]{8}|[0-9a-f]{17})$`)
	subnetID     = regexp.MustCompile(`^subnet-([0-9a-f]{8}|[0-9a-f]{17})$`)
	sgID         = regexp.MustCompile(`^sg-([0-9a-f]{8}|[0-9a-f]{17})$`)
	dbInstanceID = regexp.MustCompile(`^[A-Za-z]([A-Za-z0-9]|-[A-Za-z0-9]){0,62}$`)
	secretARN    = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:secretsmanager:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$`)
	kmsKeyARN    = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:kms:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:key/(mrk-)?[0-9a-f-]+$`)
	dbSnapshot   = regexp.MustCompile(`^(arn:aws(-cn|-us-gov)?:rds:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:snapshot:)?(rds:)?[A-Za-z]([A-Za-z0-9]|-[A-Za-z0-9]){0,254}$`)
	dbName       = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,62}$`)
	dbUser       = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,15}$`)
	bucketName   = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	threePart    = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)
	twoPart      = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)
)

// explicit records which environment settings cdk.json sets, before
// validate fills in their defaults.
type explicit struct {
	vpcCIDR, natGateways, zones bool
	database                    []string
}

func (e *Environment) explicitSettings() explicit {
	x := explicit{vpcCIDR: e.VPCCIDR != "", natGateways: e.NATGateways != nil, zones: len(e.AvailabilityZones) > 0}
	d := e.Database
	for key, set := range map[string]bool{"engine": d.Engine != "", "instanceType": d.InstanceType != "", "allocatedStorageGiB": d.AllocatedStorageGiB != nil,
		"performanceInsights": d.PerformanceInsights != nil, "enhancedMonitoringSeconds": d.EnhancedMonitoringSeconds != nil} {
		if set {
			x.database = append(x.database, key)
		}
	}
	slices.Sort(x.database)
	return x
}

// validateBrought checks the environment's vpc and what each tier brings
// (see Brought), and refuses the settings they make ignored.
func (e *Environment) validateBrought(path string, x explicit, p *problems) {
	at := func(key string) string { return join(path, key) }
	if e.VPC != nil {
		e.VPC.validate(at("vpc"), e.Region, p)
		for key, set := range map[string]bool{"vpcCidr": x.vpcCIDR, "natGateways": x.natGateways, "dualStack": e.DualStack} {
			if set {
				p.add(at(key), "configures a new VPC, but vpc names the team's; allowed: leave it out (the team's VPC keeps its ranges and NAT gateways)")
			}
		}
		if x.zones {
			p.add(at("availabilityZones"), "the zones of the team's VPC are vpc.availabilityZones; allowed: leave it out")
		}
	}
	var existingDB, existingBucket []string
	for _, name := range e.TierNames() {
		b := e.Tiers[name].Brought
		tier := join(at("tiers"), name)
		if d := b.ExistingDatabase; d != nil {
			existingDB = append(existingDB, name)
			if e.VPC == nil {
				p.add(join(tier, "existingDatabase"), "requires the environment's vpc: an existing database lives in the team's VPC, and the fleet must run there to reach it")
			}
			if b.DatabaseSnapshot != nil {
				p.add(join(tier, "databaseSnapshot"), "set with existingDatabase; allowed: one of them (use the instance as it is, or restore a copy of it)")
			}
			d.validate(join(tier, "existingDatabase"), p)
		}
		if s := b.DatabaseSnapshot; s != nil {
			s.validate(join(tier, "databaseSnapshot"), e.Database.Engine, p)
		}
		if n := b.UploadsBucket; n != "" {
			existingBucket = append(existingBucket, name)
			if _, err := netip.ParseAddr(n); !bucketName.MatchString(n) || strings.Contains(n, "..") || strings.Contains(n, ".-") || strings.Contains(n, "-.") || err == nil {
				p.add(join(tier, "uploadsBucket"), "%q is not a bucket name; allowed: 3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit, e.g. example-uploads", n)
			}
		}
	}
	if len(existingDB) > 0 {
		for _, key := range x.database {
			p.add(join(at("database"), key), "ignored by the existing database of tier %s (existingDatabase is used as it is); allowed: leave it out", strings.Join(existingDB, ", "))
		}
	}
	if len(existingBucket) > 0 && e.Backup.ReplicateUploadsTo != "" {
		p.add(at("backup.replicateUploadsTo"), "ignored by the existing uploads bucket of tier %s (the stack cannot change an imported bucket); allowed: leave it out and replicate on the bucket itself", strings.Join(existingBucket, ", "))
	}
}

func (v *VPC) validate(path, region string, p *problems) {
	at := func(key string) string { return join(path, key) }
	checkRequired(at("id"), v.ID, "the VPC's id, e.g. vpc-0123456789abcdef0", p)
	if v.ID != "" && !vpcID.MatchString(v.ID) {
		p.add(at("id"), "%q is not a VPC id; expected vpc- followed by 8 or 17 hexadecimal digits", v.ID)
	}
	checkRequired(at("cidr"), v.CIDR, "the VPC's IPv4 range, e.g. 172.31.0.0/16", p)
	if prefix, err := netip.ParsePrefix(v.CIDR); v.CIDR != "" && (err != nil || !prefix.Addr().Is4() || prefix.Masked() != prefix) {
		p.add(at("cidr"), "%q is not an IPv4 network; expected e.g. 172.31.0.0/16", v.CIDR)
	}
	zones := len(v.AvailabilityZones)
	if zones < 2 {
		p.add(at("availabilityZones"), "lists %d zones; allowed: the 2 or more zones the subnets are in, e.g. [\"%sa\", \"%sb\"]", zones, region, region)
	}
	for i, az := range v.AvailabilityZones {
		key := fmt.Sprintf("%s[%d]", at("availabilityZones"), i)
		switch {
		case !zoneName.MatchString(az):
			p.add(key, "%q is not an availability zone name; expected a region and a letter, e.g. eu-west-1a", az)
		case region != "" && az[:len(az)-1] != region:
			p.add(key, "%q is not in the environment's region %s", az, region)
		case slices.Index(v.AvailabilityZones, az) < i:
			p.add(key, "%q is listed twice", az)
		}
	}
	for key, ids := range map[string][]string{"publicSubnetIds": v.PublicSubnetIDs, "privateSubnetIds": v.PrivateSubnetIDs, "isolatedSubnetIds": v.IsolatedSubnetIDs} {
		if len(ids) == 0 || (zones > 0 && len(ids)%zones != 0) {
			p.add(at(key), "lists %d subnets; allowed: the same number in each zone of availabilityZones (%d), in their order", len(ids), zones)
		}
		for i, id := range ids {
			if !subnetID.MatchString(id) {
				p.add(fmt.Sprintf("%s[%d]", at(key), i), "%q is not a subnet id; expected subnet- followed by 8 or 17 hexadecimal digits", id)
			}
		}
	}
	vpc, _ := netip.ParsePrefix(v.CIDR)
	for _, l := range []struct {
		key, of    string
		cidrs, ids []string
	}{{"publicSubnetCidrs", "publicSubnetIds", v.PublicSubnetCIDRs, v.PublicSubnetIDs}, {"privateSubnetCidrs", "privateSubnetIds", v.PrivateSubnetCIDRs, v.PrivateSubnetIDs}} {
		if len(l.cidrs) != len(l.ids) {
			p.add(at(l.key), "lists %d ranges for %d subnets; allowed: the IPv4 range of each of %s, in its order (the applications trust X-Forwarded-For from the load balancer's subnets only)", len(l.cidrs), len(l.ids), l.of)
		}
		for i, c := range l.cidrs {
			prefix, err := netip.ParsePrefix(c)
			switch {
			case err != nil || !prefix.Addr().Is4() || prefix.Masked() != prefix:
				p.add(fmt.Sprintf("%s[%d]", at(l.key), i), "%q is not an IPv4 network; expected e.g. 172.31.0.0/20", c)
			case vpc.IsValid() && (prefix.Bits() < vpc.Bits() || !vpc.Contains(prefix.Addr())):
				p.add(fmt.Sprintf("%s[%d]", at(l.key), i), "%q is not inside the VPC's cidr %s", c, v.CIDR)
			}
		}
	}
}

func (d *ExistingDatabase) validate(path string, p *problems) {
	at := func(key string) string { return join(path, key) }
	checkRequired(at("instanceIdentifier"), d.InstanceIdentifier, "the instance's name, e.g. app-db", p)
	if d.InstanceIdentifier != "" && !dbInstanceID.MatchString(d.InstanceIdentifier) {
		p.add(at("instanceIdentifier"), "%q is not a DB instance identifier; expected a letter, then up to 62 letters, digits and single hyphens", d.InstanceIdentifier)
	}
	checkRequired(at("endpoint"), d.Endpoint, "the instance's address, e.g. app-db.abcdefghijkl.eu-west-1.rds.amazonaws.com", p)
	if d.Endpoint != "" && !check.HostName(d.Endpoint) {
		p.add(at("endpoint"), "%q is not a host name; expected e.g. app-db.abcdefghijkl.eu-west-1.rds.amazonaws.com", d.Endpoint)
	}
	checkRange(at("port"), d.Port, 1150, 65535, p)
	if d.Engine == "" {
		d.Engine = EngineMySQL
	}
	if engines := []string{EngineMySQL, EngineMariaDB, EnginePostgres}; !slices.Contains(engines, d.Engine) {
		p.add(at("engine"), "%q is not a database engine; allowed: %s", d.Engine, strings.Join(engines, ", "))
	}
	checkRequired(at("secretArn"), d.SecretARN, "the complete ARN of the secret with username and password", p)
	if d.SecretARN != "" && !secretARN.MatchString(d.SecretARN) {
		p.add(at("secretArn"), "%q is not a complete secret ARN; expected arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX (with the 6-character suffix)", d.SecretARN)
	}
	if d.SecretKMSKeyARN != "" && !kmsKeyARN.MatchString(d.SecretKMSKeyARN) {
		p.add(at("secretKmsKeyArn"), "%q is not a KMS key ARN; expected arn:aws:kms:REGION:ACCOUNT:key/KEY-ID (no alias)", d.SecretKMSKeyARN)
	}
	checkRequired(at("securityGroupId"), d.SecurityGroupID, "the instance's security group, e.g. sg-0123456789abcdef0", p)
	if d.SecurityGroupID != "" && !sgID.MatchString(d.SecurityGroupID) {
		p.add(at("securityGroupId"), "%q is not a security group id; expected sg- followed by 8 or 17 hexadecimal digits", d.SecurityGroupID)
	}
	if d.DatabaseName == "" {
		d.DatabaseName = "app"
	}
	if !dbName.MatchString(d.DatabaseName) {
		p.add(at("databaseName"), "%q is not a database name; expected a letter, then up to 62 letters, digits or underscores", d.DatabaseName)
	}
}

func (s *DatabaseSnapshot) validate(path, engine string, p *problems) {
	at := func(key string) string { return join(path, key) }
	checkRequired(at("id"), s.ID, "the snapshot's name or ARN, e.g. app-final-2026-12-01", p)
	if s.ID != "" && !dbSnapshot.MatchString(s.ID) {
		p.add(at("id"), "%q is not a DB snapshot name or ARN; expected a letter, then letters, digits and single hyphens (rds: first for an automated one), or arn:aws:rds:REGION:ACCOUNT:snapshot:NAME", s.ID)
	}
	if s.Username != "" && !dbUser.MatchString(s.Username) {
		p.add(at("username"), "%q is not a master user name; expected a letter, then up to 15 letters, digits or underscores", s.Username)
	}
	if s.DatabaseName != "" && !dbName.MatchString(s.DatabaseName) {
		p.add(at("databaseName"), "%q is not a database name; expected a letter, then up to 62 letters, digits or underscores", s.DatabaseName)
	}
	if v := s.EngineVersion; v != "" {
		if engine == EnginePostgres && !twoPart.MatchString(v) {
			p.add(at("engineVersion"), "%q is not a full PostgreSQL version; expected major.minor, e.g. 17.9", v)
		} else if engine != EnginePostgres && !threePart.MatchString(v) {
			p.add(at("engineVersion"), "%q is not a full %s version; expected major.minor.patch, e.g. 8.0.39", v, engine)
		}
	}
}
