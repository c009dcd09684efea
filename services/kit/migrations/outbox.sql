-- Transactional outbox: a service writes its events here in the same transaction as its state;
-- the relay publishes them to Kafka in id order and deletes them once Kafka has them.
-- The identity keeps its default cache of 1, so ids are taken in the order rows are inserted:
-- the relay's floor relies on it (services/kit/outbox.ts).
CREATE TABLE IF NOT EXISTS outbox (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id    uuid        NOT NULL,
  event_type  text        NOT NULL,
  topic       text        NOT NULL,
  event_key   text,
  headers     jsonb       NOT NULL,
  payload     text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
