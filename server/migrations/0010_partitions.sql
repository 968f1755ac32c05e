-- Monthly partitions of the two tables that grow with every claim and redemption:
-- journal_entries by `at` and redemptions by `created_at` (docs/OPERATIONS.md, Data growth).
--
-- A month is an Asia/Shanghai calendar month, so a business day never straddles two partitions
-- and a query bounded by days of the partition key prunes to its months. Partitions are named
-- <table>_YYYY_MM; rows
-- of a month without a partition land in <table>_default and are never refused. The job
-- `partitions` (server/src/jobs/partitions.job.ts) creates the coming months ahead of time, and
-- moves rows that reached the DEFAULT partition into their month's partition when it creates it.
--
-- A unique key of a partitioned table must contain the partition key, so three invariants that
-- cannot are kept by other means (docs/LEDGER.md, Guards):
-- - redemptions.id stays globally unique and referenceable through `redemption_keys`, a narrow,
--   unpartitioned table with one row per redemption, written by a trigger in the same statement;
--   the foreign keys of redemption_reversals and settlement_lines now point at it;
-- - one redemption per dynamic token step (voucher_id, token_step): a unique index there;
-- - journal_entries ids come from their sequence only; nothing references them, so the primary
--   key becomes (id, at).
-- The balance check stays a statement-level trigger with a transition table: on the parent
-- (statements naming journal_entries) and on every partition (statements naming a partition),
-- which the partition maker adds to each partition it creates.

-- ---- the partition maker ----

-- The instant an Asia/Shanghai month starts (`month` is any day of it).
CREATE FUNCTION partition_month_start(month date) RETURNS timestamptz LANGUAGE sql STABLE AS $$
  SELECT make_timestamptz(extract(year FROM month)::int, extract(month FROM month)::int, 1, 0, 0, 0,
                          'Asia/Shanghai')
$$;

-- Adds the balance trigger to every journal_entries partition that lacks it (a partition made by
-- hand, or attached); returns how many it added. Statement-level triggers are not inherited.
CREATE FUNCTION journal_guard_partitions() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  part regclass;
  added integer := 0;
BEGIN
  FOR part IN
    SELECT i.inhrelid::regclass FROM pg_inherits i
    WHERE i.inhparent = 'journal_entries'::regclass
      AND NOT EXISTS (SELECT 1 FROM pg_trigger t
                      WHERE t.tgrelid = i.inhrelid AND t.tgname = 'journal_entries_balanced')
  LOOP
    EXECUTE format('CREATE TRIGGER journal_entries_balanced AFTER INSERT ON %s REFERENCING NEW TABLE AS new_entries '
      'FOR EACH STATEMENT EXECUTE FUNCTION journal_check_balanced()', part);
    added := added + 1;
  END LOOP;
  RETURN added;
END $$;

-- Creates the partition of `parent` for the Asia/Shanghai month containing `month`, unless it
-- exists. The month is built as a standalone table and attached, which takes SHARE UPDATE
-- EXCLUSIVE on the parent: inserts into the other partitions go on. The DEFAULT partition is
-- locked (ACCESS EXCLUSIVE) from the start, so no row of the month reaches it meanwhile; rows of
-- the month already there move: copied into the new table before it is attached, then removed
-- from the DEFAULT partition with its triggers off for that one statement, which no other
-- session can see (the lock is held until commit).
CREATE FUNCTION partition_create_month(parent text, month date, OUT created boolean, OUT moved bigint)
LANGUAGE plpgsql AS $$
DECLARE
  key text := CASE parent WHEN 'journal_entries' THEN 'at' WHEN 'redemptions' THEN 'created_at' END;
  first date := date_trunc('month', month)::date;
  part text := format('%s_%s', parent, to_char(first, 'YYYY_MM'));
  def text := parent || '_default';
  lo timestamptz := partition_month_start(first);
  hi timestamptz := partition_month_start((first + interval '1 month')::date);
  cols text;
BEGIN
  IF key IS NULL THEN
    RAISE EXCEPTION 'assertion: % is not partitioned by month', parent;
  END IF;
  created := false;
  moved := 0;
  -- one maker at a time (the job on several instances, start-up, the migration)
  PERFORM pg_advisory_xact_lock(7115010);
  IF to_regclass(part) IS NOT NULL THEN
    RETURN;
  END IF;
  SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
  FROM pg_attribute WHERE attrelid = parent::regclass AND attnum > 0 AND NOT attisdropped;
  EXECUTE format('LOCK TABLE %I IN ACCESS EXCLUSIVE MODE', def);
  EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part, parent);
  EXECUTE format('INSERT INTO %I (%s) SELECT %s FROM %I WHERE %I >= $1 AND %I < $2', part, cols, cols, def, key, key)
    USING lo, hi;
  GET DIAGNOSTICS moved = ROW_COUNT;
  IF moved > 0 THEN
    EXECUTE format('ALTER TABLE %I DISABLE TRIGGER USER', def);
    EXECUTE format('DELETE FROM %I WHERE %I >= $1 AND %I < $2', def, key, key) USING lo, hi;
    EXECUTE format('ALTER TABLE %I ENABLE TRIGGER USER', def);
  END IF;
  EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', parent, part,
    to_char(lo AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS"+00"'), to_char(hi AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS"+00"'));
  IF parent = 'journal_entries' THEN
    PERFORM journal_guard_partitions();
  END IF;
  created := true;
END $$;

-- ---- journal_entries ----

ALTER TABLE journal_entries RENAME TO journal_entries_old;
ALTER TABLE journal_entries_old RENAME CONSTRAINT journal_entries_pkey TO journal_entries_old_pkey;
ALTER SEQUENCE journal_entries_id_seq OWNED BY NONE;

-- Every constraint carries the name it had (NOT NULL ones are catalogued by name from
-- PostgreSQL 18, which PGlite is). Keys, indexes, foreign keys and triggers follow the copy,
-- which is faster that way and must not fire the balance trigger over all of history.
CREATE TABLE journal_entries (
  id           bigint CONSTRAINT journal_entries_id_not_null NOT NULL DEFAULT nextval('journal_entries_id_seq'),
  txn_id       bigint CONSTRAINT journal_entries_txn_id_not_null NOT NULL,
  account      text CONSTRAINT journal_entries_account_not_null NOT NULL CONSTRAINT journal_entries_account_check
               CHECK (account IN ('budget', 'available', 'voucher', 'hold', 'spent', 'settled')),
  pool_id      uuid CONSTRAINT journal_entries_pool_id_not_null NOT NULL,
  voucher_id   uuid,
  merchant_id  uuid,
  amount_fen   bigint CONSTRAINT journal_entries_amount_fen_not_null NOT NULL
               CONSTRAINT journal_entries_amount_fen_check CHECK (amount_fen <> 0),
  at           timestamptz CONSTRAINT journal_entries_at_not_null NOT NULL,
  CONSTRAINT journal_entries_check CHECK (account NOT IN ('voucher', 'hold') OR voucher_id IS NOT NULL),
  CONSTRAINT journal_entries_check1 CHECK (account NOT IN ('spent', 'settled') OR merchant_id IS NOT NULL)
) PARTITION BY RANGE (at);
ALTER SEQUENCE journal_entries_id_seq OWNED BY journal_entries.id;
CREATE TABLE journal_entries_default PARTITION OF journal_entries DEFAULT;
SELECT journal_guard_partitions();
-- a partition for every month holding rows, and for this month and the next three
SELECT partition_create_month('journal_entries', m) FROM (
  SELECT date_trunc('month', at AT TIME ZONE 'Asia/Shanghai')::date FROM journal_entries_old
  UNION
  SELECT (date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai') + k * interval '1 month')::date
  FROM generate_series(0, 3) AS k
) AS months (m) ORDER BY m;

INSERT INTO journal_entries (id, txn_id, account, pool_id, voucher_id, merchant_id, amount_fen, at)
SELECT id, txn_id, account, pool_id, voucher_id, merchant_id, amount_fen, at FROM journal_entries_old;

DO $$
BEGIN
  IF (SELECT (count(*), sum(amount_fen), max(id)) FROM journal_entries)
     IS DISTINCT FROM (SELECT (count(*), sum(amount_fen), max(id)) FROM journal_entries_old)
     OR EXISTS (SELECT 1 FROM journal_entries_default) THEN
    RAISE EXCEPTION 'assertion: journal_entries changed in the copy, or rows missed their month';
  END IF;
END $$;
DROP TABLE journal_entries_old;

ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_pkey PRIMARY KEY (id, at);
ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_txn_id_fkey FOREIGN KEY (txn_id) REFERENCES journal_transactions (id);
CREATE INDEX journal_entries_txn ON journal_entries (txn_id);
CREATE INDEX journal_entries_pool_account ON journal_entries (pool_id, account);
CREATE INDEX journal_entries_voucher ON journal_entries (voucher_id) WHERE voucher_id IS NOT NULL;
CREATE INDEX journal_entries_merchant ON journal_entries (merchant_id, account) WHERE merchant_id IS NOT NULL;
CREATE TRIGGER journal_entries_balanced AFTER INSERT ON journal_entries
  REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION journal_check_balanced();
CREATE TRIGGER journal_entries_append_only BEFORE UPDATE OR DELETE ON journal_entries
  FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- ---- redemptions ----

-- One row per redemption, written with it (trigger below): the globally unique id that other
-- tables reference, where the row lives (created_at), and the dynamic token step it used.
CREATE TABLE redemption_keys (
  id          uuid PRIMARY KEY,
  created_at  timestamptz NOT NULL,
  voucher_id  uuid NOT NULL,
  token_step  bigint
);
-- one redemption per dynamic token (no replay), as redemptions_token_once was
CREATE UNIQUE INDEX redemption_keys_token_once ON redemption_keys (voucher_id, token_step) WHERE token_step IS NOT NULL;
CREATE TRIGGER redemption_keys_frozen BEFORE UPDATE ON redemption_keys FOR EACH ROW EXECUTE FUNCTION refuse_change();

ALTER TABLE redemption_reversals DROP CONSTRAINT redemption_reversals_redemption_id_fkey;
ALTER TABLE settlement_lines DROP CONSTRAINT settlement_lines_redemption_id_fkey;
ALTER TABLE redemptions RENAME TO redemptions_old;
ALTER TABLE redemptions_old RENAME CONSTRAINT redemptions_pkey TO redemptions_old_pkey;

INSERT INTO redemption_keys (id, created_at, voucher_id, token_step)
SELECT id, created_at, voucher_id, token_step FROM redemptions_old;

CREATE TABLE redemptions (
  id                 uuid CONSTRAINT redemptions_id_not_null NOT NULL,
  pool_id            uuid CONSTRAINT redemptions_pool_id_not_null NOT NULL,
  issuer_id          uuid CONSTRAINT redemptions_issuer_id_not_null NOT NULL,
  voucher_id         uuid CONSTRAINT redemptions_voucher_id_not_null NOT NULL,
  merchant_id        uuid CONSTRAINT redemptions_merchant_id_not_null NOT NULL,
  holder_kind        text CONSTRAINT redemptions_holder_kind_not_null NOT NULL
                     CONSTRAINT redemptions_holder_kind_check CHECK (holder_kind IN ('enterprise', 'consumer')),
  holder_id          uuid CONSTRAINT redemptions_holder_id_not_null NOT NULL,
  cashier_id         uuid CONSTRAINT redemptions_cashier_id_not_null NOT NULL,
  mode               text CONSTRAINT redemptions_mode_not_null NOT NULL
                     CONSTRAINT redemptions_mode_check CHECK (mode IN ('direct', 'confirm')),
  status             text CONSTRAINT redemptions_status_not_null NOT NULL CONSTRAINT redemptions_status_check
                     CHECK (status IN ('pending', 'posted', 'rejected', 'voided', 'reversed')),
  order_amount_fen   bigint CONSTRAINT redemptions_order_amount_fen_not_null NOT NULL
                     CONSTRAINT redemptions_order_amount_fen_check CHECK (order_amount_fen > 0),
  discount_fen       bigint CONSTRAINT redemptions_discount_fen_not_null NOT NULL
                     CONSTRAINT redemptions_discount_fen_check CHECK (discount_fen > 0),
  balance_after_fen  bigint CONSTRAINT redemptions_balance_after_fen_not_null NOT NULL
                     CONSTRAINT redemptions_balance_after_fen_check CHECK (balance_after_fen >= 0),
  order_ref          text CONSTRAINT redemptions_order_ref_not_null NOT NULL
                     CONSTRAINT redemptions_order_ref_check CHECK (length(order_ref) BETWEEN 1 AND 64),
  token_step         bigint CONSTRAINT redemptions_token_step_check CHECK (token_step >= 0),
  contract_ref       text CONSTRAINT redemptions_contract_ref_check CHECK (length(contract_ref) BETWEEN 1 AND 128),
  invoice_no         text CONSTRAINT redemptions_invoice_no_check CHECK (length(invoice_no) BETWEEN 1 AND 64),
  delivery_proof     jsonb CONSTRAINT redemptions_delivery_proof_check CHECK (octet_length(delivery_proof::text) <= 16384),
  created_at         timestamptz CONSTRAINT redemptions_created_at_not_null NOT NULL,
  posted_at          timestamptz,
  decided_at         timestamptz,
  decided_by         uuid,
  decision_reason    text CONSTRAINT redemptions_decision_reason_check CHECK (length(decision_reason) <= 1000),
  settlement_batch_id uuid,
  CONSTRAINT redemptions_check CHECK (discount_fen <= order_amount_fen),
  CONSTRAINT redemptions_check1 CHECK (mode = 'confirm' OR status IN ('posted', 'reversed')),
  CONSTRAINT redemptions_check2 CHECK (mode = 'direct' OR (contract_ref IS NOT NULL AND invoice_no IS NOT NULL)),
  CONSTRAINT redemptions_check3 CHECK ((status IN ('posted', 'reversed')) = (posted_at IS NOT NULL)),
  CONSTRAINT redemptions_check4 CHECK (status = 'pending' OR mode = 'direct' OR decided_at IS NOT NULL),
  CONSTRAINT redemptions_check5 CHECK (settlement_batch_id IS NULL OR status IN ('posted', 'reversed'))
) PARTITION BY RANGE (created_at);
CREATE TABLE redemptions_default PARTITION OF redemptions DEFAULT;
SELECT partition_create_month('redemptions', m) FROM (
  SELECT date_trunc('month', created_at AT TIME ZONE 'Asia/Shanghai')::date FROM redemptions_old
  UNION
  SELECT (date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai') + k * interval '1 month')::date
  FROM generate_series(0, 3) AS k
) AS months (m) ORDER BY m;

INSERT INTO redemptions (id, pool_id, issuer_id, voucher_id, merchant_id, holder_kind, holder_id, cashier_id, mode, status, order_amount_fen,
  discount_fen, balance_after_fen, order_ref, token_step, contract_ref, invoice_no, delivery_proof, created_at, posted_at,
  decided_at, decided_by, decision_reason, settlement_batch_id)
SELECT id, pool_id, issuer_id, voucher_id, merchant_id, holder_kind, holder_id, cashier_id, mode, status, order_amount_fen,
  discount_fen, balance_after_fen, order_ref, token_step, contract_ref, invoice_no, delivery_proof, created_at, posted_at,
  decided_at, decided_by, decision_reason, settlement_batch_id
FROM redemptions_old;

DO $$
BEGIN
  IF (SELECT (count(*), sum(discount_fen), count(DISTINCT id)) FROM redemptions)
     IS DISTINCT FROM (SELECT (count(*), sum(discount_fen), count(*)) FROM redemptions_old)
     OR EXISTS (SELECT 1 FROM redemptions_default) THEN
    RAISE EXCEPTION 'assertion: redemptions changed in the copy, or rows missed their month';
  END IF;
END $$;
DROP TABLE redemptions_old;

ALTER TABLE redemptions ADD CONSTRAINT redemptions_pkey PRIMARY KEY (id, created_at);
ALTER TABLE redemptions ADD CONSTRAINT redemptions_key_fkey FOREIGN KEY (id) REFERENCES redemption_keys (id);
ALTER TABLE redemptions ADD CONSTRAINT redemptions_pool_id_fkey FOREIGN KEY (pool_id) REFERENCES pools (id);
ALTER TABLE redemptions ADD CONSTRAINT redemptions_issuer_id_fkey FOREIGN KEY (issuer_id) REFERENCES organisations (id);
ALTER TABLE redemptions ADD CONSTRAINT redemptions_voucher_id_fkey FOREIGN KEY (voucher_id) REFERENCES vouchers (id);
ALTER TABLE redemptions ADD CONSTRAINT redemptions_merchant_id_fkey FOREIGN KEY (merchant_id) REFERENCES organisations (id);
ALTER TABLE redemptions ADD CONSTRAINT redemptions_cashier_id_fkey FOREIGN KEY (cashier_id) REFERENCES users (id);
ALTER TABLE redemptions ADD CONSTRAINT redemptions_decided_by_fkey FOREIGN KEY (decided_by) REFERENCES users (id);
ALTER TABLE redemptions ADD CONSTRAINT redemptions_settlement_batch_fk
  FOREIGN KEY (settlement_batch_id) REFERENCES settlement_batches (id);
CREATE INDEX redemptions_merchant ON redemptions (merchant_id, created_at DESC, id DESC);
CREATE INDEX redemptions_holder ON redemptions (holder_id, created_at DESC, id DESC);
CREATE INDEX redemptions_issuer ON redemptions (issuer_id, created_at DESC, id DESC);
CREATE INDEX redemptions_voucher ON redemptions (voucher_id);
CREATE INDEX redemptions_pending ON redemptions (created_at) WHERE status = 'pending';
CREATE INDEX redemptions_unsettled ON redemptions (merchant_id, posted_at)
  WHERE settlement_batch_id IS NULL AND status IN ('posted', 'reversed');
CREATE INDEX redemptions_posted_at ON redemptions (posted_at) WHERE posted_at IS NOT NULL;

ALTER TABLE redemption_reversals ADD CONSTRAINT redemption_reversals_redemption_id_fkey
  FOREIGN KEY (redemption_id) REFERENCES redemption_keys (id);
ALTER TABLE settlement_lines ADD CONSTRAINT settlement_lines_redemption_id_fkey
  FOREIGN KEY (redemption_id) REFERENCES redemption_keys (id);

CREATE TRIGGER redemptions_settlement_batch_once BEFORE UPDATE OF settlement_batch_id ON redemptions
  FOR EACH ROW WHEN (OLD.settlement_batch_id IS NOT NULL AND NEW.settlement_batch_id IS DISTINCT FROM OLD.settlement_batch_id)
  EXECUTE FUNCTION settlement_batch_set_once();

-- Every redemption writes its key row in the same statement: a second redemption with the same
-- id, or of the same voucher with the same token step, fails on redemption_keys' unique indexes
-- (redemption_keys_pkey, redemption_keys_token_once) and the statement inserts nothing.
CREATE FUNCTION redemption_key_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO redemption_keys (id, created_at, voucher_id, token_step)
  VALUES (NEW.id, NEW.created_at, NEW.voucher_id, NEW.token_step);
  RETURN NEW;
END $$;
CREATE TRIGGER redemptions_key BEFORE INSERT ON redemptions FOR EACH ROW EXECUTE FUNCTION redemption_key_insert();

-- What the key row records never changes on the redemption.
CREATE FUNCTION redemption_key_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'redemption %: id, created_at, voucher_id and token_step are fixed', OLD.id USING ERRCODE = 'check_violation';
END $$;
CREATE TRIGGER redemptions_key_frozen BEFORE UPDATE ON redemptions FOR EACH ROW
  WHEN (NEW.id IS DISTINCT FROM OLD.id OR NEW.created_at IS DISTINCT FROM OLD.created_at
        OR NEW.voucher_id IS DISTINCT FROM OLD.voucher_id OR NEW.token_step IS DISTINCT FROM OLD.token_step)
  EXECUTE FUNCTION redemption_key_frozen();

-- Deleting a redemption deletes its key row, which the foreign keys of reversals and settlement
-- lines refuse while they reference it (as they refused deleting the redemption before).
CREATE FUNCTION redemption_key_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM redemption_keys WHERE id = OLD.id;
  RETURN NULL;
END $$;
CREATE TRIGGER redemptions_key_release AFTER DELETE ON redemptions FOR EACH ROW EXECUTE FUNCTION redemption_key_delete();
