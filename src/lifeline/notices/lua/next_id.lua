-- The next notice id of a tenant. Ids count per tenant, so no tenant can learn from its
-- ids how many notices others post.
-- KEYS: the tenant's counter, the counter all tenants shared before 0.2 (read once, so
-- that a tenant's new ids never repeat its old ones).
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('SET', KEYS[1], redis.call('GET', KEYS[2]) or 0)
end
return redis.call('INCR', KEYS[1])
