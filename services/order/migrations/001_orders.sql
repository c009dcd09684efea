-- The order saga's state, readable by a human: one row per order, and every status it went
-- through with the event that moved it.
CREATE TABLE orders (
  id                uuid PRIMARY KEY,
  status            text        NOT NULL CHECK (status IN ('PENDING_PAYMENT', 'PAID', 'CANCELLED')),
  items             jsonb       NOT NULL,
  total_cents       integer     NOT NULL CHECK (total_cents >= 0),
  currency          text        NOT NULL DEFAULT 'EUR',
  delivery_address  text        NOT NULL,
  payment_method    text        NOT NULL,
  -- Idempotency-Key of the POST that created it, and a hash of that request's body.
  idempotency_key   text        UNIQUE,
  request_hash      text,
  trace_id          text,
  cancel_reason     text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_by_status ON orders (status, created_at DESC);
CREATE INDEX orders_by_created ON orders (created_at DESC);

CREATE TABLE order_status_history (
  id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  order_id  uuid        NOT NULL REFERENCES orders (id),
  status    text        NOT NULL,
  reason    text,
  event_id  text,
  at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_status_history_by_order ON order_status_history (order_id, id);
