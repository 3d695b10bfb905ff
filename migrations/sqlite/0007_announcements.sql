-- Announcements targeted by partner type, tier and job role, optionally requiring an
-- acknowledgment, with a receipt per person: delivered, opened, acknowledged, reminded.

CREATE TABLE announcements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    body_markdown TEXT NOT NULL,
    -- Who it targets (partner types, tiers, job roles; empty lists mean everyone), as JSON.
    audience_json TEXT NOT NULL,
    requires_ack INTEGER NOT NULL CHECK (requires_ack IN (0, 1)),
    published_by INTEGER NOT NULL REFERENCES users (id),
    published_at INTEGER NOT NULL
);
CREATE INDEX announcements_by_time ON announcements (published_at);

CREATE TABLE announcement_receipts (
    announcement_id INTEGER NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    delivered_at INTEGER NOT NULL,
    opened_at INTEGER,
    acknowledged_at INTEGER,
    reminded_at INTEGER,
    PRIMARY KEY (announcement_id, user_id)
);
CREATE INDEX announcement_receipts_by_user ON announcement_receipts (user_id);
