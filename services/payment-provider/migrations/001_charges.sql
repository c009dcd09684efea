-- The bank's ledger: one row per Idempotency-Key, whatever the outcome. A decline is recorded
-- too, so that asking again with the same key always gets the same answer.
CREATE TABLE charges (
  id               text PRIMARY KEY,
  idempotency_key  text        NOT NULL UNIQUE,
  -- A hash of the request body: the same key with a different body is refused (422).
  request_hash     text        NOT NULL,
  order_id         uuid        NOT NULL,
  amount_cents     integer     NOT NULL CHECK (amount_cents >= 0),
  currency         text        NOT NULL,
  payment_method   text        NOT NULL,
  status           text        NOT NULL CHECK (status IN ('succeeded', 'declined')),
  decline_reason   text,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX charges_by_order ON charges (order_id, created_at);
CREATE INDEX charges_by_created ON charges (created_at DESC);
