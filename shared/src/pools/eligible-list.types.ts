import type { ELIGIBLE_LIST_ROW_CODES } from './eligible-list.schemas';

export type EligibleListRowCode = (typeof ELIGIBLE_LIST_ROW_CODES)[number];

/** A line of an uploaded list that was not stored. */
export interface EligibleListRejectedRow {
  /** the line of the file (the first line is 1, like Excel's row number) */
  line: number;
  code: EligibleListRowCode;
  /** the first cell as uploaded, trimmed, at most ELIGIBLE_LIST_CELL_CHARS_MAX characters */
  value: string;
}

/** The answer of `PUT /pools/:id/eligible-list`. */
export interface EligibleListUpload {
  poolId: string;
  audience: 'enterprise' | 'consumer';
  /** identifiers on the list now (each once) */
  stored: number;
  /** lines refused; the first ELIGIBLE_LIST_REPORT_ROWS_MAX are in `rows` */
  rejected: number;
  /** lines naming an identifier already named earlier in the file (stored once) */
  duplicates: number;
  /** identifiers the previous list had */
  replaced: number;
  /** whether the first line was taken as a header */
  header: boolean;
  rows: EligibleListRejectedRow[];
  rowsTruncated: boolean;
  fileSha256: string;
  uploadedAt: string;
}

/** A page of `GET /pools/:id/eligible-list`, with what the last upload was. */
export interface EligibleListPage {
  poolId: string;
  audience: 'enterprise' | 'consumer';
  /** identifiers on the list */
  total: number;
  uploadedAt: string | null;
  uploadedBy: string | null;
  uploadedByName: string | null;
  fileSha256: string | null;
  /** identifiers in ascending order; with `?identifier=` the one entry, or none when it is not listed */
  items: { identifier: string }[];
  nextCursor: string | null;
}
