package boot_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/internal/cdktest"
)

// A worker server (tagged tierkit-worker=true) runs the same script as the
// web servers, without serving.

// workerAgentConfig names its stream as logs.StreamName does, once
// compact and once with the blanks of an indented document.
const workerAgentConfig = `{"logs":{"logs_collected":{"files":{"collect_list":[` +
	`{"file_path":"/var/log/tierkit-boot.log","log_group_name":"boot","log_stream_name":"{instance_id}"},` +
	`{"file_path":"/var/log/app.log","log_group_name":"app","log_stream_name" : "{instance_id}"}]}}}}`

func TestWorkerServerNeverStartsTheWebServerNorChecksHealth(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.imds.setTag(boot.WorkerTag, "true")
	r := m.boot(t, boot.New(&boot.Props{HealthCheckPath: "/up"}), fleetLoc)
	mustBoot(t, r)
	if !slices.Contains(r.Calls, "systemctl stop apache2") || slices.Contains(r.Calls, "systemctl restart apache2") {
		t.Errorf("calls %q: want the web server stopped, never started", r.Calls)
	}
	if got := m.aws.HealthChecks(); len(got) != 0 {
		t.Errorf("health checks %q on a worker server", got)
	}
	if !m.exists(bootOK) || !strings.Contains(r.Log, "worker server (tierkit-worker=true): apache2 stays stopped, no health check") {
		t.Errorf("the boot did not succeed as a worker's:\n%s", r.Log)
	}
}

// TestWebServerStartsWithoutTheWorkerTag: the tag with another value, or
// none, is a web server.
func TestWebServerStartsWithoutTheWorkerTag(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.imds.setTag(boot.WorkerTag, "false")
	r := m.boot(t, boot.New(&boot.Props{HealthCheckPath: "/up"}), fleetLoc)
	mustBoot(t, r)
	if !slices.Contains(r.Calls, "systemctl restart apache2") || len(m.aws.HealthChecks()) != 1 {
		t.Errorf("calls %q, health checks %q: want the web server started and checked", r.Calls, m.aws.HealthChecks())
	}
}

func TestIsWorkerHoldsOnlyOnTheTaggedServer(t *testing.T) {
	t.Parallel()
	s := boot.New(nil)
	s.AddStep("work", `if is_worker; then touch "$ROOT/worker"; else touch "$ROOT/web"; fi`)
	for _, worker := range []bool{true, false} {
		m := newMachine(t)
		if worker {
			m.imds.setTag(boot.WorkerTag, "true")
		}
		mustBoot(t, m.boot(t, s, fleetLoc))
		if m.exists("worker") != worker || m.exists("web") == worker {
			t.Errorf("worker=%v: is_worker answered the other way", worker)
		}
	}
}

// TestWorkerLogStreamsHaveTheirOwnNames: the same groups, every stream
// prefixed on a worker; a web server's configuration is left as it is.
func TestWorkerLogStreamsHaveTheirOwnNames(t *testing.T) {
	t.Parallel()
	for _, worker := range []bool{true, false} {
		m := newMachine(t)
		m.withAgent(t)
		if worker {
			m.imds.setTag(boot.WorkerTag, "true")
		}
		mustBoot(t, m.boot(t, boot.New(&boot.Props{AgentConfig: workerAgentConfig}), fleetLoc))
		got := cdktest.ReadFile(t, filepath.Join(m.Root, "opt/aws/amazon-cloudwatch-agent/etc/tierkit.json"))
		want := workerAgentConfig + "\n"
		if worker {
			want = strings.NewReplacer(`"log_stream_name":"{`, `"log_stream_name":"worker-{`, `"log_stream_name" : "{`, `"log_stream_name" : "worker-{`).Replace(want)
		}
		if got != want {
			t.Errorf("worker=%v: agent config\n%s\nwant\n%s", worker, got, want)
		}
	}
}
