-- A provider's delivery receipt for one recipient of one notice on one channel.
-- KEYS[1] deliveries, KEYS[2] counts, KEYS[3] metrics (as in ledger.lua).
-- ARGV: member id, verdict (delivered | undeliverable), reason (for undeliverable).
-- Returns 1 if the state changed, 0 if it stays (the same report again, or a delivered
-- after undeliverable), -1 if the recipient was never sent it (nothing to report on).
--
-- s[:<id>] -> d[:<id>] | u:<reason>;  d[:<id>] -> u:<reason>;  u stays u.
-- Undeliverable wins whatever the order the reports arrive in: a relay that accepted a
-- mail and bounced it later, or a gateway's final report after an interim "delivered",
-- tells the later truth, and reports that cross on the way end the same.
local state = redis.call('HGET', KEYS[1], ARGV[1])
if not state then return -1 end
local was = string.sub(state, 1, 1)
if was ~= 's' and was ~= 'd' and was ~= 'u' then return -1 end
if was == 'u' or (was == 'd' and ARGV[2] == 'delivered') then return 0 end
if ARGV[2] == 'delivered' then
  redis.call('HSET', KEYS[1], ARGV[1], 'd' .. string.sub(state, 2))
else
  redis.call('HSET', KEYS[1], ARGV[1], 'u:' .. ARGV[3])
  if was == 'd' then redis.call('HINCRBY', KEYS[2], 'delivered', -1) end
end
redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
-- The metrics count reports as they came (a Prometheus counter never goes down).
redis.call('HINCRBY', KEYS[3], ARGV[2], 1)
return 1
