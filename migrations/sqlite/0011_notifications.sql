-- Notification preferences (a row means the person turned that event's email off), the
-- program's Slack incoming webhook, and an outbox of Slack messages with retries.

CREATE TABLE notification_mutes (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    muted_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, event)
);

CREATE TABLE program_integrations (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    slack_webhook_url TEXT,
    updated_at INTEGER NOT NULL DEFAULT 0
);
INSERT INTO program_integrations (id) VALUES (1);

CREATE TABLE slack_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event TEXT NOT NULL,
    body_json TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    -- Also the lease: a sender moves it forward while it posts.
    next_attempt_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    sent_at INTEGER,
    last_error TEXT
);
CREATE INDEX slack_outbox_pending ON slack_outbox (sent_at, next_attempt_at);
