-- Provenance of the release (run, time, synthetic/sample flags, notice).
select key, value from release_info order by key
