-- Members' hashes: KEYS are member hashes. Returns each one's fields and values, flat
-- ({} for a member that does not exist).
local found = {}
for i = 1, #KEYS do found[i] = redis.call('HGETALL', KEYS[i]) end
return found
