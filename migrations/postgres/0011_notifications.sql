-- Notification preferences (a row means the person turned that event's email off), the
-- program's Slack incoming webhook, and an outbox of Slack messages with retries.

CREATE TABLE notification_mutes (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    muted_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, event)
);

CREATE TABLE program_integrations (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    slack_webhook_url TEXT,
    updated_at BIGINT NOT NULL DEFAULT 0
);
INSERT INTO program_integrations (id) VALUES (1);

CREATE TABLE slack_outbox (
    id BIGSERIAL PRIMARY KEY,
    event TEXT NOT NULL,
    body_json TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- Also the lease: a sender moves it forward while it posts.
    next_attempt_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    sent_at BIGINT,
    last_error TEXT
);
CREATE INDEX slack_outbox_pending ON slack_outbox (sent_at, next_attempt_at);
