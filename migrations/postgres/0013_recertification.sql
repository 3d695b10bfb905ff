-- Recertification: when a certificate's window opens, the holder's completions that earned
-- it move to a history table and those paths start over, so completing them again renews
-- the certificate. Instants are UTC milliseconds.

-- One row per certificate whose window was opened (progress reopened, holder told), so a
-- late, second or concurrent run of the job does it once.
CREATE TABLE recertification_openings (
    certificate_id BIGINT PRIMARY KEY REFERENCES certificates (id),
    opened_at BIGINT NOT NULL,
    -- Whether the window email was queued (not when an expiry reminder already said it).
    emailed BIGINT NOT NULL DEFAULT 0
);

-- Earlier completions of a path, kept when a recertification starts the path over.
CREATE TABLE path_completion_history (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    path_id BIGINT NOT NULL REFERENCES learning_paths (id) ON DELETE CASCADE,
    path_version BIGINT NOT NULL,
    completed_at BIGINT NOT NULL,
    reopened_at BIGINT NOT NULL,
    certificate_id BIGINT NOT NULL REFERENCES certificates (id)
);
CREATE INDEX path_completion_history_by_user ON path_completion_history (user_id, path_id);

-- Attempts from before a reopening: kept for the record, but no longer counted for
-- "already passed", attempt limits or what a review may show.
ALTER TABLE quiz_attempts ADD COLUMN cycle_closed_at BIGINT;
