-- What the customer was told, readable by a human: one email per saga step per order. The
-- unique (order_id, kind) makes a second event for the same step (a re-sent or replayed one)
-- change nothing, whatever its event id.
CREATE TABLE notifications (
  id               uuid PRIMARY KEY,
  order_id         uuid        NOT NULL,
  kind             text        NOT NULL CHECK (kind IN ('order-received', 'order-paid', 'order-cancelled')),
  channel          text        NOT NULL DEFAULT 'email' CHECK (channel = 'email'),
  recipient        text        NOT NULL,
  subject          text        NOT NULL,
  body             text        NOT NULL,
  -- The event that caused it.
  cause_event_id   text        NOT NULL,
  cause_event_type text        NOT NULL,
  trace_id         text,
  sent_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (order_id, kind)
);
CREATE INDEX notifications_by_sent ON notifications (sent_at DESC);
