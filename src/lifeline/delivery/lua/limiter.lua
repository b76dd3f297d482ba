-- Functions of the rate limiter (GCRA, no burst); scripts that use them follow this file.
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end
-- Reserve the next slot of a limiter; µs from now until it comes. The first slot of a
-- limiter idle for a second (its key expired) lies `lead` µs ahead, so that send has time
-- to connect before it is due; a limiter in use hands out "now" when it is not saturated.
local function reserve(key, interval, lead, now)
  local stored = redis.call('GET', key)
  local tat = tonumber(stored or '0')
  if not stored then tat = now + lead elseif tat < now then tat = now end
  local ttl = math.ceil((tat + interval - now) / 1000) + 1000
  redis.call('SET', key, string.format('%.0f', tat + interval), 'PX', ttl)
  return tat - now
end
-- The same for a script that takes many slots: `tats` (KEYS index -> next free slot) reads
-- each limiter once; `reserved` writes each once when the script is done.
local function reserve_in(tats, index, interval, lead, now)
  local tat = tats[index]
  if not tat then
    local stored = redis.call('GET', KEYS[index])
    tat = tonumber(stored or '0')
    if not stored then tat = now + lead elseif tat < now then tat = now end
  end
  tats[index] = tat + interval
  return tat - now
end
local function reserved(tats, now)
  for index, tat in pairs(tats) do
    local ttl = math.ceil((tat - now) / 1000) + 1000
    redis.call('SET', KEYS[index], string.format('%.0f', tat), 'PX', ttl)
  end
end
