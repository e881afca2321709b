package firewall_test

import "github.com/tierkit/tierkit/constructs/firewall/firewalltest"

// newLoadBalancer returns an internet-facing ALB in a VPC with two public
// subnets, the fixtures' stand-in for the edge block.
var newLoadBalancer = firewalltest.NewLoadBalancer
