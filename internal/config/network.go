package config

import (
	"fmt"
	"net/netip"

	"github.com/tierkit/tierkit/constructs/edge"
)

// validateNATGateways checks natGateways and fills in its default, one per
// zone. 0 is refused, not read as "not set": the servers live in private
// subnets and reach AWS through the NAT gateways (Secrets Manager for the
// database password, CloudWatch Logs, the CloudFormation signal of their
// boot) as well as whatever the application calls on the internet; without
// one the first server never boots. Only S3 has an endpoint in the VPC.
func (e *Environment) validateNATGateways(path string, p *problems) {
	zones := max(len(e.AvailabilityZones), 2)
	if e.NATGateways == nil {
		e.NATGateways = &zones
		return
	}
	if *e.NATGateways == 0 {
		p.add(path, "0; allowed: 1 to %d (leave it out for one per zone): the servers are in private subnets and reach Secrets Manager, CloudWatch Logs, CloudFormation and the internet through a NAT gateway, so with none they cannot boot", zones)
		return
	}
	checkRange(path, *e.NATGateways, 1, zones, p)
}

// validateLoadBalancers checks each tier's loadBalancer.allowedSourceCidrs
// under its own key: the edge block would only name its Go field.
func (e *Environment) validateLoadBalancers(path string, p *problems) {
	for _, name := range sortedKeys(e.Tiers) {
		cidrs := e.Tiers[name].Props.Edge.AllowedSourceCIDRs
		at := join(join(join(path, name), "loadBalancer"), "allowedSourceCidrs")
		if cidrs != nil && len(cidrs) == 0 {
			p.add(at, "is empty; allowed: at least one range such as 203.0.113.0/24, or leave the key out to accept every address")
		}
		if len(cidrs) > edge.MaxSourceCIDRs {
			p.add(at, "%d ranges; allowed: at most %d (two security group rules each, within the group's 60)", len(cidrs), edge.MaxSourceCIDRs)
		}
		for i, c := range cidrs {
			key := fmt.Sprintf("%s[%d]", at, i)
			if prefix, err := netip.ParsePrefix(c); err == nil && prefix.Addr().Is6() && !prefix.Addr().Is4In6() && !e.DualStack {
				p.add(key, "%q is an IPv6 range, but the environment is IPv4 only; allowed: IPv4 ranges, or IPv6 ones with dualStack: true", c)
			} else if problem := edge.SourceCIDRProblem(c, true, cidrs[:i]); problem != "" {
				p.add(key, "%s", problem)
			}
		}
	}
}
