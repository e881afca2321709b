package laravel

import (
	"cmp"

	"github.com/tierkit/tierkit/constructs/fleet"
	"github.com/tierkit/tierkit/constructs/webtier"
	"github.com/tierkit/tierkit/internal/check"
)

// Bounds of the worker group's sizes (fleet.WorkerGroupProps).
const (
	defaultWorkerMin = 2
	maxWorkerGroup   = 100
)

// validateWorkerGroup reports what is wrong with the worker group's
// settings for the tier p.
func (a *App) validateWorkerGroup(p webtier.Props, pr *check.Problems) {
	if a.QueueWorkers != QueueWorkersGroup {
		for _, f := range []struct {
			field string
			value int
		}{{"QueueWorkerMinCapacity", a.QueueWorkerMinCapacity}, {"QueueWorkerMaxCapacity", a.QueueWorkerMaxCapacity}} {
			if f.value != 0 {
				pr.Add(f.field, "%d is set, but QueueWorkers is %s: there is no worker group; allowed: only with QueueWorkers %q", f.value, cmp.Or(a.QueueWorkers, QueueWorkersOff), QueueWorkersGroup)
			}
		}
		return
	}
	if p.Fleet.Mode == fleet.Fixed {
		pr.Add("QueueWorkers", "%q needs an Auto Scaling fleet to scale, refresh and drain the workers, and the fleet is of fixed servers (Fleet Mode fixed); allowed with fixed servers: %s, %s", QueueWorkersGroup, QueueWorkersOff, QueueWorkersEveryNode)
	}
	lo, hi := a.QueueWorkerMinCapacity, a.QueueWorkerMaxCapacity
	if lo == 0 {
		lo = defaultWorkerMin
	}
	if hi == 0 {
		hi = min(2*lo, maxWorkerGroup)
	}
	if a.QueueWorkerMinCapacity < 0 || a.QueueWorkerMinCapacity > maxWorkerGroup-1 {
		pr.Add("QueueWorkerMinCapacity", "%d is out of range; allowed: 1 to %d (0 for the default, %d)", a.QueueWorkerMinCapacity, maxWorkerGroup-1, defaultWorkerMin)
	}
	switch {
	case a.QueueWorkerMaxCapacity < 0 || a.QueueWorkerMaxCapacity > maxWorkerGroup:
		pr.Add("QueueWorkerMaxCapacity", "%d is out of range; allowed: 2 to %d (0 for the default, twice QueueWorkerMinCapacity)", a.QueueWorkerMaxCapacity, maxWorkerGroup)
	case hi <= lo:
		pr.Add("QueueWorkerMaxCapacity", "%d is not greater than QueueWorkerMinCapacity %d: an instance refresh adds a server before it removes one; allowed: %d to %d", hi, lo, lo+1, maxWorkerGroup)
	}
}

// attachWorkerGroup adds the worker group to the fleet, its termination
// hook (on the workers alone: the web servers run no worker to drain) and
// its alarm and graph. The group shares the fleet's launch template, so its
// role (the queue, the database secret, the bucket, the logs), security
// group (admitted by the database and the cache) and boot steps (.env, the
// CA bundle, the release, migrations) are the web servers'.
func (a *App) attachWorkerGroup(t webtier.Parts) {
	f := t.Fleet()
	a.workerGroup = f.AddWorkerGroup(QueueWorkerGroupID, &fleet.WorkerGroupProps{
		MinCapacity: a.QueueWorkerMinCapacity, MaxCapacity: a.QueueWorkerMaxCapacity,
	})
	f.AddTerminationHook(QueueDrainHook, QueueDrainHeartbeat, a.workerGroup)
	t.Monitoring().WatchGroup(QueueWorkerGroupID, "Queue workers", "queue worker", a.workerGroup)
}
