package review

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// protection is how the data of one stateful resource survives a mistake:
// its backups, what its deletion and replacement policies keep, the key that
// encrypts it, and its copies elsewhere. A value the review cannot read (an
// unknown shape, a condition) is "?".
type protection struct {
	ID, Backup, Retention, Encryption, Replication string
}

// protections lists the protection of every stateful resource of the stack,
// the resources the stateful section lists, in the same order.
func protections(s Stack) []protection {
	t := s.Template
	var out []protection
	for _, id := range t.ids(StatefulTypes...) {
		r := t.Resources[id]
		backup, copies := backupPlansOf(t, s.Tags, id)
		backup = append(backup, ownBackups(t, id)...)
		out = append(out, protection{
			ID:          id,
			Backup:      orNone(backup),
			Retention:   retention(r),
			Encryption:  encryption(t, r),
			Replication: orNone(append(replicas(t, id), copies...)),
		})
	}
	return out
}

func orNone(parts []string) string {
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "; ")
}

// number renders a number of the template: the literal (JSON number or
// numeric string), a reference as ${Id}, or "?".
func number(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case string:
		if _, err := strconv.ParseFloat(x, 64); err == nil {
			return x
		}
	case map[string]any:
		if _, ok := x["Ref"]; ok && len(x) == 1 {
			return expr(x)
		}
	}
	return "?"
}

// boolean reads a boolean of the template; known is false for an
// expression. A missing value is false.
func boolean(v any) (value, known bool) {
	switch x := v.(type) {
	case nil:
		return false, true
	case bool:
		return x, true
	case string:
		switch strings.ToLower(x) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

// tri is what the review knows of a yes-or-no question: no, unknown, yes
// (ordered: "or" is the larger, "and" the smaller).
type tri int

const (
	no tri = iota
	unknown
	yes
)

// backupARNs are the stateful types AWS Backup backs up, with the service
// and the resource prefix of their ARNs.
var backupARNs = map[string]struct{ service, prefix string }{
	"AWS::RDS::DBInstance":       {"rds", "db:"},
	"AWS::RDS::DBCluster":        {"rds", "cluster:"},
	"AWS::S3::Bucket":            {"s3", ""},
	"AWS::DynamoDB::Table":       {"dynamodb", "table/"},
	"AWS::DynamoDB::GlobalTable": {"dynamodb", "table/"},
	"AWS::EFS::FileSystem":       {"elasticfilesystem", "file-system/"},
}

// backupPlansOf describes the AWS Backup plans whose selections in the
// template select resource id, and the copies their rules make.
func backupPlansOf(t Template, stackTags map[string]string, id string) (backup, copies []string) {
	for _, sid := range t.ids("AWS::Backup::BackupSelection") {
		sel := t.Resources[sid]
		switch selects(t, stackTags, obj(sel.Prop("BackupSelection")), id) {
		case no:
			continue
		case unknown:
			backup = append(backup, "? (AWS Backup selection "+sid+")")
			continue
		}
		plans := t.refsTo(sel.Prop("BackupPlanId"), "AWS::Backup::BackupPlan")
		if len(plans) == 0 {
			backup = append(backup, "AWS Backup plan "+orQ(expr(sel.Prop("BackupPlanId")))+": ?")
			continue
		}
		desc, c := backupPlan(t, plans[0])
		backup = append(backup, desc)
		copies = append(copies, c...)
	}
	return dedupe(backup), dedupe(copies)
}

// selects reports whether a BackupSelection's selection (its Resources,
// ListOfTags, NotResources and Conditions) picks resource id.
func selects(t Template, stackTags map[string]string, sel map[string]any, id string) tri {
	r := t.Resources[id]
	if _, ok := backupARNs[r.Type()]; !ok {
		return no
	}
	if sel == nil {
		return unknown
	}
	for _, e := range list(sel["NotResources"]) {
		if namesResource(t, e, id) == yes {
			return no
		}
	}
	match := no
	for _, e := range list(sel["Resources"]) {
		match = max(match, namesResource(t, e, id))
	}
	tags := resourceTags(stackTags, r)
	for _, c := range list(sel["ListOfTags"]) {
		c := obj(c)
		match = max(match, tagCondition(tags, str(c["ConditionType"]), c["ConditionKey"], c["ConditionValue"]))
	}
	if conds := sel["Conditions"]; conds != nil {
		for _, op := range sortedNames(obj(conds)) {
			for _, c := range list(obj(conds)[op]) {
				c := obj(c)
				key, isTag := strings.CutPrefix(str(c["ConditionKey"]), "aws:ResourceTag/")
				if !isTag {
					match = min(match, unknown)
					continue
				}
				match = min(match, tagCondition(tags, op, key, c["ConditionValue"]))
			}
		}
	}
	return match
}

// namesResource reports whether an entry of a selection's Resources names
// resource id: an ARN built from its logical ID, "*", an ARN of its service
// and kind ending in a wildcard, or its literal ARN.
func namesResource(t Template, entry any, id string) tri {
	if ids := refs(entry); len(ids) > 0 {
		for _, ref := range ids {
			if ref == id {
				return yes
			}
		}
		return no
	}
	var s string
	switch x := entry.(type) {
	case string:
		s = x
	case map[string]any:
		_, sub := x["Fn::Sub"]
		_, join := x["Fn::Join"]
		if !sub && !join {
			return unknown
		}
		s = expr(x)
	default:
		return unknown
	}
	if s == "*" {
		return yes
	}
	arn := backupARNs[t.Resources[id].Type()]
	parts := strings.SplitN(s, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return unknown
	}
	if parts[2] != arn.service && parts[2] != "*" {
		return no
	}
	name, ok := strings.CutPrefix(parts[5], arn.prefix)
	switch {
	case parts[5] == "*" || ok && name == "*":
		return yes
	case !ok:
		return no
	case strings.ContainsAny(name, "*?"):
		return unknown
	}
	// A literal ARN names this resource only when the resource has that name.
	if physical := physicalName(t.Resources[id]); physical != "" && name == physical {
		return yes
	}
	return no
}

// physicalName is the name a resource's properties give it, if any.
func physicalName(r Resource) string {
	for _, p := range []string{"BucketName", "DBInstanceIdentifier", "DBClusterIdentifier", "TableName"} {
		if s, ok := r.Prop(p).(string); ok {
			return s
		}
	}
	return ""
}

// resourceTags are the tags a resource carries once deployed: the stack's,
// overridden by its own. Values are template values (a tag can be an
// expression).
func resourceTags(stackTags map[string]string, r Resource) map[string]any {
	tags := map[string]any{}
	for k, v := range stackTags {
		tags[k] = v
	}
	switch x := r.Prop("Tags").(type) {
	case []any:
		for _, tag := range x {
			tag := obj(tag)
			tags[expr(tag["Key"])] = tag["Value"]
		}
	case map[string]any:
		for k, v := range x {
			tags[k] = v
		}
	}
	return tags
}

// tagCondition evaluates one tag condition of a selection (STRINGEQUALS in
// ListOfTags; StringEquals, StringLike, StringNotEquals, StringNotLike in
// Conditions) on a resource's tags.
func tagCondition(tags map[string]any, op string, key, value any) tri {
	k, kok := key.(string)
	want, vok := value.(string)
	if !kok || !vok {
		return unknown
	}
	got, present := tags[k]
	have, known := got.(string)
	if present && !known {
		return unknown
	}
	var match bool
	op = strings.ToLower(op)
	switch op {
	case "stringequals", "stringnotequals":
		match = present && have == want
	case "stringlike", "stringnotlike":
		match = present && globMatch(want, have)
	default:
		return unknown
	}
	if strings.Contains(op, "not") {
		match = !match
	}
	if match {
		return yes
	}
	return no
}

// globMatch matches s against a pattern where * stands for any run of
// characters and ? for one.
func globMatch(pattern, s string) bool {
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	return regexp.MustCompile(re).MatchString(s)
}

// backupPlan describes a BackupPlan's rules, "AWS Backup plan Plan: daily
// 35 d, monthly 365 d, continuous", and the copies its rules make.
func backupPlan(t Template, id string) (string, []string) {
	rules := list(obj(t.Resources[id].Prop("BackupPlan"))["BackupPlanRule"])
	var parts, copies []string
	continuous := ""
	for _, rule := range rules {
		rule := obj(rule)
		if rule == nil {
			parts = append(parts, "?")
			continue
		}
		keep := "no expiry"
		if d := obj(rule["Lifecycle"])["DeleteAfterDays"]; d != nil {
			keep = number(d) + " d"
		}
		parts = append(parts, frequency(rule["ScheduleExpression"])+" "+keep)
		switch on, known := boolean(rule["EnableContinuousBackup"]); {
		case on:
			continuous = "continuous"
		case !known && continuous == "":
			continuous = "continuous ?"
		}
		for _, c := range list(rule["CopyActions"]) {
			copies = append(copies, backupCopy(t, obj(c)))
		}
	}
	if len(parts) == 0 {
		parts = []string{"?"}
	}
	if continuous != "" {
		parts = append(parts, continuous)
	}
	return "AWS Backup plan " + id + ": " + strings.Join(parts, ", "), copies
}

// frequency names how often a backup rule runs, from its schedule
// expression; AWS Backup's default is daily.
func frequency(v any) string {
	if v == nil {
		return "daily"
	}
	s, ok := v.(string)
	if !ok {
		return "?"
	}
	if rate, ok := strings.CutPrefix(s, "rate("); ok {
		return "every " + strings.TrimSuffix(rate, ")")
	}
	inner, ok := strings.CutPrefix(s, "cron(")
	f := strings.Fields(strings.TrimSuffix(inner, ")"))
	if !ok || len(f) < 5 {
		return s
	}
	hour, dom, month, dow := f[1], f[2], f[3], f[4]
	wild := func(field string) bool { return field == "*" || field == "?" }
	switch {
	case wild(dom) && wild(month) && wild(dow):
		if every, ok := strings.CutPrefix(hour, "*/"); ok {
			return "every " + every + " h"
		}
		if hour == "*" {
			return "hourly"
		}
		return "daily"
	case wild(dom) && wild(month):
		return "weekly"
	case wild(month) && wild(dow):
		return "monthly"
	case wild(dow):
		return "yearly"
	}
	return s
}

// backupCopy describes a rule's copy action: where the copy goes, how long
// it is kept.
func backupCopy(t Template, c map[string]any) string {
	keep := ""
	if d := obj(c["Lifecycle"])["DeleteAfterDays"]; d != nil {
		keep = ", kept " + number(d) + " d"
	}
	dest := c["DestinationBackupVaultArn"]
	if vaults := t.refsTo(dest, "AWS::Backup::BackupVault"); len(vaults) > 0 {
		return "backup copy to vault " + vaults[0] + " (same region and account" + keep + ")"
	}
	s := expr(dest)
	// arn:PARTITION:backup:REGION:ACCOUNT:backup-vault:NAME
	if p := strings.SplitN(s, ":", 7); len(p) == 7 && p[2] == "backup" {
		region, account := p[3], "account "+p[4]
		if region == "${AWS::Region}" {
			region = "same region"
		}
		if p[4] == "${AWS::AccountId}" {
			account = "same account"
		}
		return fmt.Sprintf("backup copy to %s, %s, vault %s%s", region, account, p[6], keep)
	}
	return "backup copy to " + orQ(s) + keep
}

// ownBackups are the backups a resource makes by itself: RDS automated
// backups, S3 versioning, DynamoDB point-in-time recovery, ElastiCache
// snapshots, EFS automatic backups.
func ownBackups(t Template, id string) []string {
	r := t.Resources[id]
	switch r.Type() {
	case "AWS::RDS::DBInstance", "AWS::RDS::DBCluster":
		if r.Type() == "AWS::RDS::DBInstance" {
			if cluster := r.Prop("DBClusterIdentifier"); cluster != nil {
				return []string{"with its cluster " + referent(t, cluster)}
			}
			if r.Prop("SourceDBInstanceIdentifier") != nil && r.Prop("BackupRetentionPeriod") == nil {
				return nil // a read replica makes no backups unless told
			}
		}
		days := "1" // CloudFormation's default
		if v := r.Prop("BackupRetentionPeriod"); v != nil {
			days = number(v)
		}
		if days == "0" {
			return nil
		}
		return []string{"RDS automated backups " + days + " d"}
	case "AWS::S3::Bucket":
		return versioning(r)
	case "AWS::DynamoDB::Table":
		return pointInTime(obj(r.Prop("PointInTimeRecoverySpecification")))
	case "AWS::DynamoDB::GlobalTable":
		var out []string
		for _, rep := range list(r.Prop("Replicas")) {
			out = append(out, pointInTime(obj(obj(rep)["PointInTimeRecoverySpecification"]))...)
		}
		return dedupe(out)
	case "AWS::ElastiCache::ReplicationGroup", "AWS::ElastiCache::CacheCluster", "AWS::ElastiCache::ServerlessCache":
		if v := r.Prop("SnapshotRetentionLimit"); v != nil && number(v) != "0" {
			return []string{"snapshots " + number(v) + " d"}
		}
	case "AWS::EFS::FileSystem":
		switch status := obj(r.Prop("BackupPolicy"))["Status"]; status {
		case nil, "DISABLED":
		case "ENABLED":
			return []string{"EFS automatic backups (daily 35 d)"}
		default:
			return []string{"EFS automatic backups ?"}
		}
	}
	return nil
}

func versioning(r Resource) []string {
	v := r.Prop("VersioningConfiguration")
	if v == nil {
		return nil
	}
	switch obj(v)["Status"] {
	case "Enabled":
	case "Suspended":
		return nil
	default:
		return []string{"versioning ?"}
	}
	var days []string
	some := false
	for _, rule := range list(obj(r.Prop("LifecycleConfiguration"))["Rules"]) {
		rule := obj(rule)
		if str(rule["Status"]) == "Disabled" {
			continue
		}
		d := obj(rule["NoncurrentVersionExpiration"])["NoncurrentDays"]
		if d == nil {
			d = rule["NoncurrentVersionExpirationInDays"]
		}
		if d == nil {
			continue
		}
		days = append(days, number(d)+" d")
		if rule["Prefix"] != nil || rule["TagFilters"] != nil || rule["ObjectSizeGreaterThan"] != nil || rule["ObjectSizeLessThan"] != nil {
			some = true
		}
	}
	kept := "forever"
	if len(days) > 0 {
		kept = strings.Join(dedupe(days), ", ")
		if some {
			kept += " for some objects"
		}
	}
	return []string{"versioning (noncurrent kept " + kept + ")"}
}

func pointInTime(spec map[string]any) []string {
	on, known := boolean(spec["PointInTimeRecoveryEnabled"])
	switch {
	case !known:
		return []string{"point-in-time recovery ?"}
	case !on:
		return nil
	}
	days := "35" // the service's default
	if d := spec["RecoveryPeriodInDays"]; d != nil {
		days = number(d)
	}
	return []string{"point-in-time recovery " + days + " d"}
}

// retention summarises what the deletion and the replacement policies keep,
// and a deletion protection.
func retention(r Resource) string {
	policy := func(key string) string {
		switch v := r[key].(type) {
		case nil:
			return "Delete"
		case string:
			return v
		}
		return "?"
	}
	del, replace := policy("DeletionPolicy"), policy("UpdateReplacePolicy")
	s := del
	if del != replace {
		s = "delete: " + del + ", replace: " + replace
	}
	for _, p := range []string{"DeletionProtection", "DeletionProtectionEnabled"} {
		switch on, known := boolean(r.Prop(p)); {
		case !known:
			s += ", deletion protection ?"
		case on:
			s += ", deletion protection"
		}
	}
	return s
}

// encryption names the key that encrypts a resource's data at rest.
func encryption(t Template, r Resource) string {
	// encrypted is the key when a flag turns encryption on, "none" when off.
	encrypted := func(flag, key any, managed string) string {
		on, known := boolean(flag)
		switch {
		case key != nil:
			return kmsKey(t, key, managed)
		case !known:
			return "?"
		case !on:
			return "none"
		}
		return kmsKey(t, nil, managed)
	}
	switch r.Type() {
	case "AWS::S3::Bucket":
		be := r.Prop("BucketEncryption")
		if be == nil {
			return "SSE-S3 (S3 default)"
		}
		rules := list(obj(be)["ServerSideEncryptionConfiguration"])
		if len(rules) == 0 {
			return "?"
		}
		def := obj(obj(rules[0])["ServerSideEncryptionByDefault"])
		switch def["SSEAlgorithm"] {
		case "AES256":
			return "SSE-S3"
		case "aws:kms":
			return kmsKey(t, def["KMSMasterKeyID"], "aws/s3")
		case "aws:kms:dsse":
			return "DSSE, " + kmsKey(t, def["KMSMasterKeyID"], "aws/s3")
		}
		return "?"
	case "AWS::RDS::DBInstance", "AWS::RDS::DBCluster":
		return encrypted(r.Prop("StorageEncrypted"), r.Prop("KmsKeyId"), "aws/rds")
	case "AWS::EFS::FileSystem":
		return encrypted(r.Prop("Encrypted"), r.Prop("KmsKeyId"), "aws/elasticfilesystem")
	case "AWS::ElastiCache::ReplicationGroup":
		return encrypted(r.Prop("AtRestEncryptionEnabled"), r.Prop("KmsKeyId"), "")
	case "AWS::ElastiCache::CacheCluster":
		return "none"
	case "AWS::ElastiCache::ServerlessCache":
		return encrypted(true, r.Prop("KmsKeyId"), "")
	case "AWS::Logs::LogGroup":
		if key := r.Prop("KmsKeyId"); key != nil {
			return kmsKey(t, key, "")
		}
		return "AWS owned (CloudWatch Logs)"
	case "AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable":
		sse := obj(r.Prop("SSESpecification"))
		key := sse["KMSMasterKeyId"]
		for _, rep := range list(r.Prop("Replicas")) {
			if k := obj(obj(rep)["SSESpecification"])["KMSMasterKeyId"]; k != nil && key == nil {
				key = k
			}
		}
		on, known := boolean(sse["SSEEnabled"])
		switch {
		case !known:
			return "?"
		case !on:
			return "AWS owned (DynamoDB)"
		}
		return kmsKey(t, key, "aws/dynamodb")
	case "AWS::SecretsManager::Secret":
		return kmsKey(t, r.Prop("KmsKeyId"), "aws/secretsmanager")
	case "AWS::Backup::BackupVault":
		return kmsKey(t, r.Prop("EncryptionKeyArn"), "aws/backup")
	case "AWS::KMS::Key":
		switch on, known := boolean(r.Prop("EnableKeyRotation")); {
		case !known:
			return "n/a (key, rotation ?)"
		case on:
			return "n/a (key, rotation on)"
		}
		return "n/a (key, rotation off)"
	}
	return "?"
}

// kmsKey names a KMS key a property gives: a key of the template is customer
// managed, alias/aws/... is AWS managed; with no key, the service's AWS
// managed key (managed, such as aws/s3) or, when it has none, its AWS owned
// key.
func kmsKey(t Template, v any, managed string) string {
	if v == nil {
		if managed == "" {
			return "AWS owned"
		}
		return "AWS managed (" + managed + ")"
	}
	if ids := t.refsTo(v, "AWS::KMS::Key", "AWS::KMS::Alias"); len(ids) > 0 {
		id := ids[0]
		if alias := t.Resources[id]; alias.Type() == "AWS::KMS::Alias" {
			if keys := t.refsTo(alias.Prop("TargetKeyId"), "AWS::KMS::Key"); len(keys) > 0 {
				id = keys[0]
			}
		}
		return "customer managed " + id
	}
	s := expr(v)
	if _, name, ok := strings.Cut(s, "alias/aws/"); ok {
		return "AWS managed (aws/" + name + ")"
	}
	return "customer managed " + orQ(s)
}

// replicas lists the copies of a resource's data kept elsewhere: S3
// replication, RDS read replicas and Multi-AZ standbys, replicas of caches,
// global tables, secrets and file systems, multi-Region keys.
func replicas(t Template, id string) []string {
	r := t.Resources[id]
	var out []string
	switch r.Type() {
	case "AWS::S3::Bucket":
		rc := r.Prop("ReplicationConfiguration")
		if rc == nil {
			return nil
		}
		rules := list(obj(rc)["Rules"])
		if len(rules) == 0 {
			return []string{"?"}
		}
		for _, rule := range rules {
			rule := obj(rule)
			dest := obj(rule["Destination"])
			d := "S3 replication to " + bucketName(t, dest["Bucket"])
			if acct := dest["Account"]; acct != nil {
				d += " (account " + expr(acct) + ")"
			}
			if str(rule["Status"]) == "Disabled" {
				d += " (disabled)"
			}
			out = append(out, d)
		}
	case "AWS::RDS::DBInstance":
		if multi, known := boolean(r.Prop("MultiAZ")); multi || !known {
			out = append(out, map[bool]string{true: "Multi-AZ standby", false: "Multi-AZ ?"}[known])
		}
		if src := r.Prop("SourceDBInstanceIdentifier"); src != nil {
			d := "read replica of " + referent(t, src)
			if region := r.Prop("SourceRegion"); region != nil {
				d += " in " + expr(region)
			}
			out = append(out, d)
		}
		for _, other := range t.ids("AWS::RDS::DBInstance") {
			for _, ref := range t.refsTo(t.Resources[other].Prop("SourceDBInstanceIdentifier")) {
				if ref == id {
					out = append(out, "read replica "+other)
				}
			}
		}
	case "AWS::RDS::DBCluster":
		var members []string
		for _, other := range t.ids("AWS::RDS::DBInstance") {
			for _, ref := range t.refsTo(t.Resources[other].Prop("DBClusterIdentifier")) {
				if ref == id {
					members = append(members, other)
				}
			}
		}
		if len(members) > 0 {
			out = append(out, "cluster instances "+strings.Join(members, ", "))
		}
		if g := r.Prop("GlobalClusterIdentifier"); g != nil {
			out = append(out, "global cluster "+referent(t, g))
		}
		if src := r.Prop("ReplicationSourceIdentifier"); src != nil {
			out = append(out, "replica of "+referent(t, src))
		}
	case "AWS::ElastiCache::ReplicationGroup":
		if n := r.Prop("NumCacheClusters"); n != nil {
			if c, err := strconv.Atoi(number(n)); err != nil {
				out = append(out, "? replicas")
			} else if c > 1 {
				out = append(out, fmt.Sprintf("%d replica(s)", c-1))
			}
		}
		if n := r.Prop("ReplicasPerNodeGroup"); n != nil && number(n) != "0" {
			out = append(out, number(n)+" replica(s) per shard")
		}
		if g := r.Prop("GlobalReplicationGroupId"); g != nil {
			out = append(out, "global datastore "+expr(g))
		}
	case "AWS::DynamoDB::GlobalTable":
		var regions []string
		for _, rep := range list(r.Prop("Replicas")) {
			regions = append(regions, orQ(expr(obj(rep)["Region"])))
		}
		if len(regions) > 1 {
			out = append(out, "replicas in "+strings.Join(regions, ", "))
		}
	case "AWS::SecretsManager::Secret":
		for _, rep := range list(r.Prop("ReplicaRegions")) {
			out = append(out, "replica in "+orQ(expr(obj(rep)["Region"])))
		}
	case "AWS::EFS::FileSystem":
		for _, d := range list(obj(r.Prop("ReplicationConfiguration"))["Destinations"]) {
			d := obj(d)
			where := expr(d["Region"])
			if where == "" {
				where = expr(d["FileSystemId"])
			}
			out = append(out, "EFS replication to "+orQ(where))
		}
	case "AWS::KMS::Key":
		if multi, known := boolean(r.Prop("MultiRegion")); multi || !known {
			out = append(out, map[bool]string{true: "multi-Region key", false: "multi-Region ?"}[known])
		}
	}
	return out
}

var s3ARN = regexp.MustCompile(`^arn:[^:]+:s3:::`)

// bucketName names a bucket given by ARN: its logical ID when the template
// holds it, else its name.
func bucketName(t Template, v any) string {
	if ids := t.refsTo(v, "AWS::S3::Bucket"); len(ids) > 0 {
		return ids[0]
	}
	return orQ(s3ARN.ReplaceAllString(expr(v), ""))
}

// referent names what a property refers to: a logical ID of the template,
// else the value.
func referent(t Template, v any) string {
	if ids := t.refsTo(v); len(ids) > 0 {
		return ids[0]
	}
	return orQ(expr(v))
}

func orQ(s string) string {
	if s == "" {
		return "?"
	}
	return s
}

func dedupe(xs []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
