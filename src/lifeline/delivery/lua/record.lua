-- ARGV: member id, outcome (sent | failed | skipped), detail, notice id to index the send
-- under in KEYS[8] ('' not at all). 1 if recorded, 0 if final already.
return record(ARGV[1], ARGV[2], ARGV[3], ARGV[4])
