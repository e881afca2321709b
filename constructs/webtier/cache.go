package webtier

import "github.com/tierkit/tierkit/constructs/cache"

// NewCache creates an application's shared cache in the tier, or wraps
// props.Existing: in the tier's VPC and with its key (unless the props name
// one), reachable from the fleet, its AUTH secret readable by the fleet's
// role, and a cache the tier created watched and linked on the dashboard
// (an existing cache is its owner's to watch). "Cache" is part of the
// cache's logical IDs: renaming it replaces the cache and its AUTH token.
func NewCache(t Parts, props cache.Props) *cache.Cache {
	if props.Existing == nil {
		props.Vpc = t.Network().Vpc()
		if props.EncryptionKey == nil {
			props.EncryptionKey = t.Key()
		}
	}
	c := cache.New(t, "Cache", &props)
	c.AllowFrom(t.Fleet())
	c.GrantSecretRead(t.Fleet().Role())
	if group := c.ReplicationGroup(); group != nil {
		t.Monitoring().WatchCache(group.Ref(), 1+c.Replicas())
		t.Monitoring().LinkLogGroups(c.SlowLog())
	}
	return c
}
