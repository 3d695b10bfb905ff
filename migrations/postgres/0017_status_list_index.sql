-- Each certificate's place in the published revocation list (W3C Bitstring Status List),
-- drawn at random when the certificate is issued, so the position says nothing about how
-- many certificates exist or in which order they were issued. Certificates issued before
-- this migration keep the position they were published with: their id. Unique: two
-- credentials never share a bit.
ALTER TABLE certificates ADD COLUMN status_index INTEGER;
UPDATE certificates SET status_index = id WHERE status_index IS NULL;
CREATE UNIQUE INDEX certificates_status_index ON certificates (status_index);
