-- Rounds for first-come claims (抢券; docs/ISSUANCE.md, "Rounds").
--
-- A round's budget share is a counter row guarded by the database, never count-then-insert:
-- the row is written on the round's first claim, with the share the round may issue at that
-- moment (pools/rounds.ts roundShareFen), and every claim or claim batch takes from it with a
-- conditional UPDATE in the same transaction as the pool's available. A rolled-back claim
-- takes nothing; budget released later (expiry, revocation) returns to the pool, not to the
-- round, and a later round's share is computed from it under `reissueUnused`.
CREATE TABLE pool_round_counters (
  pool_id     uuid NOT NULL REFERENCES pools (id),
  round       integer NOT NULL CHECK (round BETWEEN 0 AND 51),
  cap_fen     bigint NOT NULL CHECK (cap_fen >= 0),
  issued_fen  bigint NOT NULL,
  opened_at   timestamptz NOT NULL,
  PRIMARY KEY (pool_id, round),
  CHECK (issued_fen >= 0 AND issued_fen <= cap_fen)
);

-- perHolderMax of a first-come pool with rounds holds per round (one claim per person per
-- round, as the lottery's one entry per round); every other pool keeps counting in round 0,
-- as before. Adding a column with a constant default rewrites nothing.
ALTER TABLE holder_pool_counters ADD COLUMN round integer NOT NULL DEFAULT 0 CHECK (round BETWEEN 0 AND 51);
ALTER TABLE holder_pool_counters DROP CONSTRAINT holder_pool_counters_pkey;
ALTER TABLE holder_pool_counters ADD PRIMARY KEY (pool_id, holder_id, round);
