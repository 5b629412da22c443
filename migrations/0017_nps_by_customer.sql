-- Partner Desk local cache, schema v17: a partner's NPS counts each customer's latest answer in
-- the trailing year, found by partner and customer. Through the partner's index by day, each
-- answer's customer was read from the table and the answers sorted by customer (250 ms of every
-- partner's figures at 1,000,000 deployments); this index holds them in that order.
CREATE INDEX nps_by_customer ON nps_responses (partner_id, customer_id, answered_on, score);
