-- A partner manager's nudge to a learner who stalled on a path: the latest one per learner
-- and path, so a second nudge within the week is refused in the same statement that would
-- record it (two clicks or two instances send one email).
CREATE TABLE training_nudges (
    user_id INTEGER NOT NULL REFERENCES users (id),
    path_id INTEGER NOT NULL REFERENCES learning_paths (id),
    sent_by INTEGER NOT NULL REFERENCES users (id),
    sent_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, path_id)
);
