-- Partner Desk local cache, schema v16: each partner's ledger summed per day, kept by the
-- database itself.
--
-- A partner's balance, burn rates and recurring volume are sums of its ledger over windows of
-- whole days, and a page's checksums compare each partner's line count and balance with the
-- platform's. Read from the lines, both cost a pass over millions of them (4 of the 5.5 s of every
-- partner's figures at 1,000,000 deployments); read from these sums, a few hundred rows a partner.
--
-- Each line's `day` and `class` are columns computed from it:
-- `class`: 0 a line that is not a consumption, 1 a consumption of a monthly deployment, 2 of any
-- other, 3 a consumption whose line does not say (a feed older than the billing on the line):
-- its billing is its deployment's, looked up when read, since the deployment may arrive after it.
-- `day` is the line's UTC date, the first ten characters of `at`. The feed brings the ledger in
-- time order, so a page's sums land on a few days: keyed by day first, a page rewrites a few
-- pages of the table, where keyed by partner it rewrote one per partner.
--
-- The triggers keep the sums equal to the lines whoever writes them: a page, a wipe, a test that
-- loses a line. A first sync drops them with the indexes and adds each page's own sums in the
-- page's transaction (a trigger per line would cost it seconds), and builds them again at its end.
ALTER TABLE ledger_entries ADD COLUMN day TEXT GENERATED ALWAYS AS (substr(at, 1, 10)) VIRTUAL;
ALTER TABLE ledger_entries ADD COLUMN class INTEGER GENERATED ALWAYS AS (
    CASE WHEN kind <> 'consumption' THEN 0 WHEN billing = 'monthly' THEN 1
         WHEN billing IS NULL THEN 3 ELSE 2 END) VIRTUAL;

CREATE TABLE ledger_days (
    partner_id    TEXT NOT NULL,
    day           TEXT NOT NULL,
    class         INTEGER NOT NULL CHECK (class IN (0, 1, 2, 3)),
    lines         INTEGER NOT NULL,
    credits_minor INTEGER NOT NULL,
    PRIMARY KEY (day, partner_id, class)
) STRICT, WITHOUT ROWID;
-- A partner's totals (its checksum), and its sums alone (its figures).
CREATE INDEX ledger_days_partner ON ledger_days (partner_id, lines, credits_minor);
-- The days whose consumption is read line by line.
CREATE INDEX ledger_days_unbilled ON ledger_days (partner_id, day) WHERE class = 3;

INSERT INTO ledger_days (partner_id, day, class, lines, credits_minor)
SELECT partner_id, day, class, count(*), sum(credits_minor) FROM ledger_entries GROUP BY 1, 2, 3;

CREATE TRIGGER ledger_days_insert AFTER INSERT ON ledger_entries BEGIN
    INSERT INTO ledger_days (partner_id, day, class, lines, credits_minor)
    VALUES (NEW.partner_id, NEW.day, NEW.class, 1, NEW.credits_minor)
    ON CONFLICT (day, partner_id, class) DO UPDATE
       SET lines = lines + 1, credits_minor = credits_minor + excluded.credits_minor;
END;

CREATE TRIGGER ledger_days_delete AFTER DELETE ON ledger_entries BEGIN
    UPDATE ledger_days SET lines = lines - 1, credits_minor = credits_minor - OLD.credits_minor
     WHERE day = OLD.day AND partner_id = OLD.partner_id AND class = OLD.class;
    DELETE FROM ledger_days
     WHERE day = OLD.day AND partner_id = OLD.partner_id AND class = OLD.class AND lines = 0;
END;

-- The ledger is append-only; a line changed all the same (a test, a repair) moves its sums.
CREATE TRIGGER ledger_days_update
AFTER UPDATE OF partner_id, at, kind, credits_minor, billing ON ledger_entries BEGIN
    UPDATE ledger_days SET lines = lines - 1, credits_minor = credits_minor - OLD.credits_minor
     WHERE day = OLD.day AND partner_id = OLD.partner_id AND class = OLD.class;
    INSERT INTO ledger_days (partner_id, day, class, lines, credits_minor)
    VALUES (NEW.partner_id, NEW.day, NEW.class, 1, NEW.credits_minor)
    ON CONFLICT (day, partner_id, class) DO UPDATE
       SET lines = lines + 1, credits_minor = credits_minor + excluded.credits_minor;
    DELETE FROM ledger_days WHERE lines = 0
       AND ((day = OLD.day AND partner_id = OLD.partner_id AND class = OLD.class)
         OR (day = NEW.day AND partner_id = NEW.partner_id AND class = NEW.class));
END;
