package scripts_test

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tierkit/tierkit/internal/shellcheck"
)

// The scripts/drill-restore tests run the script against a fake AWS CLI (see
// harness_test.go) whose ssm send-command runs the check it is sent, with sh,
// as Systems Manager does on the server: against a fake curl answering as the
// instance metadata service and Secrets Manager, and a fake php (or, where a
// test says so, the real one).

// restoreFakeAWS answers the calls scripts/drill-restore makes, from
// $FAKE_STATE:
//
//	stack, resources   the stack's name and its describe-stack-resources rows
//	database, source   the database's ID and its describe row (ARN, engine,
//	                   parameter group, latest restorable time)
//	points             the list-recovery-points-by-resource rows
//	in-service, online the group's servers in service, those online in SSM
//	job-states         the restore job's describe rows, one a line
//	                   ("STATUS[<TAB>MESSAGE]"): each describe answers the first
//	                   and drops it while more remain
//	scratch-states     the scratch instance's states from the restore on, the same
//	                   way; absent: not (yet) there
//	scratch-host/port  its endpoint when available
//	refuse-delete-once the first delete-db-instance fails
//	ssm-hangs          the check (not the preflight) never ends
//	fail-stack         describe-stack-resources fails as for a missing stack
//
// It keeps start-restore-job's metadata in metadata.json, and each command
// sent to SSM as ssm/N.json (its parameters), ssm/N.sh (the script, decoded
// from them), ssm/N.out and ssm/N.err.
const restoreFakeAWS = `op="$1 $2"
shift 2
options "$@"
pop() {
  head -n 1 "$1"
  if (($(wc -l <"$1") > 1)); then tail -n +2 "$1" >"$1.next" && mv "$1.next" "$1"; fi
}
not_found() {
  echo "An error occurred (DBInstanceNotFound) when calling the $1 operation: DBInstance $2 not found." >&2
  exit 254
}
case $op in
  "cloudformation describe-stack-resources" | "cloudformation list-stack-resources")
    if [[ -f $s/fail-stack || ${arg[stack-name]} != "$(cat "$s/stack")" ]]; then
      echo "An error occurred (ValidationError) when calling the DescribeStackResources operation: Stack with id ${arg[stack-name]} does not exist" >&2
      exit 254
    fi
    cat "$s/resources" ;;
  "rds describe-db-instances")
    id=${arg[db-instance-identifier]}
    if [[ $id == "$(cat "$s/database")" ]]; then
      cat "$s/source"
    elif [[ -f $s/scratch/$id ]]; then
      state=$(pop "$s/scratch/$id")
      case $state in
        absent | gone) not_found DescribeDBInstances "$id" ;;
        available) printf 'available\t%s\t%s\n' "$(cat "$s/scratch-host" 2>/dev/null || echo "$id.c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com")" "$(cat "$s/scratch-port")" ;;
        *) printf '%s\tNone\tNone\n' "$state" ;;
      esac
    else
      not_found DescribeDBInstances "$id"
    fi ;;
  "rds delete-db-instance")
    id=${arg[db-instance-identifier]}
    [[ ${arg[skip-final-snapshot]+set} && ${arg[delete-automated-backups]+set} ]] ||
      { echo "fake aws: deleting without --skip-final-snapshot --delete-automated-backups" >&2; exit 252; }
    [[ $id == tierkit-drill-* && -f $s/scratch/$id ]] || not_found DeleteDBInstance "$id"
    state=$(head -n 1 "$s/scratch/$id")
    [[ $state != absent && $state != gone ]] || not_found DeleteDBInstance "$id"
    if [[ -f $s/refuse-delete-once ]]; then
      rm "$s/refuse-delete-once"
      echo "An error occurred (InvalidDBInstanceState) when calling the DeleteDBInstance operation: Instance $id is currently $state" >&2
      exit 254
    fi
    printf 'deleting\ndeleting\ngone\n' >"$s/scratch/$id.next"
    mv "$s/scratch/$id.next" "$s/scratch/$id"
    echo deleting ;;
  "iam get-role") echo "arn:aws:iam::123456789012:role/${arg[role-name]}" ;;
  "autoscaling describe-auto-scaling-groups") cat "$s/in-service" ;;
  "ssm describe-instance-information") cat "$s/online" ;;
  "backup list-recovery-points-by-resource")
    [[ ${arg[resource-arn]} == "$(cut -f 1 "$s/source")" ]] ||
      { echo "fake aws: recovery points of ${arg[resource-arn]}, not the database" >&2; exit 252; }
    cat "$s/points" ;;
  "backup start-restore-job")
    printf '%s' "${arg[metadata]}" >"$s/metadata.json"
    id=$(sed -n 's/.*"DBInstanceIdentifier":"\([^"]*\)".*/\1/p' "$s/metadata.json")
    mkdir -p "$s/scratch"
    cp "$s/scratch-states" "$s/scratch/$id"
    cp "$s/job-states" "$s/job"
    echo restore-job-1 ;;
  "backup describe-restore-job")
    [[ ${arg[restore-job-id]} == restore-job-1 ]] || { echo "fake aws: no job ${arg[restore-job-id]}" >&2; exit 252; }
    line=$(pop "$s/job")
    [[ $line == *$'\t'* ]] || line+=$'\tNone'
    printf '%s\n' "$line" ;;
  "ssm send-command")
    mkdir -p "$s/ssm"
    n=$(($(cat "$s/ssm/count" 2>/dev/null || echo 0) + 1))
    echo "$n" >"$s/ssm/count"
    printf '%s' "${arg[parameters]}" >"$s/ssm/$n.json"
    # {"commands":["LINE",...],"executionTimeout":["300"]}, as the drill writes it.
    # Escaped backslashes and quotes out of the way first: every quote left
    # is the JSON's own.
    p=${arg[parameters]//'\\'/$'\001'}
    p=${p//'\"'/$'\002'}
    p=${p#'{"commands":["'}
    p=${p%'"],"executionTimeout":["300"]}'}
    : >"$s/ssm/$n.sh"
    while [[ -n $p ]]; do
      if [[ $p == *'","'* ]]; then line=${p%%'","'*} p=${p#*'","'}; else line=$p p=''; fi
      line=${line//'\t'/$'\t'}
      line=${line//$'\002'/'"'}
      printf '%s\n' "${line//$'\001'/\\}" >>"$s/ssm/$n.sh"
    done
    # The server's shell, not the operator's environment.
    if (cd / && env -i PATH="$PATH" FAKE_STATE="$s" TIERKIT_RDS_CA_FILE="$s/ca.pem" sh "$s/ssm/$n.sh") \
      >"$s/ssm/$n.out" 2>"$s/ssm/$n.err"; then result=Success; else result=Failed; fi
    if [[ -f $s/ssm-hangs ]] && grep -q "^MODE='check'" "$s/ssm/$n.sh"; then result=InProgress; fi
    # The invocation does not exist yet right after send-command.
    printf 'missing\nInProgress\n%s\n' "$result" >"$s/ssm/$n.status"
    echo "command-$n" ;;
  "ssm get-command-invocation")
    n=${arg[command-id]#command-}
    case ${arg[query]} in
      Status)
        status=$(pop "$s/ssm/$n.status")
        if [[ $status == missing ]]; then
          echo "An error occurred (InvocationDoesNotExist) when calling the GetCommandInvocation operation: " >&2
          exit 254
        fi
        echo "$status" ;;
      StandardOutputContent) cat "$s/ssm/$n.out" ;;
      StandardErrorContent) cat "$s/ssm/$n.err" ;;
    esac ;;
  *) echo "fake aws: unexpected call: $op" >&2; exit 252 ;;
esac
`

// restoreFakeCurl answers the check on the server: the instance metadata
// service (IMDSv2 only) and Secrets Manager, which wants the request signed
// with the role's keys, read from the config on standard input. With
// old-curl it cannot sign; with secret-denied the role may not read the
// secret.
const restoreFakeCurl = `if [[ $1 == --help ]]; then
  [[ -f $s/old-curl ]] || echo " --aws-sigv4 <provider1[:prov2[:reg[:srv]]]> AWS V4 signature auth"
  exit 0
fi
url=${*: -1}
args=" $* "
case $url in
  http://169.254.169.254/latest/api/token)
    [[ $args == *" -X PUT "* ]] || { echo "curl: (22) The requested URL returned error: 405" >&2; exit 22; }
    echo FAKE-IMDS-TOKEN ;;
  http://169.254.169.254/latest/meta-data/*)
    [[ $args == *" X-aws-ec2-metadata-token: FAKE-IMDS-TOKEN "* ]] || { echo "curl: (22) The requested URL returned error: 401" >&2; exit 22; }
    case ${url#*/meta-data/} in
      placement/region) echo eu-west-1 ;;
      iam/security-credentials/) echo prod-laravel-FleetRole ;;
      iam/security-credentials/prod-laravel-FleetRole)
        printf '{\n  "Code" : "Success",\n  "Type" : "AWS-HMAC",\n  "AccessKeyId" : "ASIAFAKEKEYID",\n'
        printf '  "SecretAccessKey" : "%s",\n  "Token" : "FAKE-SESSION-TOKEN",\n  "Expiration" : "2099-01-01T00:00:00Z"\n}\n' "$(cat "$s/role-secret-key")" ;;
      *) echo "curl: (22) The requested URL returned error: 404" >&2; exit 22 ;;
    esac ;;
  https://secretsmanager.eu-west-1.amazonaws.com/)
    config=$(cat)
    if [[ $args != *" --aws-sigv4 aws:amz:eu-west-1:secretsmanager "* ||
      $config != *"user = \"ASIAFAKEKEYID:$(cat "$s/role-secret-key")\""* ||
      $config != *'header = "X-Amz-Security-Token: FAKE-SESSION-TOKEN"'* ||
      $args != *' X-Amz-Target: secretsmanager.GetSecretValue '* ]]; then
      echo '{"__type":"IncompleteSignature","Message":"the request is not signed with the role"}'
    elif [[ -f $s/secret-denied ]]; then
      echo '{"__type":"AccessDeniedException","Message":"User: arn:aws:sts::123456789012:assumed-role/prod-laravel-FleetRole/i-0b is not authorized to perform: secretsmanager:GetSecretValue"}'
    elif [[ $args != *"{\"SecretId\":\"$(cat "$s/secret-arn")\"}"* ]]; then
      echo '{"__type":"ResourceNotFoundException","Message":"Secrets Manager cannot find the specified secret."}'
    else
      printf '{"ARN":"%s","Name":"prodlaravelTierDatabaseSecret","SecretString":"{\\"dbname\\":\\"app\\",\\"engine\\":\\"%s\\",\\"password\\":\\"%s\\",\\"port\\":3307,\\"username\\":\\"tierkit_admin\\"}"}' \
        "$(cat "$s/secret-arn")" "$(cut -f 2 "$s/source")" "$(cat "$s/password")"
    fi ;;
  *) echo "curl: (6) Could not resolve host: $url" >&2; exit 6 ;;
esac
`

// restoreFakePHP stands for php -d display_errors=stderr FILE MODE ENGINE
// HOST PORT CA TABLE COLUMN SINCE: it keeps its standard input as
// php-stdin-MODE and answers as the check does, or with php-check (and
// php-check-rc) for the check.
const restoreFakePHP = `[[ $1 == -d && $2 == display_errors=stderr && -f $3 ]] && grep -q '^<?php' "$3" ||
  { echo "fake php: not the check" >&2; exit 2; }
mode=$4 table=$9 column=${10}
cat >"$s/php-stdin-$mode"
if ! grep -q SecretString "$s/php-stdin-$mode"; then
  echo "error Secrets Manager did not give the secret: $(sed -n 's/.*"__type":"\([^"]*\)".*/\1/p' "$s/php-stdin-$mode")"
  exit 1
fi
echo "secret read with the server's role, user tierkit_admin"
if [[ $mode == preflight ]]; then echo "ready PHP 8.3.6 with pdo_mysql"; exit 0; fi
if [[ -f $s/php-check ]]; then cat "$s/php-check"; exit "$(cat "$s/php-check-rc")"; fi
echo "tls TLSv1.3"
echo "tables 42 app"
[[ -z $table ]] || echo "newest $table.$column 2026-05-01 03:10:02 UTC, 163 s before the backup"
`

const (
	restoreDatabase = "prod-laravel-tierdatabaseinstance-1a2b3c4d5e6f"
	restoreDBArn    = "arn:aws:rds:eu-west-1:123456789012:db:" + restoreDatabase
	restoreVault    = "prod-laravel-TierBackupVault"
	restoreRole     = "prod-laravel-TierBackupRole-1A2B3C4D"
	restoreSecret   = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prodlaravelTierDatabaseSecret-AbCdEf"
	// What must never leave the server: the database password and the role's
	// secret key.
	restorePassword   = "Pw7fK2xQ9vLrZt4M"
	restoreSecretKey  = "fake/Role+SecretKey0123"
	restoreGroup      = "prod-laravel-TierFleetGroupASGABE7AED0-Q1W2E3R4"
	restoreNewest     = "arn:aws:rds:eu-west-1:123456789012:snapshot:awsbackup:job-newest"
	restoreContinuous = "arn:aws:backup:eu-west-1:123456789012:recovery-point:continuous:db-abcdefghijklmnopqrstuvwxyz-1a2b3c4d"
	restoreParameters = "prod-laravel-tierdatabaseparameters-9z8y7x"
)

// restoreScratch is the scratch instance's ID: the database's, cut to 34
// characters (its trailing hyphen dropped), and the UTC time.
var restoreScratch = regexp.MustCompile(`^tierkit-drill-prod-laravel-tierdatabaseinstance-\d{14}$`)

// restoreChanges are the calls that create or delete something.
var restoreChanges = regexp.MustCompile(`^aws (backup start-restore-job|rds delete-db-instance)`)

type restoreDrill struct {
	*harness
	// newestCreated is the newest completed snapshot's CreationDate, as the
	// CLI prints it.
	newestCreated string
	// restoreTime is the database's latest restorable time, in UTC.
	restoreTime string
}

// newRestoreDrill sets up the stack prod-laravel in Auto Scaling mode, with a
// MySQL database restorable to 4 minutes ago, its vault holding its
// continuous recovery point and four snapshots of which the newest completed
// one in the vault is an hour old, i-0b the server online in SSM,
// a restore that completes at the second describe and a copy available at
// the third. The fakes are aws, curl and php, unless fakes replaces them
// (a nil script leaves one out).
func newRestoreDrill(t *testing.T, fakes map[string]*string) *restoreDrill {
	t.Helper()
	scripts := map[string]string{"aws": restoreFakeAWS, "curl": restoreFakeCurl, "php": restoreFakePHP}
	for name, script := range fakes {
		if script == nil {
			delete(scripts, name)
		} else {
			scripts[name] = *script
		}
	}
	f := &restoreDrill{harness: newHarness(t, "drill-restore", scripts, "TIERKIT_DRILL_INTERVAL=0")}
	f.setState("stack", "prod-laravel")
	f.setResources(
		"AWS::AutoScaling::AutoScalingGroup TierFleetGroupASGABE7AED0 "+restoreGroup,
		"AWS::AutoScaling::AutoScalingGroup TierFleetSingletonASGEC16910A prod-laravel-TierFleetSingletonASGEC16910A-T5Y6U7I8",
	)
	f.setState("database", restoreDatabase)
	now := time.Now().UTC()
	iso := "2006-01-02T15:04:05.000000-07:00"
	restorable := now.Add(-4*time.Minute - 20*time.Second).Truncate(time.Second)
	f.restoreTime = restorable.Format("2006-01-02T15:04:05Z")
	f.setState("source", restoreDBArn+"\tmysql\t"+restoreParameters+"\t"+restorable.In(time.FixedZone("", 2*3600)).Format(iso)+"\n")
	// The newest completed snapshot of the vault is printed in another offset
	// than the others: compared as text, it would look the oldest.
	f.newestCreated = now.Add(-time.Hour - 30*time.Second).In(time.FixedZone("", -5*3600)).Format(iso)
	f.setState("points", strings.Join([]string{
		now.Add(-20*24*time.Hour).Format(iso) + "\tCOMPLETED\t" + restoreVault + "\t" + restoreContinuous,
		now.Add(-3*time.Hour).Format(iso) + "\tCOMPLETED\t" + restoreVault + "\tarn:aws:rds:eu-west-1:123456789012:snapshot:awsbackup:job-older",
		f.newestCreated + "\tCOMPLETED\t" + restoreVault + "\t" + restoreNewest,
		now.Add(-10*time.Minute).Format(iso) + "\tFAILED\t" + restoreVault + "\tarn:aws:rds:eu-west-1:123456789012:snapshot:awsbackup:job-failed",
		now.Add(-5*time.Minute).Format(iso) + "\tCOMPLETED\tDefault\tarn:aws:rds:eu-west-1:123456789012:snapshot:awsbackup:job-other-vault",
	}, "\n")+"\n")
	f.setState("in-service", "i-0a\ti-0b\ni-0c\n")
	f.setState("online", "i-0b\n")
	f.setState("job-states", "RUNNING\nCOMPLETED\n")
	f.setState("scratch-states", "creating\nbacking-up\navailable\n")
	f.setState("scratch-port", "3307")
	f.setState("secret-arn", restoreSecret)
	f.setState("password", restorePassword)
	f.setState("role-secret-key", restoreSecretKey)
	f.setState("ca.pem", "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n")
	return f
}

// setResources sets the stack's resources: the database's, its vault's and
// its backup role's, and rows ("TYPE LOGICAL PHYSICAL") for the fleet.
func (f *restoreDrill) setResources(fleet ...string) {
	rows := []string{
		"AWS::EC2::VPC NetworkVpc0123ABCD vpc-0123456789abcdef0",
		"AWS::EC2::SecurityGroup TierFleetSecurityGroup0A1B2C3D sg-0fleet",
		"AWS::RDS::DBInstance TierDatabaseInstanceAA8A5FDE " + restoreDatabase,
		"AWS::RDS::DBSubnetGroup TierDatabaseInstanceSubnetGroup7E6D6C1F prod-laravel-tierdatabaseinstancesubnetgroup-5g6h7j",
		"AWS::EC2::SecurityGroup TierDatabaseSecurityGroup1C2D3E4F sg-0database",
		"AWS::SecretsManager::Secret prodlaravelTierDatabaseSecret167BD8A53fdaad7efa858a3daf9490cf0a702aeb " + restoreSecret,
		"AWS::SecretsManager::SecretTargetAttachment TierDatabaseSecretAttachment2E1B0C9D " + restoreSecret,
		"AWS::IAM::Role TierFleetRole5F6A7B8C prod-laravel-TierFleetRole-9Z8Y7X",
		"AWS::Backup::BackupVault TierBackupVault1A2B3C4D " + restoreVault,
		"AWS::Backup::BackupPlan TierBackupPlan5E6F7A8B 0a1b2c3d-plan",
		"AWS::IAM::Role TierBackupRole9C8D7E6F " + restoreRole,
	}
	rows = append(rows, fleet...)
	for i, r := range rows {
		rows[i] = strings.ReplaceAll(r, " ", "\t")
	}
	f.setState("resources", strings.Join(rows, "\n")+"\n")
}

// changes are the calls that create or delete something, with their arguments.
func (f *restoreDrill) changes() []string {
	var changes []string
	for _, c := range f.calls() {
		if restoreChanges.MatchString(c) {
			changes = append(changes, c)
		}
	}
	return changes
}

// scratch is the scratch instance's ID, from start-restore-job's metadata.
func (f *restoreDrill) scratch() string {
	f.t.Helper()
	var m map[string]string
	b, err := os.ReadFile(filepath.Join(f.state, "metadata.json"))
	if err != nil {
		f.t.Fatalf("no restore was started: %v", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		f.t.Fatalf("start-restore-job's metadata is not JSON: %v\n%s", err, b)
	}
	return m["DBInstanceIdentifier"]
}

// wantMetadata checks start-restore-job's metadata: a copy that takes no
// traffic and is not kept, and the keys in more.
func (f *restoreDrill) wantMetadata(more map[string]string) {
	f.t.Helper()
	want := map[string]string{
		"DBInstanceIdentifier": f.scratch(),
		"DBSubnetGroupName":    "prod-laravel-tierdatabaseinstancesubnetgroup-5g6h7j",
		"VpcSecurityGroupIds":  `["sg-0database"]`,
		"MultiAZ":              "false",
		"PubliclyAccessible":   "false",
		"DeletionProtection":   "false",
		"DBParameterGroupName": restoreParameters,
	}
	for k, v := range more {
		want[k] = v
	}
	var got map[string]string
	b, _ := os.ReadFile(filepath.Join(f.state, "metadata.json"))
	if err := json.Unmarshal(b, &got); err != nil {
		f.t.Fatalf("start-restore-job's metadata is not JSON: %v\n%s", err, b)
	}
	gotJSON, _ := json.Marshal(got)
	if wantJSON, _ := json.Marshal(want); string(gotJSON) != string(wantJSON) {
		f.t.Errorf("restore metadata %s, want %s", gotJSON, wantJSON)
	}
}

// wantRestoredAndDeleted checks that one restore of the recovery point was
// started and the scratch instance deleted after it (deletes counts the
// delete-db-instance calls expected, the refused ones included), then
// described until it was gone.
func (f *restoreDrill) wantRestoredAndDeleted(out, recoveryPoint string, deletes int) {
	f.t.Helper()
	scratch := f.scratch()
	want := []string{"aws backup start-restore-job --recovery-point-arn " + recoveryPoint +
		" --iam-role-arn arn:aws:iam::123456789012:role/" + restoreRole + " --resource-type RDS --idempotency-token " + scratch}
	for range deletes {
		want = append(want, "aws rds delete-db-instance --db-instance-identifier "+scratch+
			" --skip-final-snapshot --delete-automated-backups --query DBInstance.DBInstanceStatus --output text")
	}
	var got []string
	for _, c := range f.changes() {
		got = append(got, regexp.MustCompile(` --metadata .* --query RestoreJobId --output text$`).ReplaceAllString(c, ""))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		f.t.Errorf("calls that create or delete something:\n%s\nwant:\n%s\noutput:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), out)
	}
	wantOutput(f.t, out, "deleted "+scratch+" after ")
	if state := f.lines("scratch/" + scratch); len(state) != 1 || state[0] != "gone" {
		f.t.Errorf("%s is %q, not gone:\n%s", scratch, state, out)
	}
}

// wantNoSecretOut checks that neither the password nor the role's secret key
// appears in any command line, in what was sent to SSM or in the output.
func (f *restoreDrill) wantNoSecretOut(out string) {
	f.t.Helper()
	sent, _ := filepath.Glob(filepath.Join(f.state, "ssm", "*.json"))
	for _, secret := range []string{restorePassword, restoreSecretKey} {
		for _, c := range f.calls() {
			if strings.Contains(c, secret) {
				f.t.Errorf("a command line holds a secret: %q", c)
			}
		}
		for _, file := range sent {
			if b, _ := os.ReadFile(file); strings.Contains(string(b), secret) {
				f.t.Errorf("the command sent to SSM holds a secret: %s", b)
			}
		}
		if strings.Contains(out, secret) {
			f.t.Errorf("the output holds a secret:\n%s", out)
		}
	}
}

// sent is the script of the Nth command sent to SSM, as the fake decoded and
// ran it; it fails the test unless it is the parameters' commands, one a line.
func (f *restoreDrill) sent(n int) string {
	f.t.Helper()
	b, err := os.ReadFile(filepath.Join(f.state, "ssm", strconv.Itoa(n)+".json"))
	if err != nil {
		f.t.Fatalf("no command %d sent to SSM: %v", n, err)
	}
	var params struct {
		Commands         []string `json:"commands"`
		ExecutionTimeout []string `json:"executionTimeout"`
	}
	if err := json.Unmarshal(b, &params); err != nil {
		f.t.Fatalf("the parameters sent to SSM are not JSON: %v\n%s", err, b)
	}
	script := strings.Join(params.Commands, "\n") + "\n"
	ran, err := os.ReadFile(filepath.Join(f.state, "ssm", strconv.Itoa(n)+".sh"))
	if err != nil {
		f.t.Fatal(err)
	}
	if string(ran) != script {
		f.t.Fatalf("the fake ran another script than the one sent:\n%s\nsent:\n%s", ran, script)
	}
	if len(params.ExecutionTimeout) != 1 || params.ExecutionTimeout[0] != "300" {
		f.t.Errorf("executionTimeout %q, want [300]", params.ExecutionTimeout)
	}
	return script
}

func TestDrillRestoreRestoresTheNewestPointChecksTheCopyAndDeletesIt(t *testing.T) {
	t.Parallel()
	f := newRestoreDrill(t, nil)
	out := f.mustRun(0, "prod", "laravel", "--confirm", "prod")
	scratch := f.scratch()
	if !restoreScratch.MatchString(scratch) || len(scratch) > 63 || strings.Contains(scratch, "--") {
		t.Errorf("the scratch instance is %q: want tierkit-drill-, the database's ID and the time, at most 63 characters, no --", scratch)
	}
	f.wantRestoredAndDeleted(out, restoreContinuous, 1)
	// A point in time, to the second, of the continuous backup.
	f.wantMetadata(map[string]string{"Engine": "mysql", "UseLatestRestorableTime": "false", "RestoreTime": f.restoreTime})
	// In order: the preflight on the server, the restore, the check, the deletion.
	var steps []string
	for _, c := range f.calls() {
		switch {
		case strings.HasPrefix(c, "aws ssm send-command"):
			if !strings.HasPrefix(c, "aws ssm send-command --instance-ids i-0b --document-name AWS-RunShellScript ") {
				t.Errorf("sent as %q", c)
			}
			steps = append(steps, "send-command")
		case restoreChanges.MatchString(c):
			steps = append(steps, strings.Fields(c)[2])
		}
	}
	if got := strings.Join(steps, " "); got != "send-command start-restore-job send-command delete-db-instance" {
		t.Errorf("steps %q, want the preflight, the restore, the check, the deletion", got)
	}
	if !strings.Contains(f.sent(1), "MODE='preflight'") || !strings.Contains(f.sent(2), "MODE='check' ENGINE='mysql' HOST='"+scratch+".c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com' PORT='3307' SECRET='"+restoreSecret+"'") {
		t.Errorf("the commands sent do not preflight, then check the copy:\n%s\n%s", f.sent(1), f.sent(2))
	}
	continuous := "the continuous backup in " + restoreVault + ", to its latest restorable time " + f.restoreTime
	wantOutput(t, out,
		"prod-laravel: the database "+restoreDatabase+" (mysql), restoring "+continuous+" (4 min ",
		"i-0b: PHP 8.3.6 with pdo_mysql; secret read with the server's role, user tierkit_admin",
		"restore job RUNNING (",
		"restore job COMPLETED (",
		scratch+" available (",
		"restore drill of prod-laravel: "+restoreDatabase,
		"  recovery point:  "+continuous+" (4 min ",
		"  checked from:    i-0b, as the application connects (its role reads the secret)",
		"  TLS:             TLSv1.3",
		"  tables:          42 in app",
		"passed: the backup of "+f.restoreTime+" restores in ",
	)
	if !regexp.MustCompile(`  restored in: +\d+ s( \(\d+ min \d+ s\))?, from the restore job's start to ` + scratch + ` available`).MatchString(out) {
		t.Errorf("the summary has no restore duration:\n%s", out)
	}
	if strings.Contains(out, "newest row:") || strings.Contains(out, "check failed:") {
		t.Errorf("the summary reports a newest row or a failure it was not asked for:\n%s", out)
	}
	// The secret went from Secrets Manager to PHP on a pipe, nowhere else.
	if b, _ := os.ReadFile(filepath.Join(f.state, "php-stdin-check")); !strings.Contains(string(b), `\"password\":\"`+restorePassword+`\"`) {
		t.Errorf("php did not read the secret on its standard input: %q", b)
	}
	f.wantNoSecretOut(out)
	f.wantNothingLeftRunning(out)
}

func TestDrillRestoreInFixedModeRestoresASnapshotAndDatesTheNewestRow(t *testing.T) {
	t.Parallel()
	f := newRestoreDrill(t, nil)
	f.setResources(
		"AWS::EC2::Instance TierFleetServer186A166D2 i-01",
		"AWS::EC2::Instance TierFleetServer270CED946 i-02",
	)
	f.setState("online", "i-02\n")
	out := f.mustRun(0, "prod", "laravel", "--confirm", "prod", "--snapshot", "--newest-table", "sessions", "--newest-column", "last_activity")
	// The newest completed snapshot of the vault, as a snapshot: no point in time.
	f.wantRestoredAndDeleted(out, restoreNewest, 1)
	f.wantMetadata(nil)
	wantOutput(t, out,
		"  recovery point:  the snapshot of "+f.newestCreated+" in "+restoreVault+" (1 h 0 min old at the restore)",
		"  checked from:    i-02, as the application connects",
		"  newest row:      sessions.last_activity 2026-05-01 03:10:02 UTC, 163 s before the backup",
	)
	if n := f.countCalls("aws ssm describe-instance-information --filters Key=InstanceIds,Values=i-01,i-02 "); n != 1 {
		t.Errorf("the servers were not looked up in SSM as i-01,i-02:\n%s", strings.Join(f.calls(), "\n"))
	}
	if n := f.countCalls("aws autoscaling"); n != 0 {
		t.Errorf("fixed mode called autoscaling %d time(s)", n)
	}
	if !strings.Contains(f.sent(2), "TABLE='sessions' COLUMN='last_activity' SINCE='"+f.newestCreated+"'") {
		t.Errorf("the check was not asked for sessions.last_activity:\n%s", f.sent(2))
	}
	if n := f.countCalls("php -d display_errors=stderr "); n != 2 {
		t.Errorf("php ran %d time(s), want 2 (preflight, check)", n)
	}
	for _, c := range f.calls() {
		if strings.HasPrefix(c, "php ") && strings.Contains(c, " check ") && !strings.HasSuffix(c, " sessions last_activity "+f.newestCreated) {
			t.Errorf("php called as %q", c)
		}
	}
}

func TestDrillRestoreDeletesTheCopyWhenTheCheckFails(t *testing.T) {
	t.Parallel()
	f := newRestoreDrill(t, nil)
	f.setState("php-check", "secret read with the server's role, user tierkit_admin\n"+
		"error cannot connect to host:3307 over TLS: SQLSTATE[HY000] [1045] Access denied for user 'tierkit_admin'\n")
	f.setState("php-check-rc", "1")
	// Without a continuous backup, the newest snapshot.
	f.setState("points", strings.Join(f.lines("points")[1:], "\n")+"\n")
	out := f.mustRun(1, "prod", "laravel", "--confirm", "prod")
	f.wantRestoredAndDeleted(out, restoreNewest, 1)
	wantOutput(t, out,
		"  recovery point:  the snapshot of "+f.newestCreated+" in "+restoreVault+" (1 h 0 min old at the restore)",
		"  TLS:             not reached",
		"  tables:          not counted",
		"  check failed:    cannot connect to host:3307 over TLS: SQLSTATE[HY000] [1045] Access denied",
		"tierkit drill-restore: the restored copy failed the check: cannot connect to host:3307 over TLS",
	)
	if strings.Contains(out, "passed") {
		t.Errorf("a failed check passed:\n%s", out)
	}
	f.wantNothingLeftRunning(out)
}

// TestDrillRestoreRunsTheRealCheckInPHP runs the check's PHP with the real
// php (the fake Secrets Manager's answer on its standard input) against a
// port nothing listens on, for each engine whose PDO driver php has.
func TestDrillRestoreRunsTheRealCheckInPHP(t *testing.T) {
	t.Parallel()
	modules := phpModules(t)
	closed := closedPort(t)
	for name, tc := range map[string]struct {
		engine, driver, flag string
		code                 int
		want                 []string
	}{
		"mysql": {"mysql", "pdo_mysql", "", 1, []string{
			"PHP " /* version */, "with pdo_mysql; secret read with the server's role, user tierkit_admin",
			"  check failed:    cannot connect to 127.0.0.1:" + closed + " over TLS: SQLSTATE[HY000] [2002] Connection refused",
		}},
		"postgres": {"postgres", "pdo_pgsql", "", 1, []string{
			"with pdo_pgsql; secret read with the server's role, user tierkit_admin",
			"  check failed:    cannot connect to 127.0.0.1:" + closed + " over TLS: SQLSTATE[08006] [7] ",
		}},
		"secret denied": {"mysql", "pdo_mysql", "secret-denied", 1, []string{
			"i-0b cannot run the check: Secrets Manager did not give the secret: AccessDeniedException User: " +
				"arn:aws:sts::123456789012:assumed-role/prod-laravel-FleetRole/i-0b is not authorized to perform: secretsmanager:GetSecretValue; nothing was done",
		}},
	} {
		t.Run(name, func(t *testing.T) {
			if !modules[tc.driver] {
				t.Skipf("php has no %s", tc.driver)
			}
			f := newRestoreDrill(t, map[string]*string{"php": nil})
			f.setState("source", strings.Replace(f.lines("source")[0], "\tmysql\t", "\t"+tc.engine+"\t", 1)+"\n")
			f.setState("scratch-host", "127.0.0.1")
			f.setState("scratch-port", closed)
			if tc.flag != "" {
				f.set(tc.flag)
			}
			out := f.mustRun(tc.code, "prod", "laravel", "--confirm", "prod")
			wantOutput(t, out, tc.want...)
			if tc.flag == "" {
				f.wantRestoredAndDeleted(out, restoreContinuous, 1)
			} else if changes := f.changes(); len(changes) != 0 {
				t.Errorf("a refused drill created or deleted something: %q", changes)
			}
			f.wantNoSecretOut(out)
		})
	}
}

func TestDrillRestoreAndTheCheckItSendsPassShellcheck(t *testing.T) {
	t.Parallel()
	shellcheck.Check(t, "drill-restore")
	f := newRestoreDrill(t, nil)
	f.mustRun(0, "prod", "laravel", "--confirm", "prod")
	script := f.sent(2)
	file := filepath.Join(t.TempDir(), "check.sh")
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	// The script declares itself sh (AWS-RunShellScript runs sh).
	if !strings.HasPrefix(script, "# shellcheck shell=sh\n") {
		t.Errorf("the check does not start with its shellcheck directive:\n%s", script)
	}
	shellcheck.Check(t, file)
	// Its PHP, where php is installed (CI installs it).
	if !requirePHPOnPath(t) {
		return
	}
	php := regexp.MustCompile(`(?s)<<'TIERKIT_PHP'\n(.*?)\nTIERKIT_PHP\n`).FindStringSubmatch(script)
	if php == nil {
		t.Fatalf("no PHP in the check:\n%s", script)
	}
	phpFile := filepath.Join(t.TempDir(), "check.php")
	if err := os.WriteFile(phpFile, []byte(php[1]), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("php", "-l", phpFile).CombinedOutput(); err != nil {
		t.Errorf("php -l: %v\n%s", err, out)
	}
}

func TestDrillRestoreTimeoutNamesWhatItWaitedForAndDeletesTheCopy(t *testing.T) {
	for name, tc := range map[string]struct {
		setup func(f *restoreDrill)
		want  string
	}{
		"restore job": {func(f *restoreDrill) {
			f.setState("job-states", "RUNNING\n")
			f.setState("scratch-states", "creating\n")
		}, "gave up after 2 s waiting for the restore job restore-job-1 to complete"},
		"copy": {func(f *restoreDrill) { f.setState("scratch-states", "creating\nmodifying\n") },
			"gave up after 2 s waiting for SCRATCH to be available"},
		"check": {func(f *restoreDrill) { f.set("ssm-hangs") },
			"gave up after 2 s waiting for the check on i-0b (command command-2)"},
	} {
		t.Run(name, func(t *testing.T) {
			// In parallel with each other only: they mostly wait.
			t.Parallel()
			f := newRestoreDrill(t, nil)
			tc.setup(f)
			start := time.Now()
			// 2 s: SECONDS counts whole seconds, a wait of 1 s may give up at once.
			out := f.mustRun(1, "prod", "laravel", "--confirm", "prod", "--timeout", "2")
			if d := time.Since(start); d > 15*time.Second {
				t.Errorf("a 2 s timeout took %v", d)
			}
			wantOutput(t, out,
				"tierkit drill-restore: "+strings.ReplaceAll(tc.want, "SCRATCH", f.scratch()),
				"the drill did not finish: deleting the scratch instance "+f.scratch(),
			)
			f.wantRestoredAndDeleted(out, restoreContinuous, 1)
			f.wantNothingLeftRunning(out)
		})
	}
}

func TestDrillRestoreInterruptedWaitsForTheCopyToExistAndDeletesIt(t *testing.T) {
	f := newRestoreDrill(t, nil)
	// The restore job never ends; the copy appears late, and RDS refuses
	// to delete it while it is being created, once.
	f.setState("job-states", "RUNNING\n")
	f.setState("scratch-states", "absent\nabsent\nabsent\ncreating\n")
	f.set("refuse-delete-once")
	cmd, buf := f.command("prod", "laravel", "--confirm", "prod")
	f.startAndWaitForCall(cmd, buf, "aws backup describe-restore-job")
	out, code := f.interrupt(cmd, buf)
	if code != 130 {
		t.Errorf("exit %d, want 130:\n%s", code, out)
	}
	scratch := f.scratch()
	wantOutput(t, out,
		"the drill did not finish: deleting the scratch instance "+scratch,
		"the restore job restore-job-1 is RUNNING: waiting for "+scratch+" to exist, to delete it",
		"cannot delete "+scratch+" yet (creating): An error occurred (InvalidDBInstanceState)",
		"deleting "+scratch+" (it was creating)",
	)
	f.wantRestoredAndDeleted(out, restoreContinuous, 2)
	f.wantNothingLeftRunning(out)
}

func TestDrillRestoreKeepsTheCopyForALookThenCtrlCDeletesIt(t *testing.T) {
	// sleep logs its calls: the keep is the one of 60 s.
	sleep := `for d in /bin /usr/bin; do [[ ! -x $d/sleep ]] || exec "$d/sleep" "$@"; done
exit 127
`
	f := newRestoreDrill(t, map[string]*string{"sleep": &sleep})
	cmd, buf := f.command("prod", "laravel", "--confirm", "prod", "--keep-minutes", "1")
	f.startAndWaitForCall(cmd, buf, "sleep 60")
	out, code := f.interrupt(cmd, buf)
	if code != 130 {
		t.Errorf("exit %d, want 130:\n%s", code, out)
	}
	scratch := f.scratch()
	wantOutput(t, out,
		"  tables:          42 in app",
		"keeping "+scratch+" ("+scratch+".c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com:3307, reachable from the fleet) for 1 minute(s); Ctrl-C deletes it now",
		"the drill did not finish: deleting the scratch instance "+scratch,
	)
	f.wantRestoredAndDeleted(out, restoreContinuous, 1)
	f.wantNothingLeftRunning(out)
}

func TestDrillRestoreFailedRestoreHasNothingToDelete(t *testing.T) {
	t.Parallel()
	f := newRestoreDrill(t, nil)
	f.setState("job-states", "RUNNING\nFAILED\tAccess denied: the role cannot restore RDS\n")
	f.setState("scratch-states", "absent\n")
	out := f.mustRun(1, "prod", "laravel", "--confirm", "prod")
	wantOutput(t, out,
		"tierkit drill-restore: the restore job restore-job-1 ended FAILED: Access denied: the role cannot restore RDS",
		"no "+f.scratch()+" to delete: the restore created none",
	)
	if changes := f.changes(); len(changes) != 1 || !strings.HasPrefix(changes[0], "aws backup start-restore-job") {
		t.Errorf("want the restore only, got %q", changes)
	}
}

func TestDrillRestoreRestoresTheNewestSnapshotWhenTheContinuousBackupIsNotRestorable(t *testing.T) {
	t.Parallel()
	f := newRestoreDrill(t, nil)
	f.setState("source", restoreDBArn+"\tmysql\t"+restoreParameters+"\tNone\n")
	out := f.mustRun(0, "prod", "laravel", "--confirm", "prod")
	wantOutput(t, out,
		"the continuous backup of "+restoreDatabase+" has no latest restorable time (None): restoring the newest snapshot",
		"  recovery point:  the snapshot of "+f.newestCreated+" in "+restoreVault,
	)
	f.wantRestoredAndDeleted(out, restoreNewest, 1)
	f.wantMetadata(nil)
}

func TestDrillRestoreRefusesWithoutEnvironmentAndTier(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		nil, {"prod"}, {"prod", "laravel", "extra"}, {"prod", "laravel", "--confirm"},
		{"prod", "laravel", "--timeout", "0"}, {"prod", "laravel", "--keep-minutes", "121"},
		{"prod", "laravel", "--keep-minutes", "-1"}, {"prod", "laravel", "--newest-table", "sessions"},
		{"prod", "laravel", "--newest-table", "sessions;drop", "--newest-column", "id"},
		{"prod", "laravel", "--newest-table", "sessions", "--newest-column", "last activity"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			f := newRestoreDrill(t, nil)
			out, code := f.run(args...)
			f.wantRefused(out, code, 2, "usage: scripts/drill-restore ENV TIER [--confirm ENV]")
		})
	}
}

func TestDrillRestoreRefusesWithoutTheEnvironmentsName(t *testing.T) {
	t.Parallel()
	f := newRestoreDrill(t, nil)
	out, code := f.run("prod", "laravel", "--confirm", "staging")
	f.wantRefused(out, code, 1, "--confirm staging does not match the environment prod; nothing was done")
	f = newRestoreDrill(t, nil)
	out, code = f.run("prod", "laravel")
	f.wantRefused(out, code, 1, "no terminal to confirm on: pass --confirm prod to restore the database of prod-laravel")
}

func TestDrillRestoreAsksOnTheTerminal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		answer  string
		code    int
		changes int
	}{{"prod", 0, 2}, {"staging", 1, 0}, {"", 1, 0}} {
		t.Run(tc.answer, func(t *testing.T) {
			f := newRestoreDrill(t, nil)
			out, code := f.onTerminal(tc.answer, "prod", "laravel")
			if code != tc.code {
				t.Errorf("exit %d, want %d:\n%s", code, tc.code, out)
			}
			wantOutput(t, out, "This restores the database of prod-laravel into a scratch instance, checks it and deletes it. Type the environment name to continue: ")
			if got := len(f.changes()); got != tc.changes {
				t.Errorf("%d calls that create or delete something, want %d:\n%s", got, tc.changes, out)
			}
		})
	}
}

func TestDrillRestoreRefusesBeforeCreatingAnything(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		setup func(f *restoreDrill)
		want  string
	}{
		"missing stack": {func(f *restoreDrill) { f.set("fail-stack") }, "Stack with id prod-laravel does not exist"},
		"no vault": {func(f *restoreDrill) {
			f.setState("resources", strings.ReplaceAll(strings.Join(f.lines("resources"), "\n"), "AWS::Backup::BackupVault", "AWS::Backup::Other")+"\n")
		}, "prod-laravel has no AWS::Backup::BackupVault: deploy the tier's backup block first; nothing was done"},
		"no recovery point": {func(f *restoreDrill) {
			f.setState("points", "2026-05-01T03:12:45.000000+00:00\tFAILED\t"+restoreVault+"\tarn:aws:rds:eu-west-1:123456789012:snapshot:awsbackup:job-failed\n"+
				"2026-05-01T04:12:45.000000+00:00\tCOMPLETED\tDefault\tarn:aws:rds:eu-west-1:123456789012:snapshot:awsbackup:job-other\n")
		}, "no COMPLETED recovery point of " + restoreDBArn + " in the vault " + restoreVault + " (2 not completed or in other vaults); nothing was done"},
		"a continuous one not restorable yet": {func(f *restoreDrill) {
			f.setState("source", restoreDBArn+"\tmysql\t"+restoreParameters+"\tNone\n")
			f.setState("points", f.lines("points")[0]+"\n"+
				"2026-05-01T03:12:45.000000+00:00\tFAILED\t"+restoreVault+"\tarn:aws:rds:eu-west-1:123456789012:snapshot:awsbackup:job-failed\n")
		}, "no COMPLETED snapshot recovery point of " + restoreDBArn + " in the vault " + restoreVault + " (1 not completed or in other vaults, and a continuous one); nothing was done"},
		"no server online": {func(f *restoreDrill) { f.setState("online", "\n") },
			"none of the servers of prod-laravel (i-0a i-0b i-0c) is online in Systems Manager"},
		"old curl on the server": {func(f *restoreDrill) { f.set("old-curl") },
			"i-0b cannot run the check: this server's curl cannot sign requests (--aws-sigv4 needs curl 7.75 or later); nothing was done"},
		"secret denied": {func(f *restoreDrill) { f.set("secret-denied") },
			"i-0b cannot run the check: Secrets Manager did not give the secret: AccessDeniedException; nothing was done"},
		"no CA bundle": {func(f *restoreDrill) { f.unset("ca.pem") },
			"i-0b cannot run the check: no RDS CA bundle at "},
	} {
		t.Run(name, func(t *testing.T) {
			f := newRestoreDrill(t, nil)
			tc.setup(f)
			out, code := f.run("prod", "laravel", "--confirm", "prod")
			if code != 1 {
				t.Errorf("exit %d, want 1:\n%s", code, out)
			}
			wantOutput(t, out, tc.want)
			if changes := f.changes(); len(changes) != 0 {
				t.Errorf("a refused drill created or deleted something: %q", changes)
			}
			f.wantNoSecretOut(out)
		})
	}
}

// phpModules are the modules of the php on PATH (php -m), lowercased; none
// without php, which fails the test in CI (.ci/run installs php-cli).
func phpModules(t *testing.T) map[string]bool {
	t.Helper()
	if !requirePHPOnPath(t) {
		t.Skip("needs php (Debian package php-cli)")
	}
	out, err := exec.Command("php", "-m").Output()
	if err != nil {
		t.Fatalf("php -m: %v", err)
	}
	modules := map[string]bool{}
	for _, m := range strings.Fields(string(out)) {
		modules[strings.ToLower(m)] = true
	}
	return modules
}

// requirePHPOnPath reports whether php is on PATH; in CI, where .ci/run
// installs it, a missing php fails the test.
func requirePHPOnPath(t *testing.T) bool {
	t.Helper()
	if _, err := exec.LookPath("php"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("php is not on PATH in CI: .ci/run installs php-cli")
		}
		return false
	}
	return true
}

// closedPort is a local TCP port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}
