-- Who owns each of some contacts: KEYS[i] is the lookup hash that holds ARGV[i].
-- Returns the member id per contact ('' when it belongs to nobody).
local found = {}
for i = 1, #KEYS do found[i] = redis.call('HGET', KEYS[i], ARGV[i]) or '' end
return found
