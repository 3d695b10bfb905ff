-- Partner replies by email. Every notification about a deal carries its own reply address
-- (a random key, stored hashed like any bearer secret) and a Message-ID fixed when it is
-- queued, so a reply finds its way back whether the mail client kept the address or only
-- the threading headers. A manager's answer continues the same thread.
ALTER TABLE email_outbox ADD COLUMN message_id TEXT;
ALTER TABLE email_outbox ADD COLUMN reply_key_hash TEXT;
ALTER TABLE email_outbox ADD COLUMN deal_id INTEGER REFERENCES deals (id);
ALTER TABLE email_outbox ADD COLUMN in_reply_to TEXT;
ALTER TABLE email_outbox ADD COLUMN thread_references TEXT;
CREATE UNIQUE INDEX email_outbox_by_reply_key ON email_outbox (reply_key_hash);
CREATE INDEX email_outbox_by_message_id ON email_outbox (message_id);

-- Every mail that reached the portal, kept whole for "show original" (bounded at intake).
CREATE TABLE inbound_mail (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at INTEGER NOT NULL,
    via TEXT NOT NULL CHECK (via IN ('smtp', 'http')),
    envelope_from TEXT NOT NULL DEFAULT '',
    envelope_to TEXT NOT NULL DEFAULT '',
    from_address TEXT NOT NULL DEFAULT '',
    from_name TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    message_id TEXT,
    -- The notification it answers, and through it the deal and the person.
    email_id INTEGER REFERENCES email_outbox (id),
    deal_id INTEGER REFERENCES deals (id),
    user_id INTEGER REFERENCES users (id),
    verdict TEXT NOT NULL CHECK (verdict IN ('accepted', 'held', 'ignored')),
    reason TEXT NOT NULL DEFAULT '',
    reply_text TEXT NOT NULL DEFAULT '',
    raw_size INTEGER NOT NULL,
    raw_sha256 TEXT NOT NULL,
    raw_mime TEXT NOT NULL
);
-- A relay that delivers a message twice stores it once.
CREATE UNIQUE INDEX inbound_mail_once ON inbound_mail (message_id);
CREATE INDEX inbound_mail_by_time ON inbound_mail (received_at);

-- The conversation on a deal: partners' verified replies and staff answers, in order.
CREATE TABLE deal_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    deal_id INTEGER NOT NULL REFERENCES deals (id),
    at INTEGER NOT NULL,
    author_user_id INTEGER REFERENCES users (id),
    from_partner INTEGER NOT NULL CHECK (from_partner IN (0, 1)),
    body TEXT NOT NULL,
    inbound_mail_id INTEGER REFERENCES inbound_mail (id),
    email_id INTEGER REFERENCES email_outbox (id)
);
CREATE INDEX deal_messages_by_deal ON deal_messages (deal_id, at);

-- Replies go to the CRM timeline through the CRM outbox: one more kind of row. SQLite
-- cannot alter a CHECK, so the table is rebuilt (foreign keys are off during migrations).
CREATE TABLE crm_outbox_next (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id INTEGER NOT NULL REFERENCES crm_connections (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('contact', 'company', 'registration', 'reply')),
    entity_id INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    reason TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'dead', 'skipped')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_status INTEGER,
    last_error TEXT,
    crm_request_id TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    done_at INTEGER
);
INSERT INTO crm_outbox_next SELECT * FROM crm_outbox;
DROP TABLE crm_outbox;
ALTER TABLE crm_outbox_next RENAME TO crm_outbox;
CREATE UNIQUE INDEX crm_outbox_one_pending ON crm_outbox (connection_id, kind, entity_id) WHERE state = 'pending';
CREATE INDEX crm_outbox_due ON crm_outbox (connection_id, state, next_attempt_at);
