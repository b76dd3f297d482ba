-- ARGV: member id, outcome (sent | failed | skipped), detail. 1 if recorded, 0 if final already.
return record(ARGV[1], ARGV[2], ARGV[3])
