-- Approve or reject a pending notice, once, and never by the person who proposed it.
-- KEYS[1]: the notice's hash.
-- ARGV: decision ('approved' | 'rejected'), decider's key id, decider's label, now (ms).
-- Returns {'ok'} or {'refused', why} with why: missing | state:<approval or none> |
-- lapsed | same:<label>.
local notice = KEYS[1]
local decision, key_id, label, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
if redis.call('EXISTS', notice) == 0 then return {'refused', 'missing'} end
local state = redis.call('HGET', notice, 'approval')
if state ~= 'pending' then return {'refused', 'state:' .. (state or 'none')} end
if tonumber(redis.call('HGET', notice, 'approval_until') or '0') <= now then
  return {'refused', 'lapsed'}
end
local proposer = redis.call('HGET', notice, 'proposer')
if redis.call('HGET', notice, 'proposer_key') == key_id or proposer == label then
  return {'refused', 'same:' .. proposer}
end
redis.call('HSET', notice, 'approval', decision, 'decided_by', label, 'decided_key', key_id,
  'decided_at', now)
return {'ok'}
