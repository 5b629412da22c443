-- The reference server's database. One compacted change feed plus what the API needs around it.

-- The feed's counters, and the demo data's identity. One row.
CREATE TABLE IF NOT EXISTS feed (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    head    INTEGER NOT NULL,  -- the newest seq handed out; seqs are never reused
    horizon INTEGER NOT NULL,  -- the lowest valid cursor besides 0: tombstones below it are gone
    epoch   INTEGER NOT NULL DEFAULT 0,  -- how many compactions there have been
    as_of   TEXT,              -- the day the demo data is "as of" (its FX rates too)
    seed    INTEGER
);
-- Its one row is written by `Store::open` when missing: the script itself writes nothing to a
-- current database, so opening one a running server writes (the `token` command) waits for no lock.

-- The latest change of every row: an upsert or delete replaces the row's previous change.
CREATE TABLE IF NOT EXISTS changes (
    seq      INTEGER PRIMARY KEY,
    entity   TEXT    NOT NULL,
    id       TEXT    NOT NULL,
    op       TEXT    NOT NULL CHECK (op IN ('upsert', 'delete')),
    version  INTEGER NOT NULL,
    data     TEXT,                        -- the entity's wire JSON; NULL for a delete
    public   INTEGER NOT NULL DEFAULT 0,  -- visible to everyone (catalog items)
    customer TEXT,                        -- for deployments and migrations: their customer
    UNIQUE (entity, id)
);
CREATE INDEX IF NOT EXISTS changes_by_customer ON changes (customer, entity) WHERE customer IS NOT NULL;
CREATE INDEX IF NOT EXISTS changes_tombstones ON changes (seq) WHERE op = 'delete';

-- Each customer's keys for the no-poaching rule (`program::deals::served_by`): its normalized
-- name and web domain, with its partner of record. Kept by the customer's one write path.
CREATE TABLE IF NOT EXISTS customer_keys (
    customer_id TEXT PRIMARY KEY,
    partner_id  TEXT NOT NULL,
    company_key TEXT NOT NULL,
    domain_key  TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS customer_keys_company ON customer_keys (company_key);
CREATE INDEX IF NOT EXISTS customer_keys_domain ON customer_keys (domain_key)
    WHERE domain_key IS NOT NULL;

-- Each approved, open deal's prospect keys for the duplicate rule (`program::deals`): the
-- registrations a new one is checked against, found without reading every deal. Kept by the
-- deal's one write path and by the demo data's load.
CREATE TABLE IF NOT EXISTS open_deal_keys (
    deal_id     TEXT PRIMARY KEY,
    company_key TEXT NOT NULL,
    domain_key  TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS open_deal_keys_company ON open_deal_keys (company_key);
CREATE INDEX IF NOT EXISTS open_deal_keys_domain ON open_deal_keys (domain_key)
    WHERE domain_key IS NOT NULL;

-- Territories by country and quotes by number: what the exclusivity and quote-number rules look
-- up on every write (the expressions are those of their queries, the WHERE their entity's).
CREATE INDEX IF NOT EXISTS changes_territory_country ON changes (json_extract(data, '$.country'))
    WHERE entity = 'territory';
CREATE INDEX IF NOT EXISTS changes_quote_number ON changes (json_extract(data, '$.number'))
    WHERE entity = 'quote';

-- Partner ids as small integers, so the visibility tables stay compact at millions of rows.
CREATE TABLE IF NOT EXISTS partner_keys (
    ix INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE
);

-- Which partners may see each change, and what: the change itself, or (`data` not NULL) the copy
-- of the row kept for that partner. A customer's former partner keeps the customer as it was when
-- it moved away: it sees the customer's history up to the migration and nothing after.
CREATE TABLE IF NOT EXISTS change_partners (
    seq  INTEGER NOT NULL,
    pix  INTEGER NOT NULL,
    data TEXT,
    PRIMARY KEY (seq, pix)
) WITHOUT ROWID;

-- Each partner's ledger totals after each of its ledger entries (the ledger never moves, so a
-- checksum "as of seq" is one index lookup).
CREATE TABLE IF NOT EXISTS ledger_totals (
    pix     INTEGER NOT NULL,
    seq     INTEGER NOT NULL,
    entries INTEGER NOT NULL,
    balance INTEGER NOT NULL,  -- credits in hundredths
    PRIMARY KEY (pix, seq)
) WITHOUT ROWID;

-- API tokens, by SHA-256 of the token: the token itself is never stored. A token's public id is
-- the first 12 hex digits of its hash. A token issued by signing in names its user's `login`,
-- whose role and scope it carries as they stand at each use; an administrator's token
-- (`login` NULL) carries its own. (`login` was added after the first databases: `Store::open`
-- adds it to an older `tokens`.)
CREATE TABLE IF NOT EXISTS tokens (
    hash       TEXT PRIMARY KEY,
    user_name  TEXT NOT NULL,
    role       TEXT NOT NULL,
    partners   TEXT NOT NULL,  -- JSON array of partner ids
    created_at TEXT NOT NULL,
    login      TEXT
);

-- Every mutation id the server has decided, with its outcome: an id is applied at most once.
-- `user_name` holds the deciding caller's principal (`Caller::principal`), to whom alone the
-- outcome is told again.
CREATE TABLE IF NOT EXISTS mutations (
    id         TEXT PRIMARY KEY,
    user_name  TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    decided_at TEXT NOT NULL
);

-- Responses to POST /v1/mutations by Idempotency-Key, replayed for a repeated key of the same
-- principal (`user_name`: `Caller::principal`).
CREATE TABLE IF NOT EXISTS idempotency (
    user_name  TEXT NOT NULL,
    key        TEXT NOT NULL,
    request    TEXT NOT NULL,  -- SHA-256 of the request body
    response   TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_name, key)
);

-- Every FX rate the platform has published, by currency and day: a quote priced offline at a
-- rate of a few days ago is still taken, at that rate, while the rate is within a quote's
-- validity.
CREATE TABLE IF NOT EXISTS fx_rates (
    currency TEXT NOT NULL,
    as_of    TEXT NOT NULL,
    per_usd  TEXT NOT NULL,  -- decimal string
    PRIMARY KEY (currency, as_of)
) WITHOUT ROWID;

-- The people who sign in on the login page (OAuth 2.0, `/oauth/authorize`), by login. Passwords
-- are Argon2id PHC strings; the password itself is never stored.
CREATE TABLE IF NOT EXISTS users (
    login      TEXT PRIMARY KEY,
    password   TEXT NOT NULL,
    role       TEXT NOT NULL,
    partners   TEXT NOT NULL,  -- JSON array of partner ids
    created_at TEXT NOT NULL
);

-- When a token expires: tokens issued by signing in within the hour (their client renews them
-- with a refresh token), an administrator's (`central-api token`) after the days it was made
-- for. A token without a row (made before tokens expired) does not.
CREATE TABLE IF NOT EXISTS token_expiry (
    hash       TEXT PRIMARY KEY REFERENCES tokens (hash) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL  -- Unix seconds
);

-- Refresh tokens by SHA-256. Each is used once: redeeming it replaces it with a new one.
CREATE TABLE IF NOT EXISTS refresh_tokens (
    hash       TEXT PRIMARY KEY,
    login      TEXT NOT NULL REFERENCES users (login) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,  -- Unix seconds
    created_at TEXT NOT NULL
);

-- Authorization codes by SHA-256: redeemed once, within a minute, by the client that asked for
-- them, with the PKCE verifier of their challenge.
CREATE TABLE IF NOT EXISTS auth_codes (
    hash         TEXT PRIMARY KEY,
    login        TEXT NOT NULL REFERENCES users (login) ON DELETE CASCADE,
    client_id    TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    challenge    TEXT NOT NULL,  -- S256 of the verifier, base64url without padding
    expires_at   INTEGER NOT NULL  -- Unix seconds
);
