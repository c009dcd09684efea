-- Every record a consumer could not process, with where it came from (enough to send it back
-- exactly as it was), the error, and whether it was replayed. The id is the DeadLettered event's
-- ce_id, so a dead letter sent twice is stored once.
CREATE TABLE dead_letters (
  id                text PRIMARY KEY,
  -- Arrival order: one order's records arrive in their original order, and are replayed in it.
  seq               bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,
  origin_topic      text        NOT NULL,
  origin_partition  integer     NOT NULL,
  origin_offset     text        NOT NULL,
  origin_key        text,
  origin_headers    jsonb       NOT NULL DEFAULT '{}',
  -- UTF-8 text, or base64 when the value was not text.
  origin_value      text,
  value_encoding    text        NOT NULL CHECK (value_encoding IN ('utf8', 'base64')),
  consumer          text        NOT NULL,
  error_kind        text        NOT NULL CHECK (error_kind IN ('malformed', 'unknown-type', 'invalid', 'retries-exhausted', 'not-retriable')),
  error_message     text        NOT NULL,
  attempts          integer     NOT NULL,
  dead_lettered_at  timestamptz NOT NULL,
  trace_id          text,
  stored_at         timestamptz NOT NULL DEFAULT now(),
  status            text        NOT NULL DEFAULT 'stored' CHECK (status IN ('stored', 'replayed')),
  replayed_at       timestamptz,
  replay_count      integer     NOT NULL DEFAULT 0
);
CREATE INDEX dead_letters_by_time ON dead_letters (dead_lettered_at DESC);
CREATE INDEX dead_letters_by_status ON dead_letters (status, dead_lettered_at DESC);
