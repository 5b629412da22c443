-- Partner Desk local cache, schema v8: the outbox says in columns what each change is (`kind`,
-- the mutation's wire name) and whose data it changes (`partner_id`), so no reader looks inside
-- its JSON payload to find them. The table is rebuilt to give both columns their constraints;
-- every row keeps its `seq`, so the order of sending is unchanged.
CREATE TABLE outbox_v8 (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL CHECK (kind IN ('purchase_credits', 'register_deal', 'edit_deal',
                                               'save_quote', 'set_quote_status', 'save_action_item')),
    entity       TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    partner_id   TEXT NOT NULL,
    op           TEXT NOT NULL,
    payload      TEXT NOT NULL,
    base_version INTEGER,
    created_at   TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'rejected')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    applied      INTEGER NOT NULL DEFAULT 0 CHECK (applied IN (0, 1))
) STRICT;

INSERT INTO outbox_v8 (seq, id, kind, entity, entity_id, partner_id, op, payload, base_version,
                       created_at, status, attempts, last_error, applied)
SELECT seq, id, json_extract(payload, '$.kind'), entity, entity_id,
       coalesce(json_extract(payload, '$.input.partner_id'),
                json_extract(payload, '$.input.deal.partner_id'),
                json_extract(payload, '$.input.quote.partner_id'),
                json_extract(payload, '$.input.item.partner_id')),
       op, payload, base_version, created_at, status, attempts, last_error, applied
FROM outbox;

DROP TABLE outbox;
ALTER TABLE outbox_v8 RENAME TO outbox;
CREATE INDEX outbox_entity ON outbox (entity, entity_id);
CREATE INDEX outbox_partner ON outbox (partner_id, kind);
