-- The source and sink tables of examples/postgres-incremental.yaml, with three sample rows:
--   psql "postgresql://copyjob:copyjob@127.0.0.1:55432/copyjob_test" -f examples/postgres-incremental.sql
CREATE SCHEMA IF NOT EXISTS shop;
CREATE SCHEMA IF NOT EXISTS dw;
CREATE TABLE IF NOT EXISTS shop.events (
  id BIGINT PRIMARY KEY,
  kind VARCHAR(20) NOT NULL,
  amount NUMERIC(12,2),
  updated_at TIMESTAMP(6)
);
INSERT INTO shop.events VALUES
  (1, 'signup', NULL, '2024-03-01 09:00:00.000001'),
  (2, 'order', 19.90, '2024-03-01 09:05:00.250000'),
  (3, 'order', 5.00, '2024-03-01 09:05:00.250001')
ON CONFLICT (id) DO NOTHING;
CREATE TABLE IF NOT EXISTS dw.events (
  id BIGINT NOT NULL,
  kind VARCHAR(20) NOT NULL,
  amount NUMERIC(12,2),
  updated_at TIMESTAMP(6)
);
