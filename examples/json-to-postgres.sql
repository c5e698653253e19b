-- The sink table of examples/json-to-postgres.yaml (copyjob does not create tables yet):
--   psql "postgresql://copyjob:copyjob@127.0.0.1:55432/copyjob_test" -f examples/json-to-postgres.sql
CREATE TABLE IF NOT EXISTS returns (
  id BIGINT PRIMARY KEY,
  order_id BIGINT NOT NULL,
  amount NUMERIC(12,2) NOT NULL,
  reason TEXT,
  returned_at TIMESTAMP WITH TIME ZONE
);
