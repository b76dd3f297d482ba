-- Hand out new member ids of a tenant: n × slots + the tenant's number, n counting up.
-- KEYS: the tenant's number, the tenant's member counter, the counter of tenant numbers.
-- ARGV: how many ids, slots (tenant numbers per Redis).
-- Returns the ids (as strings), or 'full' when every tenant number is taken.
local number = redis.call('GET', KEYS[1])
local slots = tonumber(ARGV[2])
if not number then
  number = redis.call('INCR', KEYS[3])
  if number >= slots then return 'full' end
  redis.call('SET', KEYS[1], number)
end
local count = tonumber(ARGV[1])
local last = redis.call('INCRBY', KEYS[2], count)
local ids = {}
for n = last - count + 1, last do
  ids[#ids + 1] = string.format('%.0f', n * slots + tonumber(number))
end
return ids
