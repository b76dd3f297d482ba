-- ARGV: reason, run token, member ids. Skips every id without a final state, except those
-- another live run has on the wire (it records them itself). Returns how many were skipped.
local n = 0
for i = 3, #ARGV do
  local state = redis.call('HGET', KEYS[1], ARGV[i])
  if not state or (on_wire(state) and not held(state, ARGV[2])) then
    redis.call('HSET', KEYS[1], ARGV[i], 'k:' .. ARGV[1])
    n = n + 1
  end
end
if n > 0 then counted('skipped', n) end
return n
