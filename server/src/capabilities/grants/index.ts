export { GrantsService, normaliseIdentifier, rowsOfList, toGrantBatch, RESULT_CSV_HEADER, type ProcessSummary } from './grants.service';
export { grantsRoutes, GRANT_UPLOAD_PATH } from './grants.routes';
export { readCsv, csvLines, UTF8_BOM, type CsvRow } from './csv';
