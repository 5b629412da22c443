-- Partner Desk local cache, schema v9: customers carry their web domain, and the keys the
-- no-poaching rule compares a prospect with (`program::deals::served_by`): the normalized name and
-- domain, written by the app beside each customer (normalizing is the program's, in Rust). A
-- cache made before this version has its keys filled in when it is first opened.
ALTER TABLE customers ADD COLUMN domain TEXT;
ALTER TABLE customers ADD COLUMN company_key TEXT;
ALTER TABLE customers ADD COLUMN domain_key TEXT;
CREATE INDEX customers_company_key ON customers (company_key);
CREATE INDEX customers_domain_key ON customers (domain_key) WHERE domain_key IS NOT NULL;
