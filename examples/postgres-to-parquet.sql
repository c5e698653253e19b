-- The source tables of examples/postgres-to-parquet.yaml, with a few sample rows:
--   psql "postgresql://copyjob:copyjob@127.0.0.1:55432/copyjob_test" -f examples/postgres-to-parquet.sql
CREATE SCHEMA IF NOT EXISTS shop;
CREATE TABLE IF NOT EXISTS shop.customers (
  id INTEGER PRIMARY KEY,
  name VARCHAR(100) NOT NULL,
  vip BOOLEAN,
  since DATE
);
INSERT INTO shop.customers VALUES
  (1, 'Ada', true, '2019-05-01'),
  (2, 'Grace', false, '2021-11-30'),
  (3, 'Edsger', NULL, NULL)
ON CONFLICT (id) DO NOTHING;
CREATE TABLE IF NOT EXISTS shop.orders (
  id BIGINT PRIMARY KEY,
  customer_id INTEGER,
  amount NUMERIC(12,2),
  note TEXT,
  ordered_at TIMESTAMP(6),
  paid_at TIMESTAMPTZ
);
INSERT INTO shop.orders
  SELECT g, 1 + g % 3, round((g * 7.31)::numeric % 1000, 2), 'order ' || g,
         TIMESTAMP '2024-03-01 09:00:00' + g * INTERVAL '1 minute',
         CASE WHEN g % 4 = 0 THEN NULL ELSE TIMESTAMPTZ '2024-03-01 09:00:00+00' + g * INTERVAL '90 seconds' END
  FROM generate_series(1, 10000) g
ON CONFLICT (id) DO NOTHING;
