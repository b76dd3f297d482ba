-- KEYS: limiter. ARGV: slot interval, lead (µs). Returns µs to wait until the reserved slot.
return string.format('%.0f', reserve(1, tonumber(ARGV[1]), tonumber(ARGV[2]), clock()))
