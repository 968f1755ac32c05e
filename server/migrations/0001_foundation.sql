-- Foundation: organisations, users, roles, sessions, login throttling and the audit chain.
-- Every invariant the code relies on is a constraint here.

CREATE TABLE organisations (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  type           text NOT NULL CHECK (type IN ('platform', 'issuer', 'enterprise', 'merchant')),
  name_zh        text NOT NULL CHECK (length(name_zh) BETWEEN 1 AND 200),
  name_en        text CHECK (length(name_en) <= 200),
  uscc           text UNIQUE CHECK (uscc ~ '^[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$'),
  district       text CHECK (length(district) <= 32),
  status         text NOT NULL DEFAULT 'active'
                 CHECK (status IN ('pending', 'active', 'suspended', 'rejected')),
  founded_on     date,
  headcount      integer CHECK (headcount >= 0),
  tags           text[] NOT NULL DEFAULT '{}',
  industry_codes text[] NOT NULL DEFAULT '{}',
  categories     text[] NOT NULL DEFAULT '{}',
  created_at     timestamptz NOT NULL DEFAULT now(),
  CHECK (type NOT IN ('enterprise', 'merchant') OR uscc IS NOT NULL)
);

CREATE TABLE users (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  login               text NOT NULL UNIQUE CHECK (length(login) BETWEEN 3 AND 64),
  password_hash       text NOT NULL CHECK (length(password_hash) BETWEEN 50 AND 100),
  display_name        text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
  phone               text UNIQUE CHECK (phone ~ '^1[3-9][0-9]{9}$'),
  -- resident ID: only the masked form and a keyed hash, never the number in clear
  resident_id_masked  text CHECK (length(resident_id_masked) = 18),
  resident_id_hash    text UNIQUE CHECK (length(resident_id_hash) = 64),
  residence_district  text CHECK (length(residence_district) <= 32),
  status              text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at          timestamptz NOT NULL DEFAULT now(),
  CHECK ((resident_id_masked IS NULL) = (resident_id_hash IS NULL))
);

CREATE TABLE memberships (
  id         bigserial PRIMARY KEY,
  user_id    uuid NOT NULL REFERENCES users (id),
  org_id     uuid REFERENCES organisations (id),
  role       text NOT NULL CHECK (role IN ('platform_admin', 'issuer_manager', 'issuer_approver',
             'issuer_auditor', 'enterprise', 'consumer', 'merchant_cashier', 'merchant_admin')),
  created_at timestamptz NOT NULL DEFAULT now(),
  -- a consumer is a person, every other role belongs to an organisation
  CHECK ((role = 'consumer') = (org_id IS NULL))
);
CREATE UNIQUE INDEX memberships_user_org_role ON memberships (user_id, coalesce(org_id, '00000000-0000-0000-0000-000000000000'::uuid), role);
CREATE INDEX memberships_org ON memberships (org_id);

-- A role must fit its organisation's type.
CREATE FUNCTION memberships_check_org_type() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  org_type text;
BEGIN
  IF NEW.org_id IS NULL THEN
    RETURN NEW;
  END IF;
  SELECT type INTO org_type FROM organisations WHERE id = NEW.org_id;
  IF NOT (
    (NEW.role = 'platform_admin' AND org_type = 'platform') OR
    (NEW.role IN ('issuer_manager', 'issuer_approver', 'issuer_auditor') AND org_type = 'issuer') OR
    (NEW.role = 'enterprise' AND org_type = 'enterprise') OR
    (NEW.role IN ('merchant_cashier', 'merchant_admin') AND org_type = 'merchant')
  ) THEN
    RAISE EXCEPTION 'role % does not fit an organisation of type %', NEW.role, org_type
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER memberships_org_type BEFORE INSERT OR UPDATE ON memberships
  FOR EACH ROW EXECUTE FUNCTION memberships_check_org_type();

-- Refresh tokens are random, stored as sha256, rotated on every use. Presenting a rotated
-- token again revokes its whole family (theft detection).
CREATE TABLE refresh_tokens (
  id          bigserial PRIMARY KEY,
  family_id   uuid NOT NULL,
  user_id     uuid NOT NULL REFERENCES users (id),
  token_hash  text NOT NULL UNIQUE CHECK (length(token_hash) = 64),
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  rotated_at  timestamptz,
  revoked_at  timestamptz,
  CHECK (expires_at > created_at)
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- Failed logins per account; the counter lives in the database so it holds across instances.
CREATE TABLE login_throttle (
  login_key     text PRIMARY KEY CHECK (length(login_key) <= 64),
  failures      integer NOT NULL CHECK (failures >= 0),
  window_start  timestamptz NOT NULL,
  locked_until  timestamptz
);

-- The audit log is append-only and hash-chained: hash = sha256(prev_hash || canonical entry).
CREATE TABLE audit_log (
  id             bigserial PRIMARY KEY,
  at             timestamptz NOT NULL,
  actor_user_id  uuid,
  actor_org_id   uuid,
  org_id         uuid,
  action         text NOT NULL CHECK (length(action) BETWEEN 1 AND 64),
  target_type    text NOT NULL CHECK (length(target_type) BETWEEN 1 AND 64),
  target_id      text CHECK (length(target_id) <= 128),
  summary        jsonb NOT NULL DEFAULT '{}',
  prev_hash      text NOT NULL CHECK (length(prev_hash) = 64),
  hash           text NOT NULL UNIQUE CHECK (length(hash) = 64)
);
CREATE INDEX audit_log_org ON audit_log (org_id, id);

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
