-- Learning paths and the quiz engine. Instants are UTC milliseconds since the Unix epoch.
CREATE TABLE learning_paths (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    -- {"partner_types": [...], "tiers": [...], "job_roles": [...]}; empty lists mean everyone
    audience_json TEXT NOT NULL DEFAULT '{}',
    required INTEGER NOT NULL DEFAULT 0 CHECK (required IN (0, 1)),
    estimated_minutes INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE path_steps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    path_id INTEGER NOT NULL REFERENCES learning_paths (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('video', 'document', 'quiz', 'live_session', 'survey')),
    title TEXT NOT NULL,
    required INTEGER NOT NULL DEFAULT 1 CHECK (required IN (0, 1)),
    -- Kind-specific settings (for a quiz: pass mark, attempts, cooldown, time limit, draw, review)
    config_json TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL
);
CREATE INDEX path_steps_by_path ON path_steps (path_id, position);

-- The question bank of a path. Answer keys never leave the server.
CREATE TABLE quiz_questions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    path_id INTEGER NOT NULL REFERENCES learning_paths (id) ON DELETE CASCADE,
    -- Prompt, options and feedback as the learner sees them
    content_json TEXT NOT NULL,
    key_json TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '',
    weight REAL NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    retired_at INTEGER
);
CREATE INDEX quiz_questions_by_path ON quiz_questions (path_id);

CREATE TABLE quiz_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    step_id INTEGER NOT NULL REFERENCES path_steps (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    attempt_number INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    deadline_at INTEGER,
    submitted_at INTEGER,
    score_percent REAL,
    -- Two simultaneous starts cannot both create attempt N.
    UNIQUE (step_id, user_id, attempt_number)
);
CREATE INDEX quiz_attempts_by_user ON quiz_attempts (user_id, step_id);

-- The questions drawn for an attempt, frozen at its start, so editing the bank never changes
-- an attempt in progress.
CREATE TABLE attempt_questions (
    attempt_id INTEGER NOT NULL REFERENCES quiz_attempts (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    question_id INTEGER NOT NULL,
    content_json TEXT NOT NULL,
    key_json TEXT NOT NULL,
    weight REAL NOT NULL,
    PRIMARY KEY (attempt_id, position)
);

-- The latest saved answer per question. `client_seq` orders saves from one browser, so a
-- stale retry arriving late never overwrites a newer answer.
CREATE TABLE attempt_answers (
    attempt_id INTEGER NOT NULL REFERENCES quiz_attempts (id) ON DELETE CASCADE,
    question_id INTEGER NOT NULL,
    response_json TEXT NOT NULL,
    client_seq INTEGER NOT NULL,
    saved_at INTEGER NOT NULL,
    PRIMARY KEY (attempt_id, question_id)
);
