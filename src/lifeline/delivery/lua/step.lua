-- What a batch lane does between two sends, in one round trip: record one recipient's
-- outcome, claim the next one and reserve its send slots (ledger.lua, limiter.lua).
-- KEYS[8]: the receipt index of the day (ledger.lua); KEYS[9..]: the limiters to take a
-- slot of (the channel's, a chat's).
-- ARGV: done member ('' none), its outcome, detail, next member ('' none), run token,
--       notice id to index sends under ('' not: no receipts on this channel),
--       then each limiter's slot interval and lead (µs), from ARGV[7] on.
-- Returns {recorded (-1 none, 0, 1), claimed (-1 none, 0..3), µs to wait for the slots}.
local recorded, claimed, wait = -1, -1, 0
if ARGV[1] ~= '' then recorded = record(ARGV[1], ARGV[2], ARGV[3], ARGV[6]) end
if ARGV[4] ~= '' then
  claimed = claim(ARGV[4], ARGV[5])
  if claimed <= 1 and #KEYS > 8 then
    local now = clock()
    for i = 9, #KEYS do
      local at = 7 + 2 * (i - 9)
      wait = math.max(wait, reserve(i, tonumber(ARGV[at]), tonumber(ARGV[at + 1]), now))
    end
  end
end
return {recorded, claimed, string.format('%.0f', wait)}
