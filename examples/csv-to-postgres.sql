-- The sink tables of examples/csv-to-postgres.yaml (copyjob does not create tables yet):
--   psql "postgresql://copyjob:copyjob@127.0.0.1:55432/copyjob_test" -f examples/csv-to-postgres.sql
CREATE TABLE IF NOT EXISTS orders (
  id BIGINT PRIMARY KEY,
  customer_id BIGINT NOT NULL,
  amount NUMERIC(12,2),
  ordered_at TIMESTAMP WITH TIME ZONE,
  note TEXT,
  loaded_at TIMESTAMP WITH TIME ZONE DEFAULT now()
);
CREATE TABLE IF NOT EXISTS customers (
  id BIGINT PRIMARY KEY,
  name VARCHAR(100) NOT NULL,
  joined DATE
);
