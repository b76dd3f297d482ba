-- Compare-and-sets of members: each member's record, its contact lookups and its
-- subscriber bits change together, and only if what the caller read is still so. The
-- caller (the member store) decided everything else: which id, what the record becomes,
-- which keys change. One call applies one or more changes, in order.
--
-- KEYS    every key the changes touch: member hashes, lookup hashes, subscriber bitmaps
-- ARGV[i] change i, as JSON:
--   m       k of the member's hash
--   record  [field, value, ...]  the member's hash as read, sorted ([] when there was none)
--   owners  [[k, f, address, id]]  lookup entries as read ("" when the address was free)
--   new     [field, value, ...]  the hash to write; [] erases the member
--   unlink  [[k, f, address]]    lookup entries to remove
--   link    [[k, f, address]]    lookup entries to point at this member
-- (f: the address's digest field in its bucket. An entry written before issue 14 has the
-- address itself as field: it is read too, and removed whenever its entry is written.)
--   clear   [k, ...]             bitmaps whose bit of this member goes to 0
--   set     [k, ...]             bitmaps whose bit of this member goes to 1
--   id, bit                      the member's id, and its bit in the bitmaps
-- (k: an index into KEYS.) Returns one result per change: 'ok', or 'stale' with nothing
-- of that change written when its record or a lookup entry is no longer as read (the
-- caller reads again and retries).
local function apply(change)
  local member = KEYS[change.m]
  local flat = redis.call('HGETALL', member)
  local expected = change.record
  if #flat ~= #expected then return 'stale' end
  local current = {}
  for i = 1, #flat, 2 do current[flat[i]] = flat[i + 1] end
  for i = 1, #expected, 2 do
    if current[expected[i]] ~= expected[i + 1] then return 'stale' end
  end
  for _, entry in ipairs(change.owners) do
    local owner = redis.call('HGET', KEYS[entry[1]], entry[2])
      or redis.call('HGET', KEYS[entry[1]], entry[3]) or ''
    if owner ~= entry[4] then return 'stale' end
  end
  redis.call('DEL', member)
  if #change.new > 0 then redis.call('HSET', member, unpack(change.new)) end
  for _, entry in ipairs(change.unlink) do redis.call('HDEL', KEYS[entry[1]], entry[2], entry[3]) end
  for _, entry in ipairs(change.link) do
    redis.call('HDEL', KEYS[entry[1]], entry[3])
    redis.call('HSET', KEYS[entry[1]], entry[2], change.id)
  end
  for _, k in ipairs(change.clear) do redis.call('SETBIT', KEYS[k], change.bit, 0) end
  for _, k in ipairs(change.set) do redis.call('SETBIT', KEYS[k], change.bit, 1) end
  return 'ok'
end

local results = {}
for i = 1, #ARGV do results[i] = apply(cjson.decode(ARGV[i])) end
return results
