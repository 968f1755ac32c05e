-- Job runs: one row per run of a scheduled or hand-triggered job.
CREATE TABLE job_runs (
  id           bigserial PRIMARY KEY,
  job          text NOT NULL CHECK (length(job) BETWEEN 1 AND 64),
  -- the schedule slot this run serves (e.g. 2026-11-27T00:30); one run per slot across instances
  slot         text CHECK (length(slot) <= 64),
  trigger      text NOT NULL CHECK (trigger IN ('schedule', 'manual')),
  instance     text NOT NULL CHECK (length(instance) <= 128),
  started_at   timestamptz NOT NULL,
  finished_at  timestamptz,
  status       text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'skipped')),
  rows         integer NOT NULL DEFAULT 0 CHECK (rows >= 0),
  detail       jsonb NOT NULL DEFAULT '{}',
  error        text CHECK (length(error) <= 4000)
);
CREATE INDEX job_runs_job ON job_runs (job, id DESC);
CREATE UNIQUE INDEX job_runs_slot ON job_runs (job, slot) WHERE slot IS NOT NULL AND trigger = 'schedule';
