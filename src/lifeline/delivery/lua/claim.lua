-- ARGV: member id, run token. Returns what the claim found (see claim in ledger.lua).
return claim(ARGV[1], ARGV[2])
