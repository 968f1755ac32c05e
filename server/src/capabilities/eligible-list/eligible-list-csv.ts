/**
 * Owns reading an uploaded eligibility list: UTF-8 (a BOM is allowed), the identifier in the
 * first column (other columns, e.g. a name, are ignored), an optional header line, blank lines
 * skipped. It streams through csv-parse and yields to the event loop every few thousand lines,
 * so a file at the size limit (a few seconds of parsing) neither holds a record object per line
 * nor stalls other requests; it keeps the distinct identifiers and the first bad lines only.
 */
import { isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { parse } from 'csv-parse';
import {
  ELIGIBLE_LIST_CELL_CHARS_MAX, ELIGIBLE_LIST_REPORT_ROWS_MAX, ELIGIBLE_LIST_ROWS_MAX, readListCell, toHalfWidth,
  type EligibleListRejectedRow,
} from '@hqt/shared';
import { HttpProblem } from '../../app/problem';

const CHUNK_BYTES = 64 * 1024;
const RECORD_CHARS_MAX = 4096;
/** Buffered records resolve the loop's awaits as microtasks; every this many, let other requests run. */
const LINES_PER_TURN = 5_000;

export interface ParsedList {
  identifiers: string[];
  rejected: number;
  duplicates: number;
  header: boolean;
  /** the first ELIGIBLE_LIST_REPORT_ROWS_MAX bad lines */
  rows: EligibleListRejectedRow[];
}

interface Line {
  record: string[];
  info: { lines: number; records: number };
}

/** A first line whose first cell has no digit names the column (identifier, USCC, 统一社会信用代码, 手机号 …). */
function isHeader(line: Line): boolean {
  return line.info.records === 1 && !/[0-9]/.test(toHalfWidth(line.record[0] ?? ''));
}

/** The cell as the answer shows it: bounded, and without control characters (jsonb refuses NUL; a terminal would obey the rest). */
function echoOf(cell: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is replaced
  return cell.trim().slice(0, ELIGIBLE_LIST_CELL_CHARS_MAX).replace(/[\u0000-\u001f\u007f]/g, '\ufffd');
}

function* chunksOf(bytes: Buffer): Generator<Buffer> {
  for (let at = 0; at < bytes.length; at += CHUNK_BYTES) yield bytes.subarray(at, at + CHUNK_BYTES);
}

function lines(bytes: Buffer): AsyncIterable<Line> {
  return Readable.from(chunksOf(bytes)).pipe(parse({
    bom: true, info: true, skip_empty_lines: true, skip_records_with_empty_values: true, trim: true,
    relax_column_count: true, relax_quotes: true, max_record_size: RECORD_CHARS_MAX,
  }));
}

/** Reads the list for a pool's audience; refuses the file whole (CSV_INVALID) only when it cannot be read or is too long. */
export async function readEligibleList(bytes: Buffer, audience: 'enterprise' | 'consumer'): Promise<ParsedList> {
  if (!isUtf8(bytes)) throw new HttpProblem('CSV_INVALID', 'The file is not UTF-8; in Excel choose "CSV UTF-8 (comma delimited)"');
  const seen = new Set<string>();
  const out: ParsedList = { identifiers: [], rejected: 0, duplicates: 0, header: false, rows: [] };
  let dataRows = 0;
  try {
    for await (const line of lines(bytes)) {
      if (isHeader(line)) {
        out.header = true;
        continue;
      }
      if (line.info.records % LINES_PER_TURN === 0) await nextTurn();
      if (++dataRows > ELIGIBLE_LIST_ROWS_MAX) throw new HttpProblem('CSV_INVALID', `At most ${ELIGIBLE_LIST_ROWS_MAX} rows per file`);
      const cell = line.record[0] ?? '';
      const read = readListCell(audience, cell);
      if (read.code !== undefined) {
        out.rejected++;
        if (out.rows.length < ELIGIBLE_LIST_REPORT_ROWS_MAX) out.rows.push({ line: line.info.lines, code: read.code, value: echoOf(cell) });
      } else if (seen.has(read.identifier)) {
        out.duplicates++;
      } else {
        seen.add(read.identifier);
      }
    }
  } catch (err) {
    if (err instanceof HttpProblem) throw err;
    throw new HttpProblem('CSV_INVALID', `The CSV cannot be read: ${(err as Error).message}`);
  }
  out.identifiers = [...seen];
  return out;
}
