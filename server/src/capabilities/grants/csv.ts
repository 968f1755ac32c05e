/**
 * Owns reading and writing the CSV files of grant lists, results and ticket stubs: UTF-8
 * in (a BOM is allowed; GBK from an older Excel is refused with a hint), UTF-8 with a BOM
 * out so that Excel shows Chinese correctly.
 */
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { HttpProblem } from '../../app/problem';

const RECORD_BYTES_MAX = 4096;
export const UTF8_BOM = '\ufeff';

export interface CsvRow {
  /** the line of the file the record ends on (the header is line 1) */
  line: number;
  /** cells by the (lower-cased) column name; a short record has '' for missing cells */
  cells: Record<string, string>;
}

export interface CsvShape {
  /** column names, matched case-insensitively; the first is required */
  columns: string[];
  rowsMax: number;
}

/** Parses the file; refuses it whole (CSV_INVALID) only when it cannot be read at all. */
export function readCsv(bytes: Buffer, shape: CsvShape): CsvRow[] {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new HttpProblem('CSV_INVALID', 'The file is not UTF-8; in Excel choose "CSV UTF-8 (comma delimited)"');
  }
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      bom: true, info: true, skip_empty_lines: true, trim: true, relax_column_count: true,
      to: shape.rowsMax + 2, max_record_size: RECORD_BYTES_MAX,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (err) {
    throw new HttpProblem('CSV_INVALID', `The CSV cannot be read: ${(err as Error).message}`);
  }
  const [header, ...body] = records;
  const names = (header?.record ?? []).map((h) => h.toLowerCase());
  const wanted = shape.columns.map((c) => c.toLowerCase());
  if (!names.includes(wanted[0] as string)) {
    throw new HttpProblem('CSV_INVALID', `The first line must name the columns: ${shape.columns.join(',')} (found "${names.join(',')}")`);
  }
  if (body.length > shape.rowsMax) throw new HttpProblem('CSV_INVALID', `At most ${shape.rowsMax} rows per file`);
  return body.map(({ record, info }) => {
    const cells: Record<string, string> = {};
    for (const name of wanted) {
      const at = names.indexOf(name);
      cells[name] = at >= 0 ? (record[at] ?? '') : '';
    }
    return { line: info.lines, cells };
  });
}

/** CSV text of the rows (no BOM: the caller writes it once at the start). */
export function csvLines(rows: (string | number | null)[][]): string {
  return stringify(rows.map((r) => r.map((c) => (c === null ? '' : neutralise(String(c))))));
}

/** A cell Excel would run as a formula gets a leading apostrophe (CSV injection). */
function neutralise(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}
