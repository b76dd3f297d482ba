-- Record one member's acknowledgement of a notice, once.
-- KEYS[1] hash member id -> "<channel>:<unix seconds>"; KEYS[2] hash of counts;
-- KEYS[3..] the notice's delivery records: the acknowledgements go when the last of them
-- does (they name the same members), or after ARGV[4] seconds when none has a lifetime.
-- ARGV: member id, channel, unix seconds, fallback lifetime in seconds.
-- Returns 1 when recorded, 0 when the member had acknowledged already.
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2] .. ':' .. ARGV[3]) == 0 then
  return 0
end
redis.call('HINCRBY', KEYS[2], 'total', 1)
redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
local ttl = -1
for i = 3, #KEYS do
  local left = redis.call('TTL', KEYS[i])
  if left > ttl then ttl = left end
end
if ttl <= 0 then ttl = tonumber(ARGV[4]) end
redis.call('EXPIRE', KEYS[1], ttl)
return 1
