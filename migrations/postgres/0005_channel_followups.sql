-- Renewal ownership confirmations and the account-level audit trail; indexes for the
-- renewal list and the owner-change signal.

-- Who confirmed the renewal owner (the account's incumbent_org_id; NULL means direct).
ALTER TABLE accounts ADD COLUMN renewal_confirmed_by BIGINT REFERENCES users (id);
CREATE INDEX accounts_by_renewal ON accounts (renewal_at);

-- Append-only, like deal_events: changes to an account (renewal owner, region).
CREATE TABLE account_events (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    actor_user_id BIGINT REFERENCES users (id),
    at BIGINT NOT NULL,
    field TEXT NOT NULL,
    from_value TEXT NOT NULL DEFAULT '',
    to_value TEXT NOT NULL DEFAULT '',
    rationale TEXT NOT NULL DEFAULT ''
);
CREATE INDEX account_events_by_account ON account_events (account_id, at);

CREATE INDEX deal_events_by_field ON deal_events (field, at);
