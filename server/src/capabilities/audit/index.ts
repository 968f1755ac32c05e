export { AuditService, canonicalJson, GENESIS_HASH, type AuditEvent, type VerifyResult } from './audit.service';
export { auditRoutes } from './audit.routes';
