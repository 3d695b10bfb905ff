-- A version per table the insights read whole, bumped by a trigger in the same transaction
-- as every write to that table. An instance keeps what it read from these tables for as
-- long as their versions stay the same (app/src/server/fact_cache.rs), so repeated views do
-- not rescan the program, and a change on any instance is seen by the next view everywhere.
CREATE TABLE fact_versions (
    source TEXT PRIMARY KEY,
    version INTEGER NOT NULL DEFAULT 0
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

-- SQLite has one writer at a time, so bumping in the writing statement cannot deadlock.
CREATE TRIGGER deals_fact_version_insert AFTER INSERT ON deals
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'deals';
END;

CREATE TRIGGER deals_fact_version_update AFTER UPDATE ON deals
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'deals';
END;

CREATE TRIGGER deals_fact_version_delete AFTER DELETE ON deals
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'deals';
END;

CREATE TRIGGER deal_events_fact_version_insert AFTER INSERT ON deal_events
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'deal_events';
END;

CREATE TRIGGER deal_events_fact_version_update AFTER UPDATE ON deal_events
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'deal_events';
END;

CREATE TRIGGER deal_events_fact_version_delete AFTER DELETE ON deal_events
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'deal_events';
END;

CREATE TRIGGER users_fact_version_insert AFTER INSERT ON users
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'users';
END;

CREATE TRIGGER users_fact_version_update AFTER UPDATE ON users
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'users';
END;

CREATE TRIGGER users_fact_version_delete AFTER DELETE ON users
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'users';
END;

CREATE TRIGGER partner_orgs_fact_version_insert AFTER INSERT ON partner_orgs
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'partner_orgs';
END;

CREATE TRIGGER partner_orgs_fact_version_update AFTER UPDATE ON partner_orgs
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'partner_orgs';
END;

CREATE TRIGGER partner_orgs_fact_version_delete AFTER DELETE ON partner_orgs
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'partner_orgs';
END;

CREATE TRIGGER learning_paths_fact_version_insert AFTER INSERT ON learning_paths
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'learning_paths';
END;

CREATE TRIGGER learning_paths_fact_version_update AFTER UPDATE ON learning_paths
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'learning_paths';
END;

CREATE TRIGGER learning_paths_fact_version_delete AFTER DELETE ON learning_paths
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'learning_paths';
END;

CREATE TRIGGER path_steps_fact_version_insert AFTER INSERT ON path_steps
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'path_steps';
END;

CREATE TRIGGER path_steps_fact_version_update AFTER UPDATE ON path_steps
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'path_steps';
END;

CREATE TRIGGER path_steps_fact_version_delete AFTER DELETE ON path_steps
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'path_steps';
END;

CREATE TRIGGER path_completions_fact_version_insert AFTER INSERT ON path_completions
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'path_completions';
END;

CREATE TRIGGER path_completions_fact_version_update AFTER UPDATE ON path_completions
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'path_completions';
END;

CREATE TRIGGER path_completions_fact_version_delete AFTER DELETE ON path_completions
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'path_completions';
END;

CREATE TRIGGER path_completion_history_fact_version_insert AFTER INSERT ON path_completion_history
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'path_completion_history';
END;

CREATE TRIGGER path_completion_history_fact_version_update AFTER UPDATE ON path_completion_history
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'path_completion_history';
END;

CREATE TRIGGER path_completion_history_fact_version_delete AFTER DELETE ON path_completion_history
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'path_completion_history';
END;

CREATE TRIGGER step_progress_fact_version_insert AFTER INSERT ON step_progress
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'step_progress';
END;

CREATE TRIGGER step_progress_fact_version_update AFTER UPDATE ON step_progress
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'step_progress';
END;

CREATE TRIGGER step_progress_fact_version_delete AFTER DELETE ON step_progress
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'step_progress';
END;

CREATE TRIGGER quiz_attempts_fact_version_insert AFTER INSERT ON quiz_attempts
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'quiz_attempts';
END;

CREATE TRIGGER quiz_attempts_fact_version_update AFTER UPDATE ON quiz_attempts
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'quiz_attempts';
END;

CREATE TRIGGER quiz_attempts_fact_version_delete AFTER DELETE ON quiz_attempts
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'quiz_attempts';
END;

CREATE TRIGGER certificates_fact_version_insert AFTER INSERT ON certificates
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'certificates';
END;

CREATE TRIGGER certificates_fact_version_update AFTER UPDATE ON certificates
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'certificates';
END;

CREATE TRIGGER certificates_fact_version_delete AFTER DELETE ON certificates
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'certificates';
END;

CREATE TRIGGER certification_paths_fact_version_insert AFTER INSERT ON certification_paths
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'certification_paths';
END;

CREATE TRIGGER certification_paths_fact_version_update AFTER UPDATE ON certification_paths
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'certification_paths';
END;

CREATE TRIGGER certification_paths_fact_version_delete AFTER DELETE ON certification_paths
BEGIN
    UPDATE fact_versions SET version = version + 1 WHERE source = 'certification_paths';
END;
