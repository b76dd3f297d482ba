-- KEYS: limiter. ARGV: pause (µs). No slot is handed out before now + pause.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local resume = now + tonumber(ARGV[1])
if resume > tat then
  local ttl = math.ceil(tonumber(ARGV[1]) / 1000) + 1000
  redis.call('SET', KEYS[1], string.format('%.0f', resume), 'PX', ttl)
end
return 1
