-- Learning paths and the quiz engine. Instants are UTC milliseconds since the Unix epoch.
CREATE TABLE learning_paths (
    id BIGSERIAL PRIMARY KEY,
    title TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    -- {"partner_types": [...], "tiers": [...], "job_roles": [...]}; empty lists mean everyone
    audience_json TEXT NOT NULL DEFAULT '{}',
    required BIGINT NOT NULL DEFAULT 0 CHECK (required IN (0, 1)),
    estimated_minutes BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE path_steps (
    id BIGSERIAL PRIMARY KEY,
    path_id BIGINT NOT NULL REFERENCES learning_paths (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('video', 'document', 'quiz', 'live_session', 'survey')),
    title TEXT NOT NULL,
    required BIGINT NOT NULL DEFAULT 1 CHECK (required IN (0, 1)),
    -- Kind-specific settings (for a quiz: pass mark, attempts, cooldown, time limit, draw, review)
    config_json TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL
);
CREATE INDEX path_steps_by_path ON path_steps (path_id, position);

-- The question bank of a path. Answer keys never leave the server.
CREATE TABLE quiz_questions (
    id BIGSERIAL PRIMARY KEY,
    path_id BIGINT NOT NULL REFERENCES learning_paths (id) ON DELETE CASCADE,
    -- Prompt, options and feedback as the learner sees them
    content_json TEXT NOT NULL,
    key_json TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '',
    weight DOUBLE PRECISION NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    retired_at BIGINT
);
CREATE INDEX quiz_questions_by_path ON quiz_questions (path_id);

CREATE TABLE quiz_attempts (
    id BIGSERIAL PRIMARY KEY,
    step_id BIGINT NOT NULL REFERENCES path_steps (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    attempt_number BIGINT NOT NULL,
    seed BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    deadline_at BIGINT,
    submitted_at BIGINT,
    score_percent DOUBLE PRECISION,
    -- Two simultaneous starts cannot both create attempt N.
    UNIQUE (step_id, user_id, attempt_number)
);
CREATE INDEX quiz_attempts_by_user ON quiz_attempts (user_id, step_id);

-- The questions drawn for an attempt, frozen at its start, so editing the bank never changes
-- an attempt in progress.
CREATE TABLE attempt_questions (
    attempt_id BIGINT NOT NULL REFERENCES quiz_attempts (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    question_id BIGINT NOT NULL,
    content_json TEXT NOT NULL,
    key_json TEXT NOT NULL,
    weight DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (attempt_id, position)
);

-- The latest saved answer per question. `client_seq` orders saves from one browser, so a
-- stale retry arriving late never overwrites a newer answer.
CREATE TABLE attempt_answers (
    attempt_id BIGINT NOT NULL REFERENCES quiz_attempts (id) ON DELETE CASCADE,
    question_id BIGINT NOT NULL,
    response_json TEXT NOT NULL,
    client_seq BIGINT NOT NULL,
    saved_at BIGINT NOT NULL,
    PRIMARY KEY (attempt_id, question_id)
);
