-- Lottery (摇号): one entry per holder per pool round, and one draw row per round.
-- The draw is verifiable: winners are the entries with the smallest
-- HMAC-SHA256(seed, entry id), the seed committed as pools.lottery_seed_hash at approval.
-- Once a round is sealed (its draw row exists) its entrant list never changes again.

-- A pool without rounds has round 0 (its claim window); with rounds, round i is rounds[i].
CREATE TABLE lottery_entries (
  id            uuid PRIMARY KEY,
  pool_id       uuid NOT NULL REFERENCES pools (id),
  round         integer NOT NULL CHECK (round BETWEEN 0 AND 51),
  holder_kind   text NOT NULL CHECK (holder_kind IN ('enterprise', 'consumer')),
  holder_id     uuid NOT NULL,
  -- sha256(holder id ‖ pool id), hex: the published list never shows raw holder ids
  holder_hash   text NOT NULL CHECK (holder_hash ~ '^[0-9a-f]{64}$'),
  entered_at    timestamptz NOT NULL,
  -- NULL until drawn; a win either got its voucher or was forfeited with a problem code
  result        text CHECK (result IN ('won', 'lost')),
  voucher_id    uuid REFERENCES vouchers (id),
  forfeit_code  text CHECK (length(forfeit_code) BETWEEN 1 AND 64),
  decided_at    timestamptz,
  UNIQUE (pool_id, round, holder_id),
  CHECK ((result IS NULL) = (decided_at IS NULL)),
  CHECK (result = 'won' OR (voucher_id IS NULL AND forfeit_code IS NULL)),
  CHECK (voucher_id IS NULL OR forfeit_code IS NULL)
);
-- the published list pages by entry id
CREATE INDEX lottery_entries_list ON lottery_entries (pool_id, round, id);
-- the draw's working sets: wins still to issue, entries still undecided
CREATE INDEX lottery_entries_to_issue ON lottery_entries (pool_id, round, id)
  WHERE result = 'won' AND voucher_id IS NULL AND forfeit_code IS NULL;
CREATE INDEX lottery_entries_undecided ON lottery_entries (pool_id, round, id) WHERE result IS NULL;

-- The draw of one round, written in steps so that a crashed draw resumes where it stopped:
-- sealed (entrant list frozen, winnersMax fixed) → selected (winners marked) → drawn.
CREATE TABLE lottery_draws (
  pool_id        uuid NOT NULL REFERENCES pools (id),
  round          integer NOT NULL CHECK (round BETWEEN 0 AND 51),
  entries_count  integer NOT NULL CHECK (entries_count >= 0),
  -- the pool's available budget when sealed, and the part of it this round may issue
  available_fen  bigint NOT NULL CHECK (available_fen >= 0),
  share_fen      bigint NOT NULL CHECK (share_fen >= 0),
  amount_fen     bigint NOT NULL CHECK (amount_fen > 0),
  winners_max    integer NOT NULL CHECK (winners_max >= 0),
  winners_count  integer CHECK (winners_count >= 0),
  sealed_at      timestamptz NOT NULL,
  selected_at    timestamptz,
  drawn_at       timestamptz,
  PRIMARY KEY (pool_id, round),
  CHECK (share_fen <= available_fen),
  CHECK (winners_max = share_fen / amount_fen),
  CHECK ((winners_count IS NULL) = (selected_at IS NULL)),
  CHECK (winners_count <= winners_max AND winners_count <= entries_count),
  CHECK (drawn_at IS NULL OR selected_at IS NOT NULL)
);

-- The entrant list of a sealed round is frozen, entries are never deleted, and a decided
-- result is final.
CREATE FUNCTION lottery_entries_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF EXISTS (SELECT 1 FROM lottery_draws d WHERE d.pool_id = NEW.pool_id AND d.round = NEW.round) THEN
      RAISE EXCEPTION 'lottery round % of pool % is sealed', NEW.round, NEW.pool_id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
  END IF;
  IF NEW.id <> OLD.id OR NEW.pool_id <> OLD.pool_id OR NEW.round <> OLD.round OR NEW.holder_id <> OLD.holder_id
     OR NEW.holder_hash <> OLD.holder_hash OR NEW.entered_at <> OLD.entered_at
     OR (OLD.result IS NOT NULL AND NEW.result IS DISTINCT FROM OLD.result)
     OR (OLD.voucher_id IS NOT NULL AND NEW.voucher_id IS DISTINCT FROM OLD.voucher_id)
     OR (OLD.forfeit_code IS NOT NULL AND NEW.forfeit_code IS DISTINCT FROM OLD.forfeit_code) THEN
    RAISE EXCEPTION 'lottery entry % is final', OLD.id USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER lottery_entries_guard BEFORE INSERT OR UPDATE ON lottery_entries
  FOR EACH ROW EXECUTE FUNCTION lottery_entries_guard();
CREATE TRIGGER lottery_entries_no_delete BEFORE DELETE ON lottery_entries
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER lottery_entries_no_truncate BEFORE TRUNCATE ON lottery_entries
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
