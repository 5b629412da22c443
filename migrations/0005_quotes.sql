-- Partner Desk local cache, schema v5: quotes as the platform holds them.
--
-- Like `deals`: sync alone writes this table, with each quote's wire JSON in `data` (lines and
-- the frozen FX rate; prices follow from them by program::quotes::price). A user's drafts,
-- revisions and status changes wait in the outbox and are shown on top of it.
DROP TABLE quote_lines;
DROP TABLE quotes;
CREATE TABLE quotes (
    id         TEXT PRIMARY KEY NOT NULL,
    partner_id TEXT NOT NULL,
    number     TEXT NOT NULL,
    revision   INTEGER NOT NULL CHECK (revision >= 1),
    status     TEXT NOT NULL CHECK (status IN ('draft', 'sent', 'accepted', 'declined', 'expired')),
    created_on TEXT NOT NULL,
    data       TEXT NOT NULL,
    version    INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX quotes_partner ON quotes (partner_id, created_on);
CREATE INDEX quotes_number ON quotes (number, revision);
