package monitoring_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func TestWatchGroupAlarmsWhenFewerWorkersThanDesiredAreInServiceFor10Minutes(t *testing.T) {
	tpl := template(t)
	groupMetric := func(id, name string) any {
		return assertions.Match_ObjectLike(&map[string]any{
			"Id": id, "ReturnData": false,
			"MetricStat": map[string]any{
				"Metric": map[string]any{
					"Namespace": "AWS/AutoScaling", "MetricName": name,
					"Dimensions": []any{map[string]any{"Name": "AutoScalingGroupName", "Value": workerGroupName}},
				},
				"Period": 60, "Stat": "Average",
			},
		})
	}
	tpl.HasResourceProperties(t, alarmType, map[string]any{
		"Metrics": assertions.Match_ArrayWith(&[]any{
			assertions.Match_ObjectLike(&map[string]any{"Expression": "desired - inService", "ReturnData": true}),
			groupMetric("desired", "GroupDesiredCapacity"),
			groupMetric("inService", "GroupInServiceInstances"),
		}),
		"EvaluationPeriods": 10, "Threshold": 0, "ComparisonOperator": "GreaterThanThreshold",
		"AlarmActions": []any{topicRef}, "OKActions": []any{topicRef},
		"AlarmDescription": assertions.Match_StringLikeRegexp(jsii.String("^The Queue workers group had fewer queue worker servers in service than desired for 10 minutes")),
	})
}

func TestWatchGroupGraphsTheGroupInTheDashboard(t *testing.T) {
	body := dashboardBody(t, template(t))
	graph := strings.Index(body, `"title":"Queue workers"`)
	if graph < 0 {
		t.Fatalf("no Queue workers graph in %s", body)
	}
	widget := body[graph:]
	widget = widget[:strings.Index(widget, `"yAxis"`)]
	for _, want := range []string{`"AWS/AutoScaling","GroupDesiredCapacity","AutoScalingGroupName","` + workerGroupName + `"`, `"AWS/AutoScaling","GroupInServiceInstances","AutoScalingGroupName","` + workerGroupName + `"`} {
		if !strings.Contains(widget, want) {
			t.Errorf("the Queue workers graph lacks %s: %s", want, widget)
		}
	}
}

func TestWatchGroupPanicsOnABadIDOrNoGroup(t *testing.T) {
	template(t)
	for _, c := range []struct{ id, want string }{{"workers", `WatchGroup: id "workers"`}, {"Queue", "WatchGroup Queue: group: missing"}} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), c.want) {
					t.Errorf("panic %v; want %q", r, c.want)
				}
			}()
			watched.WatchGroup(c.id, "Title", "worker", nil)
		}()
	}
}
