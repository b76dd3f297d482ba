-- Several steps (step.lua) of a batch lane in one round trip, in the order given: each records one
-- recipient's outcome, claims the next and reserves its slots, exactly as step.lua would
-- one after the other (ledger.lua, limiter.lua).
-- KEYS[8]: the receipt index of the day; KEYS[9..]: every limiter any step takes a slot of.
-- ARGV[1] run token, ARGV[2] notice id to index sends under ('' not), ARGV[3] how many
-- steps; then each step: done member ('' none), outcome, detail, next member ('' none), how
-- many slots, and per slot its limiter's KEYS index, interval and lead (µs).
-- Returns {recorded, claimed, µs to wait} per step, flat (as step.lua, -1 for none).
local run, notice, out, at = ARGV[1], ARGV[2], {}, 4
local now = clock()
for _ = 1, tonumber(ARGV[3]) do
  local recorded, claimed, wait = -1, -1, 0
  if ARGV[at] ~= '' then recorded = record(ARGV[at], ARGV[at + 1], ARGV[at + 2], notice) end
  local member, slots = ARGV[at + 3], tonumber(ARGV[at + 4])
  at = at + 5
  if member ~= '' then
    claimed = claim(member, run)
    if claimed <= 1 then
      for s = 0, slots - 1 do
        local key = KEYS[tonumber(ARGV[at + 3 * s])]
        local interval, lead = tonumber(ARGV[at + 3 * s + 1]), tonumber(ARGV[at + 3 * s + 2])
        wait = math.max(wait, reserve(key, interval, lead, now))
      end
    end
  end
  at = at + 3 * slots
  out[#out + 1] = recorded
  out[#out + 1] = claimed
  out[#out + 1] = string.format('%.0f', wait)
end
return out
