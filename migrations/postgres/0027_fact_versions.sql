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

-- Once per statement (a bulk write bumps once), named by the table it fires on.
CREATE FUNCTION bump_fact_version() RETURNS trigger AS $$
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = TG_TABLE_NAME;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER deals_fact_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON deals
    FOR EACH STATEMENT EXECUTE FUNCTION bump_fact_version();

CREATE TRIGGER deal_events_fact_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON deal_events
    FOR EACH STATEMENT EXECUTE FUNCTION bump_fact_version();

CREATE TRIGGER users_fact_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION bump_fact_version();

CREATE TRIGGER partner_orgs_fact_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON partner_orgs
    FOR EACH STATEMENT EXECUTE FUNCTION bump_fact_version();

CREATE TRIGGER learning_paths_fact_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON learning_paths
    FOR EACH STATEMENT EXECUTE FUNCTION bump_fact_version();

CREATE TRIGGER path_steps_fact_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON path_steps
    FOR EACH STATEMENT EXECUTE FUNCTION bump_fact_version();

CREATE TRIGGER path_completions_fact_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON path_completions
    FOR EACH STATEMENT EXECUTE FUNCTION bump_fact_version();

CREATE TRIGGER path_completion_history_fact_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON path_completion_history
    FOR EACH STATEMENT EXECUTE FUNCTION bump_fact_version();

CREATE TRIGGER step_progress_fact_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON step_progress
    FOR EACH STATEMENT EXECUTE FUNCTION bump_fact_version();

CREATE TRIGGER quiz_attempts_fact_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON quiz_attempts
    FOR EACH STATEMENT EXECUTE FUNCTION bump_fact_version();

CREATE TRIGGER certificates_fact_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON certificates
    FOR EACH STATEMENT EXECUTE FUNCTION bump_fact_version();

CREATE TRIGGER certification_paths_fact_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON certification_paths
    FOR EACH STATEMENT EXECUTE FUNCTION bump_fact_version();
