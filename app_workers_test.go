package main

import (
	"strings"
	"testing"

	"github.com/tierkit/tierkit/internal/cdktest"
)

// TestLaravelWorkerGroupOnFixedServersNamesItsConfigurationPath: the
// fleet's mode is the environment's, the refusal the laravel tier's key's.
func TestLaravelWorkerGroupOnFixedServersNamesItsConfigurationPath(t *testing.T) {
	env := strings.Replace(twoTiers, `"tiers": {"laravel": {}, "nextcloud": {}}`,
		`"tiers": {"laravel": {"queueWorkers": "worker-group"}}, "fleet": {"mode": "fixed"}`, 1)
	app := cdktest.NewApp(t, withEnvironments(t, env))
	defer func() {
		msg := errorMessage(recover())
		want := `environments.prod.tiers.laravel.queueWorkers: "worker-group" needs an Auto Scaling fleet to scale, refresh and drain the workers, and the fleet is of fixed servers (Fleet Mode fixed); allowed with fixed servers: off, every-node`
		if !strings.HasPrefix(msg, "invalid configuration: ") || !strings.Contains(msg, want) {
			t.Errorf("got %q, want %s", msg, want)
		}
	}()
	build(app, selectEnv(t, app))
}
