-- Redemptions (核销) and their reversals. The money moves in the journal (capabilities/ledger);
-- these rows record who redeemed what, and carry the state the API and settlement need.
--
-- Settlement (a later migration) puts every posted redemption and every reversal in exactly one
-- batch: `settlement_batch_id` is NULL until then and set once. Its foreign key is added with
-- the batch table.

CREATE TABLE redemptions (
  id                 uuid PRIMARY KEY,
  pool_id            uuid NOT NULL REFERENCES pools (id),
  issuer_id          uuid NOT NULL REFERENCES organisations (id),
  voucher_id         uuid NOT NULL REFERENCES vouchers (id),
  merchant_id        uuid NOT NULL REFERENCES organisations (id),
  holder_kind        text NOT NULL CHECK (holder_kind IN ('enterprise', 'consumer')),
  holder_id          uuid NOT NULL,
  cashier_id         uuid NOT NULL REFERENCES users (id),
  -- direct: posted at once; confirm (B2B): held until the holder confirms, rejects, or 72 h pass
  mode               text NOT NULL CHECK (mode IN ('direct', 'confirm')),
  status             text NOT NULL CHECK (status IN ('pending', 'posted', 'rejected', 'voided', 'reversed')),
  order_amount_fen   bigint NOT NULL CHECK (order_amount_fen > 0),
  discount_fen       bigint NOT NULL CHECK (discount_fen > 0),
  balance_after_fen  bigint NOT NULL CHECK (balance_after_fen >= 0),
  order_ref          text NOT NULL CHECK (length(order_ref) BETWEEN 1 AND 64),
  -- the 30-second step of the dynamic QR token used; one redemption per token (no replay)
  token_step         bigint CHECK (token_step >= 0),
  contract_ref       text CHECK (length(contract_ref) BETWEEN 1 AND 128),
  invoice_no         text CHECK (length(invoice_no) BETWEEN 1 AND 64),
  delivery_proof     jsonb CHECK (octet_length(delivery_proof::text) <= 16384),
  created_at         timestamptz NOT NULL,
  -- when the discount reached `spent` (direct: created_at; confirm: the confirmation)
  posted_at          timestamptz,
  decided_at         timestamptz,
  decided_by         uuid REFERENCES users (id),
  decision_reason    text CHECK (length(decision_reason) <= 1000),
  settlement_batch_id uuid,
  CHECK (discount_fen <= order_amount_fen),
  CHECK (mode = 'confirm' OR status IN ('posted', 'reversed')),
  CHECK (mode = 'direct' OR (contract_ref IS NOT NULL AND invoice_no IS NOT NULL)),
  CHECK ((status IN ('posted', 'reversed')) = (posted_at IS NOT NULL)),
  CHECK (status = 'pending' OR mode = 'direct' OR decided_at IS NOT NULL),
  CHECK (settlement_batch_id IS NULL OR status IN ('posted', 'reversed'))
);
CREATE INDEX redemptions_merchant ON redemptions (merchant_id, created_at DESC, id DESC);
CREATE INDEX redemptions_holder ON redemptions (holder_id, created_at DESC, id DESC);
CREATE INDEX redemptions_issuer ON redemptions (issuer_id, created_at DESC, id DESC);
CREATE INDEX redemptions_voucher ON redemptions (voucher_id);
CREATE INDEX redemptions_pending ON redemptions (created_at) WHERE status = 'pending';
CREATE INDEX redemptions_unsettled ON redemptions (merchant_id, posted_at)
  WHERE settlement_batch_id IS NULL AND status IN ('posted', 'reversed');
CREATE UNIQUE INDEX redemptions_token_once ON redemptions (voucher_id, token_step) WHERE token_step IS NOT NULL;

-- At most one reversal per redemption (the unique key makes reversal idempotent); always whole.
CREATE TABLE redemption_reversals (
  id                  uuid PRIMARY KEY,
  redemption_id       uuid NOT NULL UNIQUE REFERENCES redemptions (id),
  pool_id             uuid NOT NULL REFERENCES pools (id),
  issuer_id           uuid NOT NULL REFERENCES organisations (id),
  voucher_id          uuid NOT NULL REFERENCES vouchers (id),
  merchant_id         uuid NOT NULL REFERENCES organisations (id),
  amount_fen          bigint NOT NULL CHECK (amount_fen > 0),
  -- voucher: back on the still-valid voucher; available: back to the pool
  destination         text NOT NULL CHECK (destination IN ('voucher', 'available')),
  reason              text CHECK (length(reason) <= 1000),
  reversed_by         uuid NOT NULL REFERENCES users (id),
  created_at          timestamptz NOT NULL,
  settlement_batch_id uuid
);
CREATE INDEX redemption_reversals_unsettled ON redemption_reversals (merchant_id, created_at)
  WHERE settlement_batch_id IS NULL;
