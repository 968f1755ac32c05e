-- Settlement (结算) and report rollups (measure 31).
--
-- Settlement: the daily job puts every posted redemption and every reversal of an issuer's
-- pools at one merchant, up to a cut-off (00:00 Asia/Shanghai), into batches: one per
-- issuer × merchant × funder (funder '' when the pools are not co-funded). A row is claimed
-- by setting its settlement_batch_id once (to the batch of its pool's first funder); its
-- lines, one per funder share, live in settlement_lines. docs/SETTLEMENT.md has the rules.
--
-- Reports: report_daily holds, per pool × merchant × Asia/Shanghai day, the counts and sums
-- the reports and fraud signals need. A job rebuilds each closed day from the base tables;
-- days after report_rollup_state.through_day are counted live. docs/REPORTS.md says why.

CREATE TABLE settlement_batches (
  id                uuid PRIMARY KEY,
  issuer_id         uuid NOT NULL REFERENCES organisations (id),
  merchant_id       uuid NOT NULL REFERENCES organisations (id),
  -- '' when the batch's pools are not co-funded, else pools.funders[].code
  funder_code       text NOT NULL CHECK (funder_code = '' OR funder_code ~ '^[a-z0-9_-]{1,32}$'),
  funder_name_zh    text CHECK (length(funder_name_zh) <= 200),
  cutoff_at         timestamptz NOT NULL,
  business_day      date NOT NULL,
  status            text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'approved', 'paid')),
  redemption_count  integer NOT NULL DEFAULT 0 CHECK (redemption_count >= 0),
  reversal_count    integer NOT NULL DEFAULT 0 CHECK (reversal_count >= 0),
  redeemed_fen      bigint NOT NULL DEFAULT 0 CHECK (redeemed_fen >= 0),
  reversed_fen      bigint NOT NULL DEFAULT 0 CHECK (reversed_fen >= 0),
  amount_fen        bigint NOT NULL DEFAULT 0,
  -- NULL: created by the settlement job (no person to exclude from approving)
  created_by        uuid REFERENCES users (id),
  created_at        timestamptz NOT NULL,
  approved_by       uuid REFERENCES users (id),
  approved_at       timestamptz,
  paid_by           uuid REFERENCES users (id),
  paid_at           timestamptz,
  payment_ref       text CHECK (length(payment_ref) BETWEEN 1 AND 64),
  -- re-running the job for a cut-off finds the batch and creates nothing
  UNIQUE (issuer_id, merchant_id, funder_code, cutoff_at),
  CHECK (amount_fen = redeemed_fen - reversed_fen),
  CHECK ((funder_code = '') = (funder_name_zh IS NULL)),
  CHECK ((approved_by IS NULL) = (approved_at IS NULL)),
  CHECK ((status = 'draft') = (approved_by IS NULL)),
  CHECK ((status = 'paid') = (paid_at IS NOT NULL)),
  CHECK ((paid_at IS NULL) = (paid_by IS NULL) AND (paid_at IS NULL) = (payment_ref IS NULL)),
  -- four eyes: whoever created a batch never approves it
  CHECK (approved_by IS NULL OR approved_by IS DISTINCT FROM created_by)
);
CREATE INDEX settlement_batches_issuer ON settlement_batches (issuer_id, created_at DESC, id DESC);
CREATE INDEX settlement_batches_merchant ON settlement_batches (merchant_id, created_at DESC, id DESC);
CREATE INDEX settlement_batches_list ON settlement_batches (created_at DESC, id DESC);

-- One line per redemption (or reversal) per funder share. amount_fen is this funder's share of
-- discount_fen (all of it when not co-funded); a reversal's figures are negative.
CREATE TABLE settlement_lines (
  id                bigserial PRIMARY KEY,
  batch_id          uuid NOT NULL REFERENCES settlement_batches (id),
  kind              text NOT NULL CHECK (kind IN ('redemption', 'reversal')),
  redemption_id     uuid NOT NULL REFERENCES redemptions (id),
  reversal_id       uuid REFERENCES redemption_reversals (id),
  pool_id           uuid NOT NULL REFERENCES pools (id),
  funder_code       text NOT NULL,
  -- when it reached the merchant's payable: the redemption's posted_at, the reversal's created_at
  at                timestamptz NOT NULL,
  order_amount_fen  bigint NOT NULL CHECK (order_amount_fen > 0),
  discount_fen      bigint NOT NULL,
  amount_fen        bigint NOT NULL,
  CHECK ((kind = 'reversal') = (reversal_id IS NOT NULL)),
  CHECK ((kind = 'redemption' AND discount_fen > 0 AND amount_fen >= 0)
      OR (kind = 'reversal' AND discount_fen < 0 AND amount_fen <= 0)),
  CHECK (abs(amount_fen) <= abs(discount_fen))
);
CREATE INDEX settlement_lines_batch ON settlement_lines (batch_id, id);
-- each redemption and each reversal is settled once per funder share
CREATE UNIQUE INDEX settlement_lines_redemption_once ON settlement_lines (redemption_id, funder_code) WHERE kind = 'redemption';
CREATE UNIQUE INDEX settlement_lines_reversal_once ON settlement_lines (reversal_id, funder_code) WHERE kind = 'reversal';
CREATE TRIGGER settlement_lines_append_only BEFORE UPDATE OR DELETE ON settlement_lines
  FOR EACH ROW EXECUTE FUNCTION refuse_change();

ALTER TABLE redemptions ADD CONSTRAINT redemptions_settlement_batch_fk
  FOREIGN KEY (settlement_batch_id) REFERENCES settlement_batches (id);
ALTER TABLE redemption_reversals ADD CONSTRAINT redemption_reversals_settlement_batch_fk
  FOREIGN KEY (settlement_batch_id) REFERENCES settlement_batches (id);

-- A claimed row stays in its batch: settlement_batch_id is set once, never changed or cleared.
CREATE FUNCTION settlement_batch_set_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '%.settlement_batch_id is set once: % already belongs to batch %', TG_TABLE_NAME, OLD.id, OLD.settlement_batch_id
    USING ERRCODE = 'check_violation';
END $$;
CREATE TRIGGER redemptions_settlement_batch_once BEFORE UPDATE OF settlement_batch_id ON redemptions
  FOR EACH ROW WHEN (OLD.settlement_batch_id IS NOT NULL AND NEW.settlement_batch_id IS DISTINCT FROM OLD.settlement_batch_id)
  EXECUTE FUNCTION settlement_batch_set_once();
CREATE TRIGGER redemption_reversals_settlement_batch_once BEFORE UPDATE OF settlement_batch_id ON redemption_reversals
  FOR EACH ROW WHEN (OLD.settlement_batch_id IS NOT NULL AND NEW.settlement_batch_id IS DISTINCT FROM OLD.settlement_batch_id)
  EXECUTE FUNCTION settlement_batch_set_once();

-- Daily figures per pool × merchant × Asia/Shanghai day. Voucher figures (issued, expired) are
-- not a merchant's: they use merchant_id = the nil uuid. Redemption figures count by posted_at,
-- reversal figures by the reversal's created_at.
CREATE TABLE report_daily (
  day                    date NOT NULL,
  pool_id                uuid NOT NULL REFERENCES pools (id),
  merchant_id            uuid NOT NULL,
  vouchers_issued        integer NOT NULL DEFAULT 0 CHECK (vouchers_issued >= 0),
  issued_fen             bigint NOT NULL DEFAULT 0 CHECK (issued_fen >= 0),
  vouchers_expired       integer NOT NULL DEFAULT 0 CHECK (vouchers_expired >= 0),
  redemptions            integer NOT NULL DEFAULT 0 CHECK (redemptions >= 0),
  discount_fen           bigint NOT NULL DEFAULT 0 CHECK (discount_fen >= 0),
  order_fen              bigint NOT NULL DEFAULT 0 CHECK (order_fen >= 0),
  reversals              integer NOT NULL DEFAULT 0 CHECK (reversals >= 0),
  reversed_discount_fen  bigint NOT NULL DEFAULT 0 CHECK (reversed_discount_fen >= 0),
  reversed_order_fen     bigint NOT NULL DEFAULT 0 CHECK (reversed_order_fen >= 0),
  -- fraud-signal counts: posted redemptions between 00:00 and 06:00 Asia/Shanghai; on 满减
  -- pools, orders at or above the threshold, and those below threshold × 1.05
  night_redemptions      integer NOT NULL DEFAULT 0 CHECK (night_redemptions >= 0),
  threshold_orders       integer NOT NULL DEFAULT 0 CHECK (threshold_orders >= 0),
  near_threshold_orders  integer NOT NULL DEFAULT 0 CHECK (near_threshold_orders >= 0),
  PRIMARY KEY (day, pool_id, merchant_id)
);
CREATE INDEX report_daily_pool ON report_daily (pool_id, day);
CREATE INDEX report_daily_merchant ON report_daily (merchant_id, day);

-- The same figures summed over merchants, per pool × day: what reports without a district or
-- category filter read (a year of an issuer's pools is a few thousand rows, not millions).
CREATE TABLE report_pool_daily (
  day                    date NOT NULL,
  pool_id                uuid NOT NULL REFERENCES pools (id),
  vouchers_issued        integer NOT NULL DEFAULT 0 CHECK (vouchers_issued >= 0),
  issued_fen             bigint NOT NULL DEFAULT 0 CHECK (issued_fen >= 0),
  vouchers_expired       integer NOT NULL DEFAULT 0 CHECK (vouchers_expired >= 0),
  redemptions            integer NOT NULL DEFAULT 0 CHECK (redemptions >= 0),
  discount_fen           bigint NOT NULL DEFAULT 0 CHECK (discount_fen >= 0),
  order_fen              bigint NOT NULL DEFAULT 0 CHECK (order_fen >= 0),
  reversals              integer NOT NULL DEFAULT 0 CHECK (reversals >= 0),
  reversed_discount_fen  bigint NOT NULL DEFAULT 0 CHECK (reversed_discount_fen >= 0),
  reversed_order_fen     bigint NOT NULL DEFAULT 0 CHECK (reversed_order_fen >= 0),
  night_redemptions      integer NOT NULL DEFAULT 0 CHECK (night_redemptions >= 0),
  threshold_orders       integer NOT NULL DEFAULT 0 CHECK (threshold_orders >= 0),
  near_threshold_orders  integer NOT NULL DEFAULT 0 CHECK (near_threshold_orders >= 0),
  PRIMARY KEY (pool_id, day)
);

-- The last day report_daily and report_pool_daily hold in full (one row).
CREATE TABLE report_rollup_state (
  id           smallint PRIMARY KEY CHECK (id = 1),
  through_day  date,
  updated_at   timestamptz NOT NULL
);
INSERT INTO report_rollup_state (id, through_day, updated_at) VALUES (1, NULL, now());

-- Time indexes the rollup builder (one day at a time) and the live tail (today) read by.
CREATE INDEX vouchers_issued_at ON vouchers (issued_at);
CREATE INDEX vouchers_expired_at ON vouchers (updated_at) WHERE status = 'expired';
CREATE INDEX redemptions_posted_at ON redemptions (posted_at) WHERE posted_at IS NOT NULL;
CREATE INDEX redemption_reversals_created_at ON redemption_reversals (created_at);
