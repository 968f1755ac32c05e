-- Applications (申请 + 审核) with their attachments, auto-grant batches (免申即享) with one row
-- per input line, and ticket stubs (票根经济): imported stub hashes, per-pool partner keys
-- and the used-stub table whose primary key makes every stub single-use.

CREATE TABLE applications (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pool_id              uuid NOT NULL REFERENCES pools (id),
  issuer_id            uuid NOT NULL REFERENCES organisations (id),
  applicant_id         uuid NOT NULL REFERENCES organisations (id),
  submitted_by         uuid NOT NULL REFERENCES users (id),
  provider_id          uuid NOT NULL REFERENCES organisations (id),
  contract_ref         text NOT NULL CHECK (length(contract_ref) BETWEEN 1 AND 64),
  -- contract_ref in half-width, upper case, without spaces: "HT 001" and "ht001" are one contract
  contract_key         text NOT NULL CHECK (length(contract_key) BETWEEN 1 AND 64),
  contract_amount_fen  bigint NOT NULL CHECK (contract_amount_fen > 0),
  note                 text CHECK (length(note) <= 2000),
  status               text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
  granted_fen          bigint CHECK (granted_fen > 0),
  voucher_id           uuid REFERENCES vouchers (id),
  decided_by           uuid REFERENCES users (id),
  decided_at           timestamptz,
  reject_reason        text CHECK (length(reject_reason) BETWEEN 1 AND 1000),
  created_at           timestamptz NOT NULL,
  updated_at           timestamptz NOT NULL,
  CHECK (provider_id <> applicant_id),
  CHECK ((status = 'approved') = (voucher_id IS NOT NULL AND granted_fen IS NOT NULL)),
  CHECK ((status = 'rejected') = (reject_reason IS NOT NULL)),
  CHECK ((status = 'pending') = (decided_by IS NULL AND decided_at IS NULL))
);
-- one live application per contract; a rejected one may be submitted again, corrected
CREATE UNIQUE INDEX applications_contract ON applications (applicant_id, provider_id, contract_key)
  WHERE status <> 'rejected';
CREATE INDEX applications_issuer ON applications (issuer_id, created_at DESC, id DESC);
CREATE INDEX applications_applicant ON applications (applicant_id, created_at DESC, id DESC);

CREATE TABLE application_attachments (
  application_id  uuid NOT NULL REFERENCES applications (id),
  n               smallint NOT NULL CHECK (n BETWEEN 1 AND 5),
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
  size_bytes      integer NOT NULL CHECK (size_bytes BETWEEN 1 AND 10485760),
  sha256          text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  media_type      text NOT NULL CHECK (media_type IN ('application/pdf', 'image/jpeg', 'image/png')),
  PRIMARY KEY (application_id, n)
);

CREATE TABLE grant_batches (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pool_id      uuid NOT NULL REFERENCES pools (id),
  issuer_id    uuid NOT NULL REFERENCES organisations (id),
  mode         text NOT NULL CHECK (mode IN ('csv', 'all_matching')),
  file_name    text CHECK (length(file_name) <= 255),
  file_sha256  text CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
  status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done')),
  total        integer NOT NULL CHECK (total BETWEEN 0 AND 100000),
  processed    integer NOT NULL DEFAULT 0,
  granted      integer NOT NULL DEFAULT 0 CHECK (granted >= 0),
  skipped      integer NOT NULL DEFAULT 0 CHECK (skipped >= 0),
  created_by   uuid NOT NULL REFERENCES users (id),
  created_at   timestamptz NOT NULL,
  finished_at  timestamptz,
  CHECK (processed = granted + skipped),
  CHECK (processed <= total),
  CHECK ((status = 'done') = (processed = total AND finished_at IS NOT NULL))
);
CREATE INDEX grant_batches_pool ON grant_batches (pool_id, created_at DESC);
CREATE INDEX grant_batches_open ON grant_batches (created_at) WHERE status <> 'done';

CREATE TABLE grant_rows (
  grant_id        uuid NOT NULL REFERENCES grant_batches (id),
  -- the line of the CSV file (the header is line 1), or the position in an all_matching batch
  row_no          integer NOT NULL CHECK (row_no >= 1),
  identifier_raw  text NOT NULL CHECK (length(identifier_raw) <= 100),
  identifier      text CHECK (length(identifier) <= 40),
  amount_fen      bigint CHECK (amount_fen > 0),
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'granted', 'skipped')),
  holder_id       uuid,
  voucher_id      uuid REFERENCES vouchers (id),
  reason          text CHECK (length(reason) <= 40),
  detail          text CHECK (length(detail) <= 500),
  attempts        smallint NOT NULL DEFAULT 0 CHECK (attempts BETWEEN 0 AND 10),
  processed_at    timestamptz,
  PRIMARY KEY (grant_id, row_no),
  CHECK ((status = 'granted') = (voucher_id IS NOT NULL)),
  CHECK ((status = 'skipped') = (reason IS NOT NULL)),
  CHECK ((status = 'pending') = (processed_at IS NULL))
);
CREATE INDEX grant_rows_pending ON grant_rows (grant_id, row_no) WHERE status = 'pending';

-- Imported stub codes: only their sha256 is kept.
CREATE TABLE ticket_stubs (
  pool_id      uuid NOT NULL REFERENCES pools (id),
  code_sha256  text NOT NULL CHECK (code_sha256 ~ '^[0-9a-f]{64}$'),
  imported_by  uuid NOT NULL REFERENCES users (id),
  imported_at  timestamptz NOT NULL,
  PRIMARY KEY (pool_id, code_sha256)
);

-- The HMAC key a partner signs stub codes with, one per pool (replaced on rotation).
CREATE TABLE ticket_stub_partner_keys (
  pool_id  uuid PRIMARY KEY REFERENCES pools (id),
  secret   text NOT NULL CHECK (length(secret) BETWEEN 32 AND 128),
  set_by   uuid NOT NULL REFERENCES users (id),
  set_at   timestamptz NOT NULL
);

-- A stub (imported or partner-signed) is used once: the primary key refuses a second use.
CREATE TABLE ticket_stub_uses (
  pool_id      uuid NOT NULL REFERENCES pools (id),
  code_sha256  text NOT NULL CHECK (code_sha256 ~ '^[0-9a-f]{64}$'),
  origin       text NOT NULL CHECK (origin IN ('imported', 'signed')),
  holder_id    uuid NOT NULL,
  used_at      timestamptz NOT NULL,
  PRIMARY KEY (pool_id, code_sha256)
);
