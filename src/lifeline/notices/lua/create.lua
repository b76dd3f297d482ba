-- Store a new notice (or follow-up) and, with an Idempotency-Key, remember which it was.
-- KEYS: the notice's hash, the index it joins (the tenant's sorted set of notices, or the
--       list of its parent's follow-ups), and the Idempotency-Key's record if there is one.
-- ARGV: id, JSON document, request fingerprint, key TTL (s), created (ms), index kind
--       ('notices' | 'followups'), then field/value pairs to set with it (approval, …).
-- Returns {'created', id}, or {'exists', 'id:fingerprint'} when the key is known already.
local notice, index, idem = KEYS[1], KEYS[2], KEYS[3]
local id, doc, fingerprint, ttl, created, kind = unpack(ARGV, 1, 6)
if idem then
  local prev = redis.call('GET', idem)
  if prev then return {'exists', prev} end
end
redis.call('HSET', notice, 'doc', doc, 'status', 'active', 'created', created)
if #ARGV > 6 then redis.call('HSET', notice, unpack(ARGV, 7)) end
if kind == 'notices' then
  redis.call('ZADD', index, created, id)
else
  redis.call('RPUSH', index, id)
end
if idem then redis.call('SET', idem, id .. ':' .. fingerprint, 'EX', ttl) end
return {'created', id}
