package laravel_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"

	"github.com/tierkit/tierkit/constructs/laravel"
	"github.com/tierkit/tierkit/constructs/webtier"
	"github.com/tierkit/tierkit/internal/cdktest"
	"github.com/tierkit/tierkit/internal/check"
	"github.com/tierkit/tierkit/internal/fakeaws"
)

// The queue workers: the RHEL tier (rhelProps) runs them on SQS with the
// tier's key, the cached tier (cachedProps) on its Redis, the default tier
// runs none.

// The logical IDs of the RHEL tier's queues: renaming "Queue" or
// "QueueDeadLetters" replaces a queue.
const (
	queueID       = "TierQueueC258804F"
	deadLettersID = "TierQueueDeadLettersFD57576E"
)

func TestQueuesArePinnedAndRetained(t *testing.T) {
	checkPolicies(t, rhel(t), "Retain", queueID, deadLettersID)
}

func TestNoQueueNorHookWithoutWorkers(t *testing.T) {
	tpl := template(t)
	tpl.ResourceCountIs(t, "AWS::SQS::Queue", 0)
	tpl.ResourceCountIs(t, "AWS::AutoScaling::LifecycleHook", 0)
	if api.tier.App().Queue() != nil || onRHEL.tier.App().Queue() == nil || cached.tier.App().Queue() != nil {
		t.Errorf("App().Queue(): want the queue with sqs workers only")
	}
	if got := api.tier.BootSteps(); slices.Contains(got, "queue-worker") {
		t.Errorf("BootSteps() = %q without workers", got)
	}
}

func TestRedisWorkersNeedNoSQSQueue(t *testing.T) {
	cachedTemplate(t).ResourceCountIs(t, "AWS::SQS::Queue", 0)
	if got := cached.tier.BootSteps(); !slices.Equal(got, []string{"cron-off", "rds-ca", "laravel-env", "laravel-cache", "queue-worker", "scheduler"}) {
		t.Errorf("BootSteps() = %q; want queue-worker after laravel-cache", got)
	}
}

func TestQueueHasADeadLetterQueueAndTheTiersKey(t *testing.T) {
	tpl := rhel(t)
	key := cdktest.LogicalID(t, tpl, "AWS::KMS::Key", "TierKey")
	tpl.HasResourceProperties(t, "AWS::SQS::Queue", map[string]any{
		"RedrivePolicy":                 map[string]any{"deadLetterTargetArn": map[string]any{"Fn::GetAtt": []any{deadLettersID, "Arn"}}, "maxReceiveCount": 5},
		"KmsMasterKeyId":                map[string]any{"Fn::GetAtt": []any{key, "Arn"}},
		"VisibilityTimeout":             120,
		"MessageRetentionPeriod":        345600,
		"ReceiveMessageWaitTimeSeconds": 10,
	})
	tpl.HasResourceProperties(t, "AWS::SQS::Queue", map[string]any{
		"KmsMasterKeyId":         map[string]any{"Fn::GetAtt": []any{key, "Arn"}},
		"MessageRetentionPeriod": 1209600,
		"RedrivePolicy":          assertions.Match_Absent(),
	})
}

func TestQueuesRefuseRequestsWithoutTLS(t *testing.T) {
	tpl := rhel(t)
	for _, id := range []string{queueID, deadLettersID} {
		tpl.HasResourceProperties(t, "AWS::SQS::QueuePolicy", map[string]any{
			"Queues": []any{map[string]any{"Ref": id}},
			"PolicyDocument": map[string]any{"Statement": []any{map[string]any{
				"Action": "sqs:*", "Effect": "Deny", "Principal": map[string]any{"AWS": "*"},
				"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
				"Resource":  map[string]any{"Fn::GetAtt": []any{id, "Arn"}},
			}}},
		})
	}
}

func TestQueueAlarmsNotifyTheTopic(t *testing.T) {
	tpl := rhel(t)
	topic := []any{map[string]any{"Ref": cdktest.LogicalID(t, tpl, "AWS::SNS::Topic", "TierAlertsTopic")}}
	for _, c := range []struct {
		metric, queue string
		threshold     float64
	}{
		{"ApproximateNumberOfMessagesVisible", deadLettersID, 0},
		{"ApproximateAgeOfOldestMessage", queueID, 900},
	} {
		tpl.HasResourceProperties(t, "AWS::CloudWatch::Alarm", map[string]any{
			"Namespace": "AWS/SQS", "MetricName": c.metric, "Statistic": "Maximum", "Period": 300,
			"Dimensions":         []any{map[string]any{"Name": "QueueName", "Value": map[string]any{"Fn::GetAtt": []any{c.queue, "QueueName"}}}},
			"Threshold":          c.threshold,
			"ComparisonOperator": "GreaterThanThreshold",
			"TreatMissingData":   "notBreaching",
			"AlarmActions":       topic, "OKActions": topic,
		})
	}
}

// TestFleetMayUseTheQueueExactly: the five actions Laravel's queue calls, on
// the queue alone, and the tier's key for its data keys; nothing on the
// dead-letter queue.
func TestFleetMayUseTheQueueExactly(t *testing.T) {
	tpl := rhel(t)
	key := cdktest.LogicalID(t, tpl, "AWS::KMS::Key", "TierKey")
	var sqs, kms []string
	for _, s := range roleStatements(t, tpl) {
		actions := cdktest.AsList(s["Action"])
		switch {
		case strings.HasPrefix(actions[0].(string), "sqs:"):
			sqs = append(sqs, cdktest.JSON(s))
		case slices.Contains(actions, any("kms:GenerateDataKey")):
			kms = append(kms, cdktest.JSON(s))
		}
	}
	want := cdktest.JSON(map[string]any{"Action": []any{"sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage", "sqs:SendMessage"},
		"Effect": "Allow", "Resource": map[string]any{"Fn::GetAtt": []any{queueID, "Arn"}}})
	if len(sqs) != 1 || sqs[0] != want {
		t.Errorf("sqs statements %v; want exactly %s", sqs, want)
	}
	wantKey := cdktest.JSON(map[string]any{"Action": []any{"kms:Decrypt", "kms:GenerateDataKey"}, "Effect": "Allow", "Resource": map[string]any{"Fn::GetAtt": []any{key, "Arn"}}})
	if !slices.Contains(kms, wantKey) {
		t.Errorf("kms statements %v; want %s", kms, wantKey)
	}
}

// TestTerminationHookWaitsForTheDrain: each group (the main one and the
// singleton's) waits, bounded, for the drain before a server goes.
func TestTerminationHookWaitsForTheDrain(t *testing.T) {
	tpl := rhel(t)
	hooks := tpl.Resources("AWS::AutoScaling::LifecycleHook")
	var groups []string
	for _, h := range hooks {
		p := cdktest.Props(h)
		if p["LifecycleTransition"] != "autoscaling:EC2_INSTANCE_TERMINATING" || p["DefaultResult"] != "CONTINUE" ||
			p["HeartbeatTimeout"] != float64(laravel.QueueDrainHeartbeat.Seconds()) || p["LifecycleHookName"] != laravel.QueueDrainHook {
			t.Errorf("hook %s", cdktest.JSON(p))
		}
		groups = append(groups, cdktest.JSON(p["AutoScalingGroupName"]))
	}
	slices.Sort(groups)
	want := []string{
		cdktest.JSON(map[string]any{"Ref": cdktest.LogicalID(t, tpl, "AWS::AutoScaling::AutoScalingGroup", "TierFleetGroup")}),
		cdktest.JSON(map[string]any{"Ref": cdktest.LogicalID(t, tpl, "AWS::AutoScaling::AutoScalingGroup", "TierFleetSingleton")}),
	}
	slices.Sort(want)
	if !slices.Equal(groups, want) {
		t.Errorf("hooks on %v; want one on each group %v", groups, want)
	}
	if laravel.QueueDrainHeartbeat <= laravel.QueueStopTimeout {
		t.Errorf("heartbeat %v does not leave the worker its stop timeout %v", laravel.QueueDrainHeartbeat, laravel.QueueStopTimeout)
	}
}

// bootRHEL boots the RHEL tier's server.
func bootRHEL(t *testing.T) (*fakeaws.Machine, fakeaws.Result) {
	t.Helper()
	m := newRHELMachine(t, true, "/var/www/html", secret(password))
	return m, runBoot(t, m, rhel(t))
}

// TestFixedServersHaveNoTerminationHook: CloudFormation replaces a fixed
// server without a hook; systemd's stop at shutdown gives the worker its
// TimeoutStopSec.
func TestFixedServersHaveNoTerminationHook(t *testing.T) {
	variant(t)
	if alt.tier.Fleet().AddTerminationHook(laravel.QueueDrainHook, time.Minute) {
		t.Error("AddTerminationHook added a hook to a fleet of fixed servers")
	}
}

func TestBootPointsLaravelAtTheSQSQueue(t *testing.T) {
	m, _ := bootRHEL(t)
	env := m.Read(t, "var/www/html/.env")
	for _, want := range []string{
		"\nQUEUE_CONNECTION=sqs\n", "\nSQS_PREFIX=https://sqs.us-east-1.amazonaws.com/123456789012\n",
		"\nSQS_QUEUE=getatt-" + queueID + "-QueueName\n", "\nAWS_DEFAULT_REGION=us-east-1\n",
	} {
		if !strings.Contains(env, want) {
			t.Errorf(".env lacks %q:\n%s", want, env)
		}
	}
	if strings.Contains(env, "QUEUE_CONNECTION=database") {
		t.Errorf(".env keeps the AMI's queue connection:\n%s", env)
	}
}

// TestWorkerStartsOnlyAfterTheBootSucceeded: the unit runs queue:work as
// the web user, is stopped gracefully, and only the path unit, armed by
// the boot and triggered by boot-ok, starts it; nothing is enabled.
func TestWorkerStartsOnlyAfterTheBootSucceeded(t *testing.T) {
	m, r := bootRHEL(t)
	unit := m.Read(t, "etc/systemd/system/"+laravel.QueueWorkerUnit)
	for _, want := range []string{
		"\nUser=apache\n", "\nWorkingDirectory=/var/www/html\n",
		"\nExecStart=/usr/bin/env php artisan queue:work --sleep=3 --tries=3 --timeout=60 --max-time=3600\n",
		"\nRestart=always\n", "\nKillSignal=SIGTERM\n", "\nKillMode=mixed\n", "\nTimeoutStopSec=90\n",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("%s lacks %q:\n%s", laravel.QueueWorkerUnit, want, unit)
		}
	}
	path := m.Read(t, "etc/systemd/system/"+laravel.QueueWorkerPath)
	if !strings.Contains(path, "\nPathExists="+webtier.BootOK+"\nUnit="+laravel.QueueWorkerUnit+"\n") {
		t.Errorf("%s does not start the worker on boot-ok:\n%s", laravel.QueueWorkerPath, path)
	}
	start := slices.Index(r.Calls, "systemctl start "+laravel.QueueWorkerPath)
	stop := slices.Index(r.Calls, "systemctl stop "+laravel.QueueWorkerPath+" "+laravel.QueueWorkerUnit)
	cache := slices.IndexFunc(r.Calls, func(c string) bool { return strings.Contains(c, "config:cache") })
	if start < 0 || stop < 0 || cache < 0 || !(cache < stop && stop < start) {
		t.Errorf("calls %q: want the configuration cached, then the old worker stopped, then the path unit armed", r.Calls)
	}
	for _, c := range r.Calls {
		if strings.HasPrefix(c, "systemctl enable tierkit-queue") || c == "systemctl start "+laravel.QueueWorkerUnit {
			t.Errorf("%q: the worker must start from boot-ok only", c)
		}
	}
}

func TestWorkerStepIsTheSameAtEveryStart(t *testing.T) {
	m, first := bootRHEL(t)
	files := []string{"etc/systemd/system/" + laravel.QueueWorkerUnit, "etc/systemd/system/" + laravel.QueueWorkerPath,
		"etc/systemd/system/" + laravel.QueueDrainUnit, strings.TrimPrefix(laravel.QueueDrainScript, "/")}
	var before []string
	for _, f := range files {
		before = append(before, m.Read(t, f))
	}
	second := runBoot(t, m, rhel(t))
	for i, f := range files {
		if got := m.Read(t, f); got != before[i] {
			t.Errorf("%s changed at the second start:\n%s\nwas:\n%s", f, got, before[i])
		}
	}
	queueCalls := func(calls []string) (out []string) {
		for _, c := range calls {
			if strings.Contains(c, "tierkit-queue") || c == "systemctl daemon-reload" {
				out = append(out, c)
			}
		}
		return out
	}
	if a, b := queueCalls(first.Calls), queueCalls(second.Calls[len(first.Calls):]); !slices.Equal(a, b) {
		t.Errorf("the second start called %q; the first %q", b, a)
	}
}

// TestDrainStopsTheWorkerThenCompletesTheHook runs the drain program the
// boot wrote: once the instance metadata says the server is being
// terminated, it stops the worker, then completes the hook with CONTINUE,
// signed with the role.
func TestDrainStopsTheWorkerThenCompletesTheHook(t *testing.T) {
	m, r := bootRHEL(t)
	if !slices.Contains(r.Calls, "systemctl restart "+laravel.QueueDrainUnit) {
		t.Errorf("calls %q: the drain unit is not (re)started", r.Calls)
	}
	if unit := m.Read(t, "etc/systemd/system/"+laravel.QueueDrainUnit); !strings.Contains(unit, "\nExecStart="+laravel.QueueDrainScript+"\n") {
		t.Errorf("%s:\n%s", laravel.QueueDrainUnit, unit)
	}
	if _, err := exec.LookPath("shellcheck"); err == nil {
		if out, err := exec.Command("shellcheck", "--severity=style", filepath.Join(m.Root, laravel.QueueDrainScript)).CombinedOutput(); err != nil {
			t.Errorf("the drain program: shellcheck: %v\n%s", err, out)
		}
	}
	imds := fakeaws.IMDSHandler(func(*http.Request) (fakeaws.Instance, bool) {
		return fakeaws.Instance{IP: "10.0.2.33", ID: "i-0123456789abcdef0"}, true
	})
	polls := 0
	m.IMDS = &fakeaws.IMDS{Server: httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/latest/meta-data/autoscaling/target-lifecycle-state" && req.Header.Get("X-aws-ec2-metadata-token") != "" {
			if polls++; polls < 3 {
				w.Write([]byte("InService"))
			} else {
				w.Write([]byte("Terminated"))
			}
			return
		}
		imds.ServeHTTP(w, req)
	}))}
	t.Cleanup(m.IMDS.Close)
	before := len(r.Calls)
	d := m.Run(t, "TIERKIT_DRAIN_POLL=0 exec bash \"$TIERKIT_ROOT\""+laravel.QueueDrainScript)
	if d.Err != nil {
		t.Fatalf("drain: %v\n%s", d.Err, d.Console)
	}
	if got := d.Calls[before:]; !slices.Equal(got, []string{"systemctl stop " + laravel.QueueWorkerPath + " " + laravel.QueueWorkerUnit}) {
		t.Errorf("drain calls %q; want the worker stopped", got)
	}
	var done []fakeaws.Signal
	for _, s := range m.AWS.Signals() {
		if s.Action == "CompleteLifecycleAction" && s.Resource == laravel.QueueDrainHook {
			done = append(done, s)
		}
	}
	if len(done) != 1 || done[0].Status != "CONTINUE" || done[0].Stack != fakeaws.GroupName || done[0].UniqueID != "i-0123456789abcdef0" || done[0].SignatureError != "" {
		t.Errorf("hook completions %+v; want one CONTINUE for the instance, signed", done)
	}
	if polls < 3 {
		t.Errorf("the drain read the lifecycle state %d times; it must wait for Terminated", polls)
	}
}

func TestBootPointsLaravelAtRedis(t *testing.T) {
	m := newMachine(t, false, "/var/www/html", secret(password))
	withRedisSecret(m, secret(password))
	m.AWS.Secrets["CacheSecret"] = map[string]any{"token": cacheToken}
	runBoot(t, m, cachedTemplate(t))
	env := m.Read(t, "var/www/html/.env")
	if !strings.Contains(env, "\nQUEUE_CONNECTION=redis\n") || strings.Contains(env, "SQS_") {
		t.Errorf(".env:\n%s\nwant QUEUE_CONNECTION=redis and no SQS settings", env)
	}
}

func TestInvalidQueueSettings(t *testing.T) {
	redis := laravel.APIProps{CacheStore: "redis", RedisHost: "cache.internal"}
	with := func(p laravel.APIProps, workers, connection string) laravel.APIProps {
		p.QueueWorkers, p.QueueConnection = workers, connection
		return p
	}
	for _, c := range []struct {
		props laravel.APIProps
		want  string
	}{
		{with(laravel.APIProps{}, "lambda", ""), `QueueWorkers: "lambda" is not supported; allowed: off, every-node, worker-group`},
		{with(laravel.APIProps{}, "", "sqs"), `QueueConnection: "sqs" is set, but QueueWorkers is off`},
		{with(laravel.APIProps{}, "every-node", "sync"), "QueueConnection: sync runs each job inside the web request"},
		{with(laravel.APIProps{}, "every-node", "database"), `QueueConnection: "database" is not a queue the tier sets up; allowed: sqs (created by the tier), redis`},
		{with(laravel.APIProps{}, "every-node", "rabbitmq"), `QueueConnection: "rabbitmq" is not supported; allowed: sqs, redis`},
		{with(laravel.APIProps{}, "every-node", "redis"), "QueueConnection: redis, but neither SessionDriver nor CacheStore is redis"},
		{with(laravel.APIProps{Env: map[string]string{"SQS_QUEUE": "jobs"}}, "every-node", ""), "Env[SQS_QUEUE]: SQS_QUEUE is written by the tier when QueueWorkers is every-node"},
		{with(laravel.APIProps{EnvSecrets: map[string]string{"QUEUE_CONNECTION": "ssm:/api/queue"}}, "every-node", "redis"), "EnvSecrets[QUEUE_CONNECTION]: QUEUE_CONNECTION is written by the tier"},
	} {
		p := c.props
		p.DomainName = "api.example.com"
		err := p.Validate()
		var ce *check.Error
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want %q", c.props, err, c.want)
		}
	}
	for name, p := range map[string]laravel.APIProps{
		"off":          {},
		"sqs":          with(laravel.APIProps{}, "every-node", ""),
		"redis":        with(redis, "every-node", "redis"),
		"env when off": {Env: map[string]string{"QUEUE_CONNECTION": "database"}},
	} {
		p.DomainName = "api.example.com"
		if err := p.Validate(); err != nil && strings.Contains(err.Error(), "Queue") {
			t.Errorf("%s: refused: %v", name, err)
		}
	}
}
