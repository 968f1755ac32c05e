-- Eligibility lists (上传名单): what the last upload of each pool's list was. The row is
-- upserted first in the transaction that replaces the list, so two uploads for one pool queue
-- on it instead of interleaving their DELETE and INSERT; its row_count answers "how many"
-- without counting a million rows.
CREATE TABLE pool_eligible_list_uploads (
  pool_id        uuid PRIMARY KEY REFERENCES pools (id),
  row_count      integer NOT NULL CHECK (row_count BETWEEN 0 AND 1000000),
  rejected_count integer NOT NULL CHECK (rejected_count BETWEEN 0 AND 1000000),
  file_name      text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
  file_sha256    text NOT NULL CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
  uploaded_by    uuid NOT NULL REFERENCES users (id),
  uploaded_at    timestamptz NOT NULL
);

-- Every identifier the upload stores is a normalised USCC (18 characters of its alphabet) or a
-- mainland mobile number. NOT VALID: rows put there before this check existed are left alone.
ALTER TABLE pool_eligible_list ADD CONSTRAINT pool_eligible_list_identifier_form
  CHECK (identifier ~ '^([0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}|1[3-9][0-9]{9})$') NOT VALID;
