-- Move members of a notice on to another channel, each once per cascade step.
-- KEYS[1] hash member id -> channel it was moved to in this step; KEYS[2] hash of the
-- cascade's counters (from:<channel>, to:<channel>); KEYS[3..] the counters of each
-- channel's delivery (their "total" grows by the members moved there), in the order of
-- the channel names ARGV[3..2+#channels].
-- ARGV: source channel, ttl of KEYS[1], the channel names, then pairs member id, index of
-- its channel among the names (1-based).
-- Returns how many were moved now (a member moved before in this step is not again).
local source, ttl = ARGV[1], tonumber(ARGV[2])
local kinds = {}
for i = 3, 2 + (#KEYS - 2) do kinds[#kinds + 1] = ARGV[i] end
local moved = 0
for i = 3 + #kinds, #ARGV, 2 do
  local index = tonumber(ARGV[i + 1])
  local kind = kinds[index]
  if redis.call('HSETNX', KEYS[1], ARGV[i], kind) == 1 then
    redis.call('HINCRBY', KEYS[2 + index], 'total', 1)
    redis.call('HINCRBY', KEYS[2], 'to:' .. kind, 1)
    redis.call('HINCRBY', KEYS[2], 'from:' .. source, 1)
    moved = moved + 1
  end
end
redis.call('EXPIRE', KEYS[1], ttl)
return moved
