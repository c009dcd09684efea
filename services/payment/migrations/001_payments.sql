-- One payment per order: the outcome of charging it at the provider, readable by a human.
CREATE TABLE payments (
  id              uuid PRIMARY KEY,
  order_id        uuid        NOT NULL UNIQUE,
  status          text        NOT NULL CHECK (status IN ('paid', 'failed')),
  amount_cents    integer     NOT NULL CHECK (amount_cents >= 0),
  currency        text        NOT NULL,
  payment_method  text        NOT NULL,
  -- The provider's charge (a declined charge has one too).
  charge_id       text,
  -- Calls to the provider it took, retries included.
  attempts        integer     NOT NULL CHECK (attempts >= 1),
  -- failed: declined | invalid-payment-method, and what was said.
  reason          text,
  detail          text,
  -- The OrderCreated event it answers.
  event_id        text        NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_by_created ON payments (created_at DESC);
