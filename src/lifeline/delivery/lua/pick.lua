-- Which provider of a channel sends next. KEYS: the breakers in the channel's order.
-- ARGV: the index (0-based) to avoid unless nothing else admits a send (the provider that
-- just failed this recipient, or -1), the probe's lease in µs.
-- Returns {index, how}: how 1 closed, 2 the half-open probe (its lease taken), 3 none
-- admits a send and the first one sends anyway.
local now = clock()
local avoid = tonumber(ARGV[1])
local order = {}
for i = 1, #KEYS do
  if i - 1 ~= avoid then order[#order + 1] = i end
end
if avoid >= 0 and avoid < #KEYS then order[#order + 1] = avoid + 1 end
for _, i in ipairs(order) do
  local how = admits(KEYS[i], now)
  if how == 2 then
    redis.call('HSET', KEYS[i], 'probe_until', us(now + tonumber(ARGV[2])))
  end
  if how > 0 then return {i - 1, how} end
end
return {0, 3}
