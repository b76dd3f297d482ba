-- A send's result through one provider. KEYS[1]: its breaker. ARGV: 'ok', 'transient' or
-- 'permanent'; '1' if the send was the half-open probe; the window in µs, its number of
-- slices, the sends it needs before the share counts, the share of transient failures
-- and the run of them that open the breaker, the cool-down in µs.
-- Returns the breaker's state after it: 'closed' or 'open'.
local key, result, probe = KEYS[1], ARGV[1], ARGV[2] == '1'
local window, slices = tonumber(ARGV[3]), tonumber(ARGV[4])
local min_attempts, share, streak_limit = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local cooldown = tonumber(ARGV[8])
local now = clock()
local failed = result == 'transient'
redis.call('HINCRBY', key, ({ok = 'sent', transient = 'retry', permanent = 'failed'})[result], 1)

local function open()
  redis.call('HSET', key, 'state', 'open', 'until', us(now + cooldown), 'probe_until', '0')
  redis.call('HINCRBY', key, 'opened', 1)
  return 'open'
end

local function close()
  local fields = {'state', 'until', 'probe_until', 'streak'}
  for i = 0, slices - 1 do
    fields[#fields + 1] = 'b' .. i
    fields[#fields + 1] = 'a' .. i
    fields[#fields + 1] = 'f' .. i
  end
  redis.call('HDEL', key, unpack(fields))
  return 'closed'
end

if probe then
  if failed then return open() end
  return close()  -- the provider answered (a refused number is an answer too)
end
-- A send that started before the breaker opened changes nothing: only the probe decides.
if redis.call('HGET', key, 'state') == 'open' then return 'open' end

local slice = math.floor(now / (window / slices))
local i = slice % slices
if tonumber(redis.call('HGET', key, 'b' .. i) or '-1') ~= slice then
  redis.call('HSET', key, 'b' .. i, us(slice), 'a' .. i, '0', 'f' .. i, '0')
end
redis.call('HINCRBY', key, 'a' .. i, 1)
local streak = 0
if failed then
  redis.call('HINCRBY', key, 'f' .. i, 1)
  streak = redis.call('HINCRBY', key, 'streak', 1)
else
  redis.call('HSET', key, 'streak', '0')
end
local attempts, failures = 0, 0
for j = 0, slices - 1 do
  local at = tonumber(redis.call('HGET', key, 'b' .. j) or '-1')
  if at > slice - slices then
    attempts = attempts + tonumber(redis.call('HGET', key, 'a' .. j) or '0')
    failures = failures + tonumber(redis.call('HGET', key, 'f' .. j) or '0')
  end
end
if streak >= streak_limit or (attempts >= min_attempts and failures >= share * attempts) then
  return open()
end
return 'closed'
