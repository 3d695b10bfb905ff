-- Partner replies by email. Every notification about a deal carries its own reply address
-- (a random key, stored hashed like any bearer secret) and a Message-ID fixed when it is
-- queued, so a reply finds its way back whether the mail client kept the address or only
-- the threading headers. A manager's answer continues the same thread.
ALTER TABLE email_outbox ADD COLUMN message_id TEXT;
ALTER TABLE email_outbox ADD COLUMN reply_key_hash TEXT;
ALTER TABLE email_outbox ADD COLUMN deal_id BIGINT REFERENCES deals (id);
ALTER TABLE email_outbox ADD COLUMN in_reply_to TEXT;
ALTER TABLE email_outbox ADD COLUMN thread_references TEXT;
CREATE UNIQUE INDEX email_outbox_by_reply_key ON email_outbox (reply_key_hash);
CREATE INDEX email_outbox_by_message_id ON email_outbox (message_id);

-- Every mail that reached the portal, kept whole for "show original" (bounded at intake).
CREATE TABLE inbound_mail (
    id BIGSERIAL PRIMARY KEY,
    received_at BIGINT NOT NULL,
    via TEXT NOT NULL CHECK (via IN ('smtp', 'http')),
    envelope_from TEXT NOT NULL DEFAULT '',
    envelope_to TEXT NOT NULL DEFAULT '',
    from_address TEXT NOT NULL DEFAULT '',
    from_name TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    message_id TEXT,
    -- The notification it answers, and through it the deal and the person.
    email_id BIGINT REFERENCES email_outbox (id),
    deal_id BIGINT REFERENCES deals (id),
    user_id BIGINT REFERENCES users (id),
    verdict TEXT NOT NULL CHECK (verdict IN ('accepted', 'held', 'ignored')),
    reason TEXT NOT NULL DEFAULT '',
    reply_text TEXT NOT NULL DEFAULT '',
    raw_size BIGINT NOT NULL,
    raw_sha256 TEXT NOT NULL,
    raw_mime TEXT NOT NULL
);
-- A relay that delivers a message twice stores it once.
CREATE UNIQUE INDEX inbound_mail_once ON inbound_mail (message_id);
CREATE INDEX inbound_mail_by_time ON inbound_mail (received_at);

-- The conversation on a deal: partners' verified replies and staff answers, in order.
CREATE TABLE deal_messages (
    id BIGSERIAL PRIMARY KEY,
    deal_id BIGINT NOT NULL REFERENCES deals (id),
    at BIGINT NOT NULL,
    author_user_id BIGINT REFERENCES users (id),
    from_partner BIGINT NOT NULL CHECK (from_partner IN (0, 1)),
    body TEXT NOT NULL,
    inbound_mail_id BIGINT REFERENCES inbound_mail (id),
    email_id BIGINT REFERENCES email_outbox (id)
);
CREATE INDEX deal_messages_by_deal ON deal_messages (deal_id, at);

-- Replies go to the CRM timeline through the CRM outbox: one more kind of row.
ALTER TABLE crm_outbox DROP CONSTRAINT crm_outbox_kind_check;
ALTER TABLE crm_outbox ADD CONSTRAINT crm_outbox_kind_check
    CHECK (kind IN ('contact', 'company', 'registration', 'reply'));
