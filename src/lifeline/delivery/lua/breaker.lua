-- Functions of the provider breakers (lifeline.delivery.breaker); scripts that use them
-- follow this file. One hash per tenant, channel and provider:
--   state        'open', or absent (closed)
--   until        µs (Redis clock) when an open breaker admits one probe (half-open)
--   probe_until  µs until which a probe send is in flight; another may probe after it
--   streak       transient failures in a row
--   b<i> a<i> f<i>  slice i of the window: its number, sends and transient failures in it
--   sent retry failed opened   what /metrics counts (never reset)
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

local function us(value)
  return string.format('%.0f', value)
end

-- 0: sends nothing now; 1: closed, sends; 2: half-open, this send may be the probe.
local function admits(key, now)
  if redis.call('HGET', key, 'state') ~= 'open' then return 1 end
  if now < tonumber(redis.call('HGET', key, 'until') or '0') then return 0 end
  if now < tonumber(redis.call('HGET', key, 'probe_until') or '0') then return 0 end
  return 2
end
