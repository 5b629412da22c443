-- Partner Desk local cache, schema v2: one search box, figures kept per partner, user settings.

-- Search over partners and customers (SQLite FTS5). External-content tables: the text lives in
-- `partners` / `customers`, the FTS tables hold only the index, kept by the triggers below in the
-- same statement as each change (so a sync page and its index entries commit together).
-- Accents are folded ("Bogota" finds "Bogotá"); 2- and 3-character prefixes are indexed for
-- search-as-you-type. The FTS rowid is the source row's rowid: nothing here ever VACUUMs (which
-- could renumber them); if something ever does, it must run the 'rebuild' commands below after.
CREATE VIRTUAL TABLE partners_fts USING fts5(
    name, country,
    content = 'partners', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE TRIGGER partners_fts_insert AFTER INSERT ON partners BEGIN
    INSERT INTO partners_fts (rowid, name, country) VALUES (new.rowid, new.name, new.country);
END;
CREATE TRIGGER partners_fts_delete AFTER DELETE ON partners BEGIN
    INSERT INTO partners_fts (partners_fts, rowid, name, country)
    VALUES ('delete', old.rowid, old.name, old.country);
END;
CREATE TRIGGER partners_fts_update AFTER UPDATE OF name, country ON partners BEGIN
    INSERT INTO partners_fts (partners_fts, rowid, name, country)
    VALUES ('delete', old.rowid, old.name, old.country);
    INSERT INTO partners_fts (rowid, name, country) VALUES (new.rowid, new.name, new.country);
END;

CREATE VIRTUAL TABLE customers_fts USING fts5(
    name, founder, country,
    content = 'customers', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE TRIGGER customers_fts_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customers_fts (rowid, name, founder, country)
    VALUES (new.rowid, new.name, new.founder, new.country);
END;
CREATE TRIGGER customers_fts_delete AFTER DELETE ON customers BEGIN
    INSERT INTO customers_fts (customers_fts, rowid, name, founder, country)
    VALUES ('delete', old.rowid, old.name, old.founder, old.country);
END;
CREATE TRIGGER customers_fts_update AFTER UPDATE OF name, founder, country ON customers BEGIN
    INSERT INTO customers_fts (customers_fts, rowid, name, founder, country)
    VALUES ('delete', old.rowid, old.name, old.founder, old.country);
    INSERT INTO customers_fts (rowid, name, founder, country)
    VALUES (new.rowid, new.name, new.founder, new.country);
END;

INSERT INTO partners_fts (partners_fts) VALUES ('rebuild');
INSERT INTO customers_fts (customers_fts) VALUES ('rebuild');

-- Each partner's figures (program::metrics) as of `as_of`, beside the partner's own columns the
-- portfolio filters and sorts by, with an index per sort order: the portfolio reads one table and
-- a page is read off an index instead of recomputing and sorting 10,000 partners per query.
-- Derived data: rebuilt for the partners in `figures_dirty` after each sync round (see
-- desk::figures). Credits are INTEGER hundredths; burn rates (credits per day) and retention (a
-- fraction) are decimal TEXT, never REAL.
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

-- Partners whose figures a sync page changed, written in that page's transaction, so figures
-- are never left stale by a crash between a page and the refresh.
CREATE TABLE figures_dirty (
    partner_id TEXT PRIMARY KEY NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO figures_dirty (partner_id) SELECT id FROM partners;

-- The user's own settings (e.g. the low-runway alert threshold). Not mirrored, not wiped when
-- the account changes.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT, WITHOUT ROWID;
