-- Performance at city scale (docs/BENCHMARKS.md).
--
-- Lottery draw keys. Each entry stores its draw key, HMAC-SHA256(seed, entry id), computed
-- by the server when the entry is made. The seed is already in pools.lottery_seed, so the
-- column reveals nothing the database did not hold; the published seed and entry ids still
-- let anyone recompute every key (docs/LOTTERY.md). A draw then reads the smallest keys off
-- an index instead of hashing every entry (21M entries: two sha256 passes each) at draw
-- time. Entries without a key (made before this migration) get it computed in SQL by the draw.
ALTER TABLE lottery_entries ADD COLUMN draw_key bytea CHECK (draw_key IS NULL OR octet_length(draw_key) = 32);
CREATE INDEX lottery_entries_draw ON lottery_entries (pool_id, round, draw_key, id);

-- Losers are no longer marked one by one (21M row updates): once a round's winners are
-- selected, an entry without a result has lost. The index of undecided entries served that
-- marking only.
DROP INDEX lottery_entries_undecided;

-- The guard also freezes a draw key once set, and lets an undecided entry become 'won' only
-- before its round's winners are selected (so nobody can add a winner after the draw).
CREATE OR REPLACE FUNCTION lottery_entries_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF EXISTS (SELECT 1 FROM lottery_draws d WHERE d.pool_id = NEW.pool_id AND d.round = NEW.round) THEN
      RAISE EXCEPTION 'lottery round % of pool % is sealed', NEW.round, NEW.pool_id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
  END IF;
  IF NEW.id <> OLD.id OR NEW.pool_id <> OLD.pool_id OR NEW.round <> OLD.round OR NEW.holder_id <> OLD.holder_id
     OR NEW.holder_hash <> OLD.holder_hash OR NEW.entered_at <> OLD.entered_at
     OR (OLD.draw_key IS NOT NULL AND NEW.draw_key IS DISTINCT FROM OLD.draw_key)
     OR (OLD.result IS NOT NULL AND NEW.result IS DISTINCT FROM OLD.result)
     OR (OLD.voucher_id IS NOT NULL AND NEW.voucher_id IS DISTINCT FROM OLD.voucher_id)
     OR (OLD.forfeit_code IS NOT NULL AND NEW.forfeit_code IS DISTINCT FROM OLD.forfeit_code) THEN
    RAISE EXCEPTION 'lottery entry % is final', OLD.id USING ERRCODE = 'check_violation';
  END IF;
  IF OLD.result IS NULL AND NEW.result IS NOT NULL AND EXISTS (
       SELECT 1 FROM lottery_draws d WHERE d.pool_id = NEW.pool_id AND d.round = NEW.round AND d.selected_at IS NOT NULL) THEN
    RAISE EXCEPTION 'lottery entry % is final: its round''s winners are selected', OLD.id USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
