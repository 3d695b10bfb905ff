-- A version per table the insights read whole, bumped by a trigger in the same transaction
-- as every write to that table. An instance keeps what it read from these tables for as
-- long as their versions stay the same (app/src/server/fact_cache.rs), so repeated views do
-- not rescan the program, and a change on any instance is seen by the next view everywhere.
CREATE TABLE fact_versions (
    source TEXT PRIMARY KEY,
    version BIGINT NOT NULL DEFAULT 0
);

INSERT INTO fact_versions (source) VALUES
    ('deals'),
    ('deal_events'),
    ('users'),
    ('partner_orgs'),
    ('learning_paths'),
    ('path_steps'),
    ('path_completions'),
    ('path_completion_history'),
    ('step_progress'),
    ('quiz_attempts'),
    ('certificates'),
    ('certification_paths');

-- The bump waits for the commit (a deferred constraint trigger), happens once per table per
-- transaction, and takes one lock for all tables first: two transactions that write the same
-- tables in opposite orders then never wait on each other's version rows (no deadlock), and
-- a version changes exactly when the data behind it becomes visible.
CREATE FUNCTION bump_fact_version() RETURNS trigger AS $$
BEGIN
    IF current_setting('fact_versions.' || TG_TABLE_NAME, true) IS NOT DISTINCT FROM 'bumped' THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(7220151);
    UPDATE fact_versions SET version = version + 1 WHERE source = TG_TABLE_NAME;
    PERFORM set_config('fact_versions.' || TG_TABLE_NAME, 'bumped', true);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER deals_fact_version AFTER INSERT OR UPDATE OR DELETE ON deals
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_fact_version();

CREATE CONSTRAINT TRIGGER deal_events_fact_version AFTER INSERT OR UPDATE OR DELETE ON deal_events
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_fact_version();

CREATE CONSTRAINT TRIGGER users_fact_version AFTER INSERT OR UPDATE OR DELETE ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_fact_version();

CREATE CONSTRAINT TRIGGER partner_orgs_fact_version AFTER INSERT OR UPDATE OR DELETE ON partner_orgs
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_fact_version();

CREATE CONSTRAINT TRIGGER learning_paths_fact_version AFTER INSERT OR UPDATE OR DELETE ON learning_paths
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_fact_version();

CREATE CONSTRAINT TRIGGER path_steps_fact_version AFTER INSERT OR UPDATE OR DELETE ON path_steps
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_fact_version();

CREATE CONSTRAINT TRIGGER path_completions_fact_version AFTER INSERT OR UPDATE OR DELETE ON path_completions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_fact_version();

CREATE CONSTRAINT TRIGGER path_completion_history_fact_version AFTER INSERT OR UPDATE OR DELETE ON path_completion_history
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_fact_version();

CREATE CONSTRAINT TRIGGER step_progress_fact_version AFTER INSERT OR UPDATE OR DELETE ON step_progress
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_fact_version();

CREATE CONSTRAINT TRIGGER quiz_attempts_fact_version AFTER INSERT OR UPDATE OR DELETE ON quiz_attempts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_fact_version();

CREATE CONSTRAINT TRIGGER certificates_fact_version AFTER INSERT OR UPDATE OR DELETE ON certificates
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_fact_version();

CREATE CONSTRAINT TRIGGER certification_paths_fact_version AFTER INSERT OR UPDATE OR DELETE ON certification_paths
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_fact_version();
