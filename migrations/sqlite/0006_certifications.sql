-- Certifications: earned by completing learning paths, valid for a number of months, with a
-- recertification window, revocable with a reason. Instants are UTC milliseconds.

CREATE TABLE certifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    -- The job role it certifies, for tier requirements (NULL: any role).
    job_role TEXT CHECK (job_role IN ('sales', 'technical', 'support')),
    validity_months INTEGER NOT NULL CHECK (validity_months BETWEEN 1 AND 120),
    recert_window_days INTEGER NOT NULL CHECK (recert_window_days BETWEEN 0 AND 365),
    created_at INTEGER NOT NULL
);

-- The learning paths a certification requires (all of them).
CREATE TABLE certification_paths (
    certification_id INTEGER NOT NULL REFERENCES certifications (id) ON DELETE CASCADE,
    path_id INTEGER NOT NULL REFERENCES learning_paths (id),
    PRIMARY KEY (certification_id, path_id)
);
CREATE INDEX certification_paths_by_path ON certification_paths (path_id);

-- One row per issue. `issued_at` is when the last required path was completed, so issuing
-- twice (a job run twice, or two instances) hits the unique key and changes nothing.
CREATE TABLE certificates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    certification_id INTEGER NOT NULL REFERENCES certifications (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    -- Public, unguessable code for /verify/<code>.
    verify_code TEXT NOT NULL UNIQUE,
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    -- Set by the expiry job when it records the expiry (and tells the rights rules).
    expired_recorded_at INTEGER,
    revoked_at INTEGER,
    revoked_by INTEGER REFERENCES users (id),
    revoke_reason TEXT NOT NULL DEFAULT '',
    UNIQUE (certification_id, user_id, issued_at)
);
CREATE INDEX certificates_by_user ON certificates (user_id, certification_id);
CREATE INDEX certificates_by_expiry ON certificates (expires_at);

-- Append-only: issue, expiry and revocation of each certificate.
CREATE TABLE certificate_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    certificate_id INTEGER NOT NULL REFERENCES certificates (id),
    actor_user_id INTEGER REFERENCES users (id),
    at INTEGER NOT NULL,
    event TEXT NOT NULL CHECK (event IN ('issued', 'expired', 'revoked')),
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX certificate_events_by_certificate ON certificate_events (certificate_id, at);

-- Rights that certifications grant an organisation (any valid certificate of one of its
-- people counts): selling a product line, or delivering implementations.
CREATE TABLE certification_rights (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    right_kind TEXT NOT NULL CHECK (right_kind IN ('sell', 'deliver')),
    -- The product line for 'sell'; empty for 'deliver'.
    product_line TEXT NOT NULL DEFAULT '',
    certification_id INTEGER NOT NULL REFERENCES certifications (id) ON DELETE CASCADE
);
