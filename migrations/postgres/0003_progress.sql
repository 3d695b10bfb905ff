-- Learner progress through paths, completions, live-session RSVPs and survey answers.

-- Per-question feedback and explanation, shown only after submission (server-side until then).
ALTER TABLE quiz_questions ADD COLUMN feedback_json TEXT NOT NULL DEFAULT '{}';
ALTER TABLE attempt_questions ADD COLUMN feedback_json TEXT NOT NULL DEFAULT '{}';

-- Bumped on every edit of a path, its steps or its bank; exported with the path.
ALTER TABLE learning_paths ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

-- One row per learner and step: where a video was left, and when the step was done.
CREATE TABLE step_progress (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    step_id BIGINT NOT NULL REFERENCES path_steps (id) ON DELETE CASCADE,
    position_secs DOUBLE PRECISION NOT NULL DEFAULT 0,
    done_at BIGINT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, step_id)
);

-- The completion event of a path: written once, when the last required step is done.
-- Later features (certifications, CRM sync) read from here.
CREATE TABLE path_completions (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    path_id BIGINT NOT NULL REFERENCES learning_paths (id) ON DELETE CASCADE,
    path_version BIGINT NOT NULL,
    completed_at BIGINT NOT NULL,
    UNIQUE (user_id, path_id)
);
CREATE INDEX path_completions_by_time ON path_completions (completed_at);

CREATE TABLE session_rsvps (
    step_id BIGINT NOT NULL REFERENCES path_steps (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (step_id, user_id)
);

CREATE TABLE survey_responses (
    step_id BIGINT NOT NULL REFERENCES path_steps (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    rating BIGINT NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    PRIMARY KEY (step_id, user_id)
);
