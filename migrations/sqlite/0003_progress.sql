-- Learner progress through paths, completions, live-session RSVPs and survey answers.

-- Per-question feedback and explanation, shown only after submission (server-side until then).
ALTER TABLE quiz_questions ADD COLUMN feedback_json TEXT NOT NULL DEFAULT '{}';
ALTER TABLE attempt_questions ADD COLUMN feedback_json TEXT NOT NULL DEFAULT '{}';

-- Bumped on every edit of a path, its steps or its bank; exported with the path.
ALTER TABLE learning_paths ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

-- One row per learner and step: where a video was left, and when the step was done.
CREATE TABLE step_progress (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    step_id INTEGER NOT NULL REFERENCES path_steps (id) ON DELETE CASCADE,
    position_secs REAL NOT NULL DEFAULT 0,
    done_at INTEGER,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, step_id)
);

-- The completion event of a path: written once, when the last required step is done.
-- Later features (certifications, CRM sync) read from here.
CREATE TABLE path_completions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    path_id INTEGER NOT NULL REFERENCES learning_paths (id) ON DELETE CASCADE,
    path_version INTEGER NOT NULL,
    completed_at INTEGER NOT NULL,
    UNIQUE (user_id, path_id)
);
CREATE INDEX path_completions_by_time ON path_completions (completed_at);

CREATE TABLE session_rsvps (
    step_id INTEGER NOT NULL REFERENCES path_steps (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (step_id, user_id)
);

CREATE TABLE survey_responses (
    step_id INTEGER NOT NULL REFERENCES path_steps (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    PRIMARY KEY (step_id, user_id)
);
