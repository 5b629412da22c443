-- Partner Desk local cache, schema v1.
--
-- Money and credits are never REAL: credits are INTEGER hundredths of a credit (`*_minor`),
-- fiat amounts are INTEGER minor units of their currency (`*_minor` + a currency code), rates are
-- decimal TEXT ("0.125"). Dates are ISO 8601 TEXT in UTC. Ids are UUID TEXT. Mirrored rows carry
-- the server's `version`; local edits go through `outbox` in the same transaction.

CREATE TABLE partners (
    id              TEXT PRIMARY KEY NOT NULL,
    name            TEXT NOT NULL,
    tier            TEXT NOT NULL CHECK (tier IN ('authorized', 'specialist', 'regional', 'strategic')),
    discount_rate   TEXT NOT NULL,
    country         TEXT NOT NULL,
    region          TEXT NOT NULL CHECK (region IN ('latam', 'usa_can', 'eu_es')),
    currency        TEXT NOT NULL,
    joined_on       TEXT NOT NULL,
    account_manager TEXT NOT NULL,
    version         INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE partner_brands (
    partner_id TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    brand      TEXT NOT NULL CHECK (brand IN ('CentroPago', 'RemindLedger', 'Voldier')),
    PRIMARY KEY (partner_id, brand)
) STRICT, WITHOUT ROWID;

CREATE TABLE territories (
    id          TEXT PRIMARY KEY NOT NULL,
    partner_id  TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    region      TEXT NOT NULL CHECK (region IN ('latam', 'usa_can', 'eu_es')),
    country     TEXT,
    exclusivity TEXT NOT NULL CHECK (exclusivity IN ('none', 'regional', 'country_level')),
    version     INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX territories_partner ON territories (partner_id);

CREATE TABLE customers (
    id         TEXT PRIMARY KEY NOT NULL,
    partner_id TEXT NOT NULL REFERENCES partners (id),
    name       TEXT NOT NULL,
    country    TEXT NOT NULL,
    brand      TEXT NOT NULL CHECK (brand IN ('CentroPago', 'RemindLedger', 'Voldier')),
    founder    TEXT NOT NULL,
    created_on TEXT NOT NULL,
    version    INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX customers_partner ON customers (partner_id);

CREATE TABLE deployments (
    id            TEXT PRIMARY KEY NOT NULL,
    customer_id   TEXT NOT NULL REFERENCES customers (id),
    partner_id    TEXT NOT NULL REFERENCES partners (id),
    sku           TEXT NOT NULL,
    billing       TEXT NOT NULL CHECK (billing IN ('one_off', 'monthly')),
    credits_minor INTEGER NOT NULL,
    started_on    TEXT NOT NULL,
    ended_on      TEXT,
    version       INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX deployments_customer ON deployments (customer_id);
CREATE INDEX deployments_partner ON deployments (partner_id, started_on);

CREATE TABLE ledger_entries (
    id            TEXT PRIMARY KEY NOT NULL,
    partner_id    TEXT NOT NULL REFERENCES partners (id),
    at            TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('purchase', 'consumption', 'migration', 'adjustment')),
    credits_minor INTEGER NOT NULL,
    fiat_minor    INTEGER,
    fiat_currency TEXT,
    rate          TEXT,
    deployment_id TEXT,
    customer_id   TEXT,
    CHECK (kind <> 'migration' OR credits_minor = 0),
    CHECK ((fiat_minor IS NULL) = (fiat_currency IS NULL))
) STRICT;
CREATE INDEX ledger_partner_at ON ledger_entries (partner_id, at, id);

CREATE TABLE nps_responses (
    id          TEXT PRIMARY KEY NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    partner_id  TEXT NOT NULL REFERENCES partners (id),
    answered_on TEXT NOT NULL,
    score       INTEGER NOT NULL CHECK (score BETWEEN 0 AND 10)
) STRICT;
CREATE INDEX nps_partner_on ON nps_responses (partner_id, answered_on);

CREATE TABLE catalog_items (
    sku           TEXT PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('core_bundle', 'skill', 'pack')),
    price_minor   INTEGER NOT NULL CHECK (price_minor >= 0),
    billing       TEXT NOT NULL CHECK (billing IN ('one_off', 'monthly')),
    early_access  INTEGER NOT NULL CHECK (early_access IN (0, 1)),
    version       INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE catalog_item_brands (
    sku   TEXT NOT NULL REFERENCES catalog_items (sku) ON DELETE CASCADE,
    brand TEXT NOT NULL CHECK (brand IN ('CentroPago', 'RemindLedger', 'Voldier')),
    PRIMARY KEY (sku, brand)
) STRICT, WITHOUT ROWID;

CREATE TABLE customer_migrations (
    id              TEXT PRIMARY KEY NOT NULL,
    customer_id     TEXT NOT NULL REFERENCES customers (id),
    from_partner_id TEXT NOT NULL REFERENCES partners (id),
    to_partner_id   TEXT NOT NULL REFERENCES partners (id),
    effective_on    TEXT NOT NULL,
    initiated_by    TEXT NOT NULL,
    CHECK (from_partner_id <> to_partner_id)
) STRICT;
CREATE INDEX migrations_customer ON customer_migrations (customer_id);

-- Deals and quotes are created locally (offline) and pushed through the outbox.
CREATE TABLE deals (
    id             TEXT PRIMARY KEY NOT NULL,
    partner_id     TEXT NOT NULL REFERENCES partners (id),
    company        TEXT NOT NULL,
    domain         TEXT,
    country        TEXT NOT NULL,
    brand          TEXT NOT NULL CHECK (brand IN ('CentroPago', 'RemindLedger', 'Voldier')),
    stage          TEXT NOT NULL CHECK (stage IN ('registered', 'qualified', 'proposal', 'won', 'lost')),
    value_minor    INTEGER NOT NULL CHECK (value_minor >= 0),
    expected_close TEXT,
    owner          TEXT NOT NULL,
    notes          TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'refused', 'expired')),
    status_reason  TEXT,
    registered_at  TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    version        INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX deals_partner_stage ON deals (partner_id, stage);

CREATE TABLE quotes (
    id           TEXT PRIMARY KEY NOT NULL,
    number       TEXT NOT NULL,
    revision     INTEGER NOT NULL DEFAULT 1,
    partner_id   TEXT NOT NULL REFERENCES partners (id),
    customer_id  TEXT REFERENCES customers (id),
    prospect     TEXT,
    country      TEXT NOT NULL,
    brand        TEXT NOT NULL CHECK (brand IN ('CentroPago', 'RemindLedger', 'Voldier')),
    currency     TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('draft', 'sent', 'accepted', 'declined', 'expired')),
    valid_until  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 0,
    UNIQUE (number, revision)
) STRICT;

CREATE TABLE quote_lines (
    quote_id         TEXT NOT NULL REFERENCES quotes (id) ON DELETE CASCADE,
    line_no          INTEGER NOT NULL,
    sku              TEXT NOT NULL,
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    months           INTEGER CHECK (months IS NULL OR months > 0),
    list_price_minor INTEGER NOT NULL,
    PRIMARY KEY (quote_id, line_no)
) STRICT, WITHOUT ROWID;

-- One row per key: the change-feed cursor, last sync time, the workspace's identity.
CREATE TABLE sync_state (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- Local mutations waiting to be pushed, in order. `id` is a UUIDv7 (the server's idempotency key).
CREATE TABLE outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    entity       TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    op           TEXT NOT NULL,
    payload      TEXT NOT NULL,
    base_version INTEGER,
    created_at   TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'rejected')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT
) STRICT;
CREATE INDEX outbox_entity ON outbox (entity, entity_id);
