-- When a path was first published: a required path is assigned then (or when a person
-- joins, if later) and falls due a fixed time after.
ALTER TABLE learning_paths ADD COLUMN first_published_at INTEGER;
-- Paths already published count from their creation.
UPDATE learning_paths SET first_published_at = created_at WHERE status = 'published';

-- Each person is told once that a required path is overdue.
CREATE TABLE training_overdue_notices (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    path_id INTEGER NOT NULL REFERENCES learning_paths (id) ON DELETE CASCADE,
    sent_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, path_id)
);
