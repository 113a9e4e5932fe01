-- A cycle's layout as it started (sessions, offsets, delay, accounts and groups in order), so
-- that an engine restarted after a crash or a stop resumes the cycle where it stopped, on the
-- same anchor, with only the slots that have no outcome yet. Kept apart from `cycles`, whose
-- rows are updated when a cycle ends: appended here, read only when resuming.
CREATE TABLE cycle_plans (
    cycle_id BIGINT PRIMARY KEY,   -- cycles.id
    plan     TEXT NOT NULL
);
-- log_from: the post log's last id when the cycle started; the cycle's posts come after it
-- (read without an index).
ALTER TABLE cycles ADD COLUMN log_from BIGINT;
