package config

import (
	"strings"
	"testing"

	"github.com/tierkit/tierkit/constructs/laravel"
	"github.com/tierkit/tierkit/constructs/webtier"
)

// The Laravel tier's worker group: queueWorkers "worker-group" and its
// sizes, json-tagged fields of laravel.App refused under their paths.

// The fleet's mode is the environment's (app.go maps it): the app's tests
// refuse a worker group on fixed servers.

func TestLaravelWorkerGroupKeysAreDecoded(t *testing.T) {
	env, err := laravelTier(t, `{"queueWorkers": "worker-group", "queueWorkerMinCapacity": 3, "queueWorkerMaxCapacity": 8}`)
	if err != nil {
		t.Fatal(err)
	}
	l := env.Tiers[TierLaravel].App.(*laravel.App)
	if l.QueueWorkers != laravel.QueueWorkersGroup || l.QueueWorkerMinCapacity != 3 || l.QueueWorkerMaxCapacity != 8 {
		t.Errorf("laravel's worker group settings: %q, %d, %d", l.QueueWorkers, l.QueueWorkerMinCapacity, l.QueueWorkerMaxCapacity)
	}
	tier := env.Tiers[TierLaravel]
	if err := webtier.Validate(&tier.Props, l); err != nil && strings.Contains(err.Error(), "Queue") {
		t.Errorf("the tier refuses valid worker group settings: %v", err)
	}
}

func TestLaravelWorkerGroupKeysOfTheWrongType(t *testing.T) {
	_, err := laravelTier(t, `{"queueWorkers": "worker-group", "queueWorkerMinCapacity": "2", "queueWorkerMaxCapacity": 2.5}`)
	for _, want := range []string{
		`environments.prod.tiers.laravel.queueWorkerMinCapacity: must be`,
		`environments.prod.tiers.laravel.queueWorkerMaxCapacity: must be`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v; want it to contain %q", err, want)
		}
	}
}

func TestLaravelWorkerGroupRefusalsNameTheirConfigurationPath(t *testing.T) {
	for _, c := range []struct{ tier, want string }{
		{`{"queueWorkers": "worker-group", "queueWorkerMinCapacity": 4, "queueWorkerMaxCapacity": 3}`, "environments.prod.tiers.laravel.queueWorkerMaxCapacity: 3 is not greater than QueueWorkerMinCapacity 4"},
		{`{"queueWorkers": "worker-group", "queueWorkerMaxCapacity": 101}`, "environments.prod.tiers.laravel.queueWorkerMaxCapacity: 101 is out of range; allowed: 2 to 100"},
		{`{"queueWorkers": "worker-group", "queueWorkerMinCapacity": -1}`, "environments.prod.tiers.laravel.queueWorkerMinCapacity: -1 is out of range; allowed: 1 to 99"},
		{`{"queueWorkerMinCapacity": 2}`, `environments.prod.tiers.laravel.queueWorkerMinCapacity: 2 is set, but QueueWorkers is off: there is no worker group`},
	} {
		env, err := laravelTier(t, c.tier)
		if err != nil {
			t.Fatal(err)
		}
		tier := env.Tiers[TierLaravel]
		got := Refused(env, TierLaravel, webtier.Validate(&tier.Props, tier.App))
		if got == nil || !strings.Contains(got.Error(), c.want) {
			t.Errorf("%s: got %v; want %q", c.tier, got, c.want)
		}
	}
}
