-- Idempotent consumer: the ids of the events a consumer has acted on, written in the same
-- transaction as the effect, so a redelivered event changes nothing.
CREATE TABLE IF NOT EXISTS inbox (
  consumer     text        NOT NULL,
  event_id     text        NOT NULL,
  event_type   text        NOT NULL,
  order_id     text,
  received_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);
