-- The steps of a batch lane in one round trip, in the order given: each records one
-- recipient's outcome, claims the next and reserves its slots (ledger.lua, limiter.lua).
-- KEYS[8]: the receipt index of the day; KEYS[9..]: every limiter any step takes a slot of.
-- ARGV[1] run token, ARGV[2] notice id to index sends under ('' not), ARGV[3] the steps as
-- JSON, one list each: done member ('' none), outcome, detail, next member ('' none), and its
-- slots, each {its limiter's KEYS index, interval, lead (µs)}. One argument instead of eight
-- a step: packing each argument was most of a call's cost to the worker. Counters and
-- limiters are written once per call, not once per step.
-- Returns {recorded (-1 none, 0, 1), claimed (-1 none, 0..3), µs to wait} per step, flat.
local run, notice, out, tally, tats = ARGV[1], ARGV[2], {}, {}, {}
local now = clock()
for _, step in ipairs(cjson.decode(ARGV[3])) do
  local recorded, claimed, wait = -1, -1, 0
  if step[1] ~= '' then recorded = record(step[1], step[2], step[3], notice, tally) end
  if step[4] ~= '' then
    claimed = claim(step[4], run)
    if claimed <= 1 then
      for _, slot in ipairs(step[5]) do
        wait = math.max(wait, reserve_in(tats, slot[1], slot[2], slot[3], now))
      end
    end
  end
  out[#out + 1] = recorded
  out[#out + 1] = claimed
  out[#out + 1] = wait
end
for outcome, n in pairs(tally) do counted(outcome, n) end
reserved(tats, now)
return out
