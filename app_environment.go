package main

import (
	"github.com/tierkit/tierkit/constructs/webtier"
	"github.com/tierkit/tierkit/internal/config"
)

// environmentKind maps what kind of environment env is onto a tier's
// props: dual-stack (the VPC and the load balancer both, as the load
// balancer needs IPv6 subnets) and disposable (no deletion protection on
// the load balancer and the database; the database's final snapshot and
// every retained resource stay).
func environmentKind(env config.Environment, p *webtier.Props) {
	p.Network.DualStack = env.DualStack
	p.Edge.DualStack = env.DualStack
	if env.Disposable {
		p.Edge.DisableDeletionProtection = true
		p.Database.DisableDeletionProtection = true
	}
}
