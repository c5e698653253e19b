-- The sink table of examples/continuous-tables.yaml (its source, shop.events, and sample rows come
-- from examples/postgres-incremental.sql). Continuous mode writes by key: the table needs the
-- primary key (or a unique index) that upsert's ON CONFLICT names.
--   psql "postgresql://copyjob:copyjob@127.0.0.1:55432/copyjob_test" -f examples/postgres-incremental.sql
--   psql "postgresql://copyjob:copyjob@127.0.0.1:55432/copyjob_test" -f examples/continuous-tables.sql
CREATE TABLE IF NOT EXISTS dw.events_live (
  id BIGINT PRIMARY KEY,
  kind VARCHAR(20) NOT NULL,
  amount NUMERIC(12,2),
  updated_at TIMESTAMP(6)
);
