-- Keep a batch run alive: other runs of the same batch leave its recipients alone.
-- KEYS: the ledger's runs hash. ARGV: run token, how long it stays alive (µs).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local ttl = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], string.format('%.0f', now + ttl))
-- The hash itself goes a while after its last run stopped renewing.
redis.call('PEXPIRE', KEYS[1], math.ceil(ttl / 1000) * 2)
return 1
