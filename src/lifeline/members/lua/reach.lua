-- What a batch job reads of its members: KEYS are member hashes, ARGV the fields to read.
-- Returns each one's values of those fields, or 0 for a member that does not exist.
local found = {}
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    found[i] = redis.call('HMGET', KEYS[i], unpack(ARGV))
  else
    found[i] = 0
  end
end
return found
