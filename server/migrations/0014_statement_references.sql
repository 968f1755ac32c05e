-- References of the issuance path checked once per statement instead of once per row
-- (docs/BENCHMARKS.md, ADR 0008).
--
-- A foreign key is checked by a row trigger: each voucher inserted ran three (its pool, its
-- issuer, its provider) and each journal entry one (its transaction), every one a query of
-- its own with a row lock on the referenced row. EXPLAIN ANALYZE of a 5,000-voucher batch:
-- the three voucher triggers took 90 of its 240 ms. The same facts are now checked by one
-- statement trigger per INSERT, over the statement's new rows:
-- - a voucher's pool exists and its issuer is that pool's issuer (stronger than before: two
--   separate keys allowed a voucher whose issuer was not its pool's); its provider, if any,
--   is an organisation;
-- - a journal entry's transaction exists and is of the entry's pool (also stronger: the pool
--   of an entry was not tied to its transaction's before); the check lives in the
--   statement trigger that already checks each transaction balances.
-- What the foreign keys also guaranteed, that a referenced row is not deleted or re-keyed
-- later, holds by refusing exactly that:
-- - pools and organisations are never deleted or truncated, and their ids (and a pool's
--   issuer) never change; nothing in the platform deletes either (a pool ends as closed or
--   cancelled, an organisation as suspended);
-- - journal_transactions was append-only already; it now refuses TRUNCATE as well;
-- - a voucher's pool and issuer never change (no code path changes them); a provider set
--   later must exist (checked then, per row, only by an UPDATE that sets it).

CREATE FUNCTION refuse_removal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% rows are never removed or re-keyed: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER pools_never_removed BEFORE DELETE ON pools
  FOR EACH ROW EXECUTE FUNCTION refuse_removal();
CREATE TRIGGER pools_never_rekeyed BEFORE UPDATE OF id, issuer_id ON pools
  FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.issuer_id IS DISTINCT FROM NEW.issuer_id)
  EXECUTE FUNCTION refuse_removal();
CREATE TRIGGER pools_no_truncate BEFORE TRUNCATE ON pools
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_removal();
CREATE TRIGGER organisations_never_removed BEFORE DELETE ON organisations
  FOR EACH ROW EXECUTE FUNCTION refuse_removal();
CREATE TRIGGER organisations_never_rekeyed BEFORE UPDATE OF id ON organisations
  FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION refuse_removal();
CREATE TRIGGER organisations_no_truncate BEFORE TRUNCATE ON organisations
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_removal();
CREATE TRIGGER journal_transactions_no_truncate BEFORE TRUNCATE ON journal_transactions
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- ---- vouchers ----

ALTER TABLE vouchers DROP CONSTRAINT vouchers_pool_id_fkey;
ALTER TABLE vouchers DROP CONSTRAINT vouchers_issuer_id_fkey;
ALTER TABLE vouchers DROP CONSTRAINT vouchers_provider_id_fkey;

CREATE FUNCTION vouchers_check_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad text;
BEGIN
  SELECT g.pool_id::text INTO bad FROM (SELECT DISTINCT pool_id, issuer_id FROM new_vouchers) g
  WHERE NOT EXISTS (SELECT 1 FROM pools p WHERE p.id = g.pool_id AND p.issuer_id = g.issuer_id) LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'voucher of pool %: no such pool with that issuer', bad USING ERRCODE = 'foreign_key_violation';
  END IF;
  SELECT g.provider_id::text INTO bad FROM (SELECT DISTINCT provider_id FROM new_vouchers WHERE provider_id IS NOT NULL) g
  WHERE NOT EXISTS (SELECT 1 FROM organisations o WHERE o.id = g.provider_id) LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'voucher provider %: no such organisation', bad USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER vouchers_references AFTER INSERT ON vouchers
  REFERENCING NEW TABLE AS new_vouchers FOR EACH STATEMENT EXECUTE FUNCTION vouchers_check_references();
-- fire only for an UPDATE that names one of these columns, so a redemption's update of the
-- balance pays nothing for them
CREATE TRIGGER vouchers_references_frozen BEFORE UPDATE OF pool_id, issuer_id ON vouchers
  FOR EACH ROW WHEN (OLD.pool_id IS DISTINCT FROM NEW.pool_id OR OLD.issuer_id IS DISTINCT FROM NEW.issuer_id)
  EXECUTE FUNCTION refuse_removal();
CREATE FUNCTION vouchers_check_provider() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM organisations o WHERE o.id = NEW.provider_id) THEN
    RAISE EXCEPTION 'voucher provider %: no such organisation', NEW.provider_id USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER vouchers_provider_exists BEFORE UPDATE OF provider_id ON vouchers
  FOR EACH ROW WHEN (NEW.provider_id IS NOT NULL AND OLD.provider_id IS DISTINCT FROM NEW.provider_id)
  EXECUTE FUNCTION vouchers_check_provider();

-- ---- journal entries ----

ALTER TABLE journal_entries DROP CONSTRAINT journal_entries_txn_id_fkey;

-- the statement trigger on journal_entries and on each of its partitions calls this function
CREATE OR REPLACE FUNCTION journal_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad bigint;
BEGIN
  SELECT txn_id INTO bad FROM new_entries GROUP BY txn_id HAVING sum(amount_fen) <> 0 LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'journal transaction % does not balance', bad USING ERRCODE = 'check_violation';
  END IF;
  SELECT g.txn_id INTO bad FROM (SELECT DISTINCT txn_id, pool_id FROM new_entries) g
  WHERE NOT EXISTS (SELECT 1 FROM journal_transactions t WHERE t.id = g.txn_id AND t.pool_id = g.pool_id) LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'journal entry of transaction %: no such transaction of that pool', bad USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;

-- the rows already stored satisfy the new, stronger rules
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM vouchers v WHERE NOT EXISTS (SELECT 1 FROM pools p WHERE p.id = v.pool_id AND p.issuer_id = v.issuer_id))
     OR EXISTS (SELECT 1 FROM (SELECT DISTINCT txn_id, pool_id FROM journal_entries) g
                WHERE NOT EXISTS (SELECT 1 FROM journal_transactions t WHERE t.id = g.txn_id AND t.pool_id = g.pool_id)) THEN
    RAISE EXCEPTION 'assertion: a stored voucher or journal entry breaks the rules this migration states';
  END IF;
END $$;
