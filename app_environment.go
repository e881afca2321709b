package main

import (
	"github.com/tierkit/tierkit/constructs/webtier"
	"github.com/tierkit/tierkit/internal/config"
)

// environmentKind maps what kind of environment env is onto a tier's
// props: dual-stack (the VPC and the load balancer both, as the load
// balancer needs IPv6 subnets) and disposable (no deletion protection on
// the load balancer and a database the tier creates; the database's final
// snapshot and every retained resource stay). It runs after the rest of
// the mapping, so it sees whether the database is an existing one.
func environmentKind(env config.Environment, p *webtier.Props) {
	p.Network.DualStack = env.DualStack
	p.Edge.DualStack = env.DualStack
	if env.Disposable {
		p.Edge.DisableDeletionProtection = true
		// An existing database is not the environment's to delete.
		p.Database.DisableDeletionProtection = p.Database.Existing == nil
	}
}
