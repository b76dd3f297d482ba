-- Who owns each of some contacts: KEYS[i] is the lookup hash that holds the contact,
-- ARGV[2i-1] its digest field there, ARGV[2i] the address (the field before issue 14).
-- Returns the member id per contact ('' when it belongs to nobody).
local found = {}
for i = 1, #KEYS do
  found[i] = redis.call('HGET', KEYS[i], ARGV[2 * i - 1])
    or redis.call('HGET', KEYS[i], ARGV[2 * i]) or ''
end
return found
