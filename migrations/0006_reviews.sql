-- Partner Desk local cache, schema v6: Quarterly Executive Reviews.
--
-- The action items of reviews. Like `deals` and `quotes`: sync alone writes this table, with
-- each item's wire JSON in `data`; items written or changed on this device wait in the outbox
-- and are shown on top of it.
CREATE TABLE action_items (
    id         TEXT PRIMARY KEY NOT NULL,
    partner_id TEXT NOT NULL,
    quarter    TEXT NOT NULL,
    data       TEXT NOT NULL,
    version    INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX action_items_partner ON action_items (partner_id, quarter);

-- A consumption line carries its deployment's billing (the feed sends it), so recurring volume
-- is read from the ledger alone instead of looking each line's deployment up. Lines already in
-- the cache take it from their deployment; a line from a feed without it stays NULL and is
-- looked up when read.
ALTER TABLE ledger_entries ADD COLUMN billing TEXT
    CHECK (billing IS NULL OR (kind = 'consumption' AND billing IN ('one_off', 'monthly')));
UPDATE ledger_entries
   SET billing = (SELECT d.billing FROM deployments d WHERE d.id = ledger_entries.deployment_id)
 WHERE kind = 'consumption';
-- The partner index covers the billing too: a review reads a partner's ledger from it alone.
DROP INDEX IF EXISTS ledger_partner_at;
CREATE INDEX ledger_partner_at
    ON ledger_entries (partner_id, at, id, kind, credits_minor, deployment_id, billing);
