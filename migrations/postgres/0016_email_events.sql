-- Which notification an email is (NULL: a sign-in link or another message nobody can turn
-- off), so its delivery can carry a one-click unsubscribe for that event (RFC 8058).
ALTER TABLE email_outbox ADD COLUMN event TEXT;
