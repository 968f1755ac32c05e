-- Pools, merchant enrolment, vouchers, holder limit counters, idempotency keys and the
-- double-entry journal. The live balances that guard against overspending (a pool's
-- available, a voucher's balance) are rows with CHECK (>= 0); everything else is a sum of
-- journal entries.

CREATE TABLE pools (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  issuer_id             uuid NOT NULL REFERENCES organisations (id),
  kind                  text NOT NULL CHECK (kind IN ('compute', 'model', 'corpus', 'innovation', 'professional_service', 'consumption')),
  audience              text NOT NULL CHECK (audience IN ('enterprise', 'consumer')),
  name_zh               text NOT NULL CHECK (length(name_zh) BETWEEN 1 AND 200),
  name_en               text CHECK (length(name_en) <= 200),
  description           text CHECK (length(description) <= 4000),
  policy_ref            text CHECK (length(policy_ref) <= 200),
  budget_fen            bigint NOT NULL CHECK (budget_fen >= 0),
  available_fen         bigint NOT NULL DEFAULT 0 CHECK (available_fen >= 0),
  value_type            text NOT NULL CHECK (value_type IN ('fixed', 'ratio', 'balance')),
  amount_fen            bigint NOT NULL CHECK (amount_fen > 0),
  min_spend_fen         bigint NOT NULL DEFAULT 0 CHECK (min_spend_fen >= 0),
  ratio_bp              integer CHECK (ratio_bp BETWEEN 1 AND 10000),
  distribution          text NOT NULL CHECK (distribution IN ('first_come', 'lottery', 'application', 'auto_grant')),
  claim_opens_at        timestamptz NOT NULL,
  claim_closes_at       timestamptz NOT NULL,
  valid_days            integer CHECK (valid_days BETWEEN 1 AND 3660),
  valid_until           timestamptz,
  per_holder_max        integer NOT NULL DEFAULT 1 CHECK (per_holder_max BETWEEN 1 AND 1000),
  per_holder_daily_max  integer CHECK (per_holder_daily_max BETWEEN 1 AND 1000),
  annual_cap_fen        bigint CHECK (annual_cap_fen > 0),
  eligibility           jsonb NOT NULL DEFAULT '{}',
  merchant_scope        jsonb NOT NULL DEFAULT '{}',
  banned_categories     text[] NOT NULL DEFAULT '{}',
  redemption_mode       text NOT NULL CHECK (redemption_mode IN ('direct', 'confirm')),
  reissue_unused        boolean NOT NULL DEFAULT false,
  rounds                jsonb NOT NULL DEFAULT '[]',
  funders               jsonb NOT NULL DEFAULT '[]',
  ticket_stub_required  boolean NOT NULL DEFAULT false,
  confirm_mode          text NOT NULL DEFAULT 'immediate' CHECK (confirm_mode IN ('immediate', 'one_click')),
  reversal_window_minutes integer CHECK (reversal_window_minutes BETWEEN 0 AND 525600),
  lottery_seed          text,
  lottery_seed_hash     text,
  lottery_drawn_at      timestamptz,
  status                text NOT NULL DEFAULT 'draft'
                        CHECK (status IN ('draft', 'pending_approval', 'scheduled', 'open', 'paused', 'closed', 'rejected')),
  funded                boolean NOT NULL DEFAULT false,
  created_by            uuid NOT NULL REFERENCES users (id),
  submitted_by          uuid REFERENCES users (id),
  approved_by           uuid REFERENCES users (id),
  reject_reason         text CHECK (length(reject_reason) <= 1000),
  version               integer NOT NULL DEFAULT 1,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  CHECK (claim_closes_at > claim_opens_at),
  CHECK (available_fen <= budget_fen),
  CHECK ((valid_days IS NULL) <> (valid_until IS NULL)),
  CHECK (value_type <> 'ratio' OR ratio_bp IS NOT NULL),
  CHECK (audience = 'consumer' OR kind <> 'consumption'),
  CHECK (funded OR available_fen = 0),
  -- four eyes: the approver is never the submitter
  CHECK (approved_by IS NULL OR approved_by IS DISTINCT FROM submitted_by)
);
CREATE INDEX pools_issuer ON pools (issuer_id, created_at DESC);
CREATE INDEX pools_status ON pools (status, claim_opens_at);

CREATE TABLE pool_budget_changes (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pool_id       uuid NOT NULL REFERENCES pools (id),
  delta_fen     bigint NOT NULL CHECK (delta_fen <> 0),
  reason        text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
  status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
  requested_by  uuid NOT NULL REFERENCES users (id),
  decided_by    uuid REFERENCES users (id),
  decided_at    timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CHECK (decided_by IS NULL OR decided_by <> requested_by)
);
CREATE INDEX pool_budget_changes_pool ON pool_budget_changes (pool_id);

-- Explicit merchant enrolment per pool.
CREATE TABLE pool_merchants (
  pool_id      uuid NOT NULL REFERENCES pools (id),
  merchant_id  uuid NOT NULL REFERENCES organisations (id),
  enrolled_by  uuid NOT NULL REFERENCES users (id),
  enrolled_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (pool_id, merchant_id)
);

-- Uploaded eligibility lists (USCC or phone per line).
CREATE TABLE pool_eligible_list (
  pool_id     uuid NOT NULL REFERENCES pools (id),
  identifier  text NOT NULL CHECK (length(identifier) <= 40),
  PRIMARY KEY (pool_id, identifier)
);

CREATE TABLE vouchers (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  code            text NOT NULL UNIQUE CHECK (code ~ '^[0-9A-HJKMNP-TV-Z]{16}[0-9A-HJKMNP-TV-Z*~$=U]$'),
  pool_id         uuid NOT NULL REFERENCES pools (id),
  issuer_id       uuid NOT NULL REFERENCES organisations (id),
  holder_kind     text NOT NULL CHECK (holder_kind IN ('enterprise', 'consumer')),
  holder_id       uuid NOT NULL,
  amount_fen      bigint NOT NULL CHECK (amount_fen > 0),
  balance_fen     bigint NOT NULL CHECK (balance_fen >= 0),
  held_fen        bigint NOT NULL DEFAULT 0 CHECK (held_fen >= 0),
  provider_id     uuid REFERENCES organisations (id),
  valid_from      timestamptz NOT NULL,
  valid_until     timestamptz NOT NULL,
  status          text NOT NULL CHECK (status IN ('pending_confirmation', 'active', 'redeemed', 'expired', 'revoked')),
  source          text NOT NULL CHECK (source IN ('claim', 'lottery', 'application', 'grant')),
  source_ref      text CHECK (length(source_ref) <= 128),
  revoke_reason   text CHECK (length(revoke_reason) <= 1000),
  issued_at       timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  CHECK (balance_fen + held_fen <= amount_fen),
  CHECK (valid_until > valid_from),
  -- a voucher that is no longer active holds nothing
  CHECK (status IN ('active', 'pending_confirmation') OR held_fen = 0)
);
CREATE INDEX vouchers_holder ON vouchers (holder_id, issued_at DESC);
CREATE INDEX vouchers_pool ON vouchers (pool_id);
CREATE INDEX vouchers_expiry ON vouchers (valid_until) WHERE status IN ('active', 'pending_confirmation');
-- one voucher per (pool, source, reference): a re-run of a grant or a draw issues nobody twice
CREATE UNIQUE INDEX vouchers_source_ref ON vouchers (pool_id, source, source_ref) WHERE source_ref IS NOT NULL;

-- Holder limits are counter rows guarded by the database, never count-then-insert.
CREATE TABLE holder_pool_counters (
  pool_id     uuid NOT NULL REFERENCES pools (id),
  holder_id   uuid NOT NULL,
  claimed     integer NOT NULL CHECK (claimed >= 0),
  max_claims  integer NOT NULL CHECK (max_claims >= 1),
  PRIMARY KEY (pool_id, holder_id),
  CHECK (claimed <= max_claims)
);

CREATE TABLE holder_daily_counters (
  pool_id     uuid NOT NULL REFERENCES pools (id),
  holder_id   uuid NOT NULL,
  day         date NOT NULL,
  claimed     integer NOT NULL CHECK (claimed >= 0),
  max_claims  integer NOT NULL CHECK (max_claims >= 1),
  PRIMARY KEY (pool_id, holder_id, day),
  CHECK (claimed <= max_claims)
);

-- Issuer-wide annual cap per holder per kind (e.g. compute ≤ ¥1,000,000 per enterprise per year).
CREATE TABLE holder_annual_usage (
  issuer_id   uuid NOT NULL REFERENCES organisations (id),
  kind        text NOT NULL,
  holder_id   uuid NOT NULL,
  year        integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
  used_fen    bigint NOT NULL CHECK (used_fen >= 0),
  PRIMARY KEY (issuer_id, kind, holder_id, year)
);

-- Idempotency keys (Stripe semantics). The key row is inserted in the same transaction as
-- the effect, so a concurrent duplicate waits on the unique index and then replays.
CREATE TABLE idempotency_keys (
  scope            text NOT NULL CHECK (length(scope) <= 80),
  key              text NOT NULL CHECK (length(key) BETWEEN 8 AND 128),
  fingerprint      text NOT NULL CHECK (length(fingerprint) = 64),
  response_status  integer NOT NULL CHECK (response_status BETWEEN 200 AND 599),
  response_body    jsonb NOT NULL,
  created_at       timestamptz NOT NULL,
  PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- The double-entry journal. Each journal transaction's entries sum to zero (checked per
-- statement below); entries are append-only.
CREATE TABLE journal_transactions (
  id          bigserial PRIMARY KEY,
  kind        text NOT NULL CHECK (kind IN ('fund', 'budget_change', 'issue', 'redeem', 'hold', 'hold_confirm',
              'hold_void', 'reverse', 'release', 'settle')),
  pool_id     uuid NOT NULL REFERENCES pools (id),
  ref_type    text CHECK (length(ref_type) <= 40),
  ref_id      text CHECK (length(ref_id) <= 128),
  at          timestamptz NOT NULL
);
CREATE INDEX journal_transactions_pool ON journal_transactions (pool_id, id);

CREATE TABLE journal_entries (
  id           bigserial PRIMARY KEY,
  txn_id       bigint NOT NULL REFERENCES journal_transactions (id),
  account      text NOT NULL CHECK (account IN ('budget', 'available', 'voucher', 'hold', 'spent', 'settled')),
  pool_id      uuid NOT NULL,
  voucher_id   uuid,
  merchant_id  uuid,
  amount_fen   bigint NOT NULL CHECK (amount_fen <> 0),
  at           timestamptz NOT NULL,
  CHECK (account NOT IN ('voucher', 'hold') OR voucher_id IS NOT NULL),
  CHECK (account NOT IN ('spent', 'settled') OR merchant_id IS NOT NULL)
);
CREATE INDEX journal_entries_txn ON journal_entries (txn_id);
CREATE INDEX journal_entries_pool_account ON journal_entries (pool_id, account);
CREATE INDEX journal_entries_voucher ON journal_entries (voucher_id) WHERE voucher_id IS NOT NULL;
CREATE INDEX journal_entries_merchant ON journal_entries (merchant_id, account) WHERE merchant_id IS NOT NULL;

CREATE FUNCTION journal_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad bigint;
BEGIN
  SELECT txn_id INTO bad FROM new_entries GROUP BY txn_id HAVING sum(amount_fen) <> 0 LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'journal transaction % does not balance', bad USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER journal_entries_balanced AFTER INSERT ON journal_entries
  REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION journal_check_balanced();
CREATE TRIGGER journal_entries_append_only BEFORE UPDATE OR DELETE ON journal_entries
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER journal_transactions_append_only BEFORE UPDATE OR DELETE ON journal_transactions
  FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Rollups of the balances that are sums (reserved, spent, settled per pool and per merchant),
-- spread over shards so that concurrent redemptions do not queue on one pool-wide row.
CREATE TABLE ledger_rollups (
  pool_id      uuid NOT NULL,
  account      text NOT NULL,
  merchant_id  uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
  shard        smallint NOT NULL CHECK (shard BETWEEN 0 AND 15),
  balance_fen  bigint NOT NULL,
  PRIMARY KEY (pool_id, account, merchant_id, shard)
);
