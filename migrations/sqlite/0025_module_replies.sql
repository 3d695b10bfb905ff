-- Replies to emails about a learning module (a new module, an overdue one, a
-- recertification): the email carries its module as a deal email carries its deal, and a
-- learner's reply starts a private conversation with the channel team about that module.
ALTER TABLE email_outbox ADD COLUMN path_id INTEGER REFERENCES learning_paths (id);
ALTER TABLE inbound_mail ADD COLUMN path_id INTEGER REFERENCES learning_paths (id);

-- One conversation per module and learner, oldest first: the learner's replies and the
-- team's answers.
CREATE TABLE module_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    path_id INTEGER NOT NULL REFERENCES learning_paths (id),
    learner_user_id INTEGER NOT NULL REFERENCES users (id),
    at INTEGER NOT NULL,
    author_user_id INTEGER REFERENCES users (id),
    from_partner INTEGER NOT NULL CHECK (from_partner IN (0, 1)),
    body TEXT NOT NULL,
    inbound_mail_id INTEGER REFERENCES inbound_mail (id),
    email_id INTEGER REFERENCES email_outbox (id)
);
CREATE INDEX module_messages_by_thread ON module_messages (path_id, learner_user_id, at);
CREATE INDEX module_messages_by_time ON module_messages (at);
