-- Decisions are found by customer through transactions_customer: the customer index on
-- decisions duplicated it, and every index whose key is random (a customer pseudonym) costs
-- a page written to the log per decision of a batch. Dropping it raised the durable
-- decision rate with random customers from about 7,000/s to 11,000/s (BenchmarkSaveDecisionRealistic).
DROP INDEX decisions_customer_created;
