-- Partner Desk local cache, schema v3: indexes that answer a partner's screens by themselves.
--
-- A partner's ledger lines are spread over the whole table (rows arrive in time order, every
-- partner's interleaved): reading one partner's balance or consumption through an index of keys
-- alone touched a table page per line. With the columns those queries read in the index, one
-- partner's lines are one contiguous run of index pages. The same for NPS responses.
DROP INDEX ledger_partner_at;
CREATE INDEX ledger_partner_at
    ON ledger_entries (partner_id, at, id, kind, credits_minor, deployment_id);
DROP INDEX nps_partner_on;
CREATE INDEX nps_partner_on ON nps_responses (partner_id, answered_on, score);

-- The portfolio reads one table: each partner's figures beside the partner's own columns it
-- filters and sorts by, with an index per sort order, so a page is read off an index instead of
-- sorting every partner. Derived data (see desk::figures): recreated empty here and filled again
-- by the next refresh, for every partner.
DROP TABLE partner_figures;
CREATE TABLE partner_figures (
    partner_id       TEXT PRIMARY KEY NOT NULL,
    as_of            TEXT NOT NULL,
    name             TEXT NOT NULL DEFAULT '',
    tier             TEXT NOT NULL DEFAULT 'authorized',
    -- 0 Authorized … 3 Strategic: the tier's order.
    tier_rank        INTEGER NOT NULL DEFAULT 0,
    discount_rate    TEXT NOT NULL DEFAULT '0',
    region           TEXT NOT NULL DEFAULT '',
    country          TEXT NOT NULL DEFAULT '',
    currency         TEXT NOT NULL DEFAULT '',
    -- The partner's brands, sorted, comma-separated.
    brands           TEXT NOT NULL DEFAULT '',
    exclusive        INTEGER NOT NULL DEFAULT 0 CHECK (exclusive IN (0, 1)),
    active_customers INTEGER NOT NULL,
    nps              INTEGER,
    nps_responses    INTEGER NOT NULL,
    nps_promoters    INTEGER NOT NULL,
    nps_detractors   INTEGER NOT NULL,
    retention        TEXT,
    retention_base   INTEGER NOT NULL,
    retained         INTEGER NOT NULL,
    recurring_minor  INTEGER NOT NULL,
    balance_minor    INTEGER NOT NULL,
    burn_30          TEXT NOT NULL,
    burn_90          TEXT NOT NULL,
    runway_days      INTEGER,
    eligible         INTEGER NOT NULL CHECK (eligible IN (0, 1))
) STRICT;
CREATE INDEX figures_by_name ON partner_figures (name COLLATE NOCASE, partner_id);
CREATE INDEX figures_by_tier ON partner_figures (tier_rank, name COLLATE NOCASE, partner_id);
CREATE INDEX figures_by_discount ON partner_figures (discount_rate, name COLLATE NOCASE, partner_id);
CREATE INDEX figures_by_region ON partner_figures (region, name COLLATE NOCASE, partner_id);
CREATE INDEX figures_by_active ON partner_figures (active_customers, name COLLATE NOCASE, partner_id);
CREATE INDEX figures_by_balance ON partner_figures (balance_minor, name COLLATE NOCASE, partner_id);
CREATE INDEX figures_by_nps ON partner_figures (nps, name COLLATE NOCASE, partner_id);
CREATE INDEX figures_by_retention ON partner_figures (retention, name COLLATE NOCASE, partner_id);
CREATE INDEX figures_by_volume ON partner_figures (recurring_minor, name COLLATE NOCASE, partner_id);
CREATE INDEX figures_by_runway ON partner_figures (runway_days, name COLLATE NOCASE, partner_id);
DELETE FROM sync_state WHERE key = 'figures_as_of';

-- The portfolio's search: one document per partner (its name and country, its customers' names,
-- founders and countries), so matching partners through their customers is one FTS lookup over
-- partners, not one per matching customer. Kept apart from partner_figures so that table's rows
-- stay small for its index scans. Derived data, rebuilt with the figures. External-content FTS
-- kept by triggers; the rowid is partner_search's own (nothing here VACUUMs).
CREATE TABLE partner_search (
    partner_id TEXT PRIMARY KEY NOT NULL,
    doc        TEXT NOT NULL
) STRICT;
CREATE VIRTUAL TABLE partner_search_fts USING fts5(
    doc,
    content = 'partner_search', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE TRIGGER partner_search_fts_insert AFTER INSERT ON partner_search BEGIN
    INSERT INTO partner_search_fts (rowid, doc) VALUES (new.rowid, new.doc);
END;
CREATE TRIGGER partner_search_fts_delete AFTER DELETE ON partner_search BEGIN
    INSERT INTO partner_search_fts (partner_search_fts, rowid, doc)
    VALUES ('delete', old.rowid, old.doc);
END;
