-- Functions of the delivery ledger of one notice on one channel; scripts that use them
-- follow this file. Their KEYS begin with the ledger's seven keys (eight where they record):
--   KEYS[1] deliveries   hash member id -> state: w:<run> | s[:<provider id>] | f:<reason> | k:<reason>
--                        | d[:<provider id>] | u:<reason> (after a delivery receipt, receipt.lua)
--   KEYS[2] counts       hash total, sent, failed, skipped, reclaimed, retried, delivered, undeliverable
--   KEYS[3] reasons      hash failure reason -> how many failed with it
--   KEYS[4] failed       list of failed member ids, in the order they failed
--   KEYS[5] per second   hash second (Redis clock) -> outcomes in it; the last minute
--   KEYS[6] runs         hash run token -> until when (µs, Redis clock) the run is alive
--   KEYS[7] metrics      hash outcome -> count, of the tenant's channel over all notices
--   KEYS[8] receipts     hash provider id -> "<notice>:<member>", the tenant's channel's sends of
--                        one day: how a delivery receipt finds its recipient (records.py)
local function on_wire(state) return string.sub(state, 1, 1) == 'w' end
local function now_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end
-- Whether another run that is still alive has this state on the wire.
local function held(state, run)
  local owner = string.sub(state, 3)
  if owner == '' or owner == run then return false end
  local alive_until = tonumber(redis.call('HGET', KEYS[6], owner) or '0')
  return alive_until > now_us()
end
-- 0 fresh (now on the wire for this run), 1 reclaimed (a dead run left it on the wire),
-- 2 final, 3 busy (another live run has it on the wire).
local function claim(member, run)
  local state = redis.call('HGET', KEYS[1], member)
  if not state then redis.call('HSET', KEYS[1], member, 'w:' .. run); return 0 end
  if not on_wire(state) then return 2 end
  if state == 'w:' .. run then return 0 end
  if held(state, run) then return 3 end
  redis.call('HSET', KEYS[1], member, 'w:' .. run)
  redis.call('HINCRBY', KEYS[2], 'reclaimed', 1)
  return 1
end
-- Counts n outcomes: the notice's and the channel's counters and, but for skips, the
-- outcomes per second of the Redis clock (for the rate and ETA; a minute is kept).
local function counted(outcome, n)
  redis.call('HINCRBY', KEYS[2], outcome, n)
  redis.call('HINCRBY', KEYS[7], outcome, n)
  if outcome ~= 'skipped' then
    local now = tonumber(redis.call('TIME')[1])
    redis.call('HINCRBY', KEYS[5], now, n)
    redis.call('HDEL', KEYS[5], now - 61, now - 62)
  end
end
-- outcome: sent | failed | skipped. 0 if the state was already final. With a notice id (not
-- '') a send with a provider id is also indexed in KEYS[8], for its delivery receipt. The
-- outcome is added to the tally (a table): the script counts each outcome once (counted).
local function record(member, outcome, detail, notice, tally)
  local state = redis.call('HGET', KEYS[1], member)
  if state and not on_wire(state) then return 0 end
  local prefix = {sent = 's', failed = 'f', skipped = 'k'}
  local value = prefix[outcome]
  if detail ~= '' then value = value .. ':' .. detail end
  redis.call('HSET', KEYS[1], member, value)
  tally[outcome] = (tally[outcome] or 0) + 1
  if outcome == 'sent' and detail ~= '' and notice and notice ~= '' then
    redis.call('HSET', KEYS[8], detail, notice .. ':' .. member)
  end
  if outcome == 'failed' then
    redis.call('HINCRBY', KEYS[3], detail, 1)
    redis.call('RPUSH', KEYS[4], member)
  end
  return 1
end
