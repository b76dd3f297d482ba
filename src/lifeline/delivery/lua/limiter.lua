-- Functions of the rate limiter (GCRA, no burst); scripts that use them follow this file.
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end
-- Reserve the next slot of the limiter KEYS[index]; µs from now until it comes. The first
-- slot of a limiter idle for a second (its key expired) lies `lead` µs ahead, so that send
-- has time to connect before it is due; a limiter in use hands out "now" when it is not
-- saturated. `tats` (KEYS index -> next free slot) holds what a script reserved so far, so
-- a script taking many slots reads each limiter once; `reserved` writes each once.
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
-- One slot of KEYS[index], read and written at once.
local function reserve(index, interval, lead, now)
  local tats = {}
  local wait = reserve_in(tats, index, interval, lead, now)
  reserved(tats, now)
  return wait
end
