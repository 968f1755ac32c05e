/**
 * The keyed hash that ranks lottery entries: HMAC-SHA256(seed, entryId), per RFC 2104.
 * PostgreSQL has sha256() but no hmac() without pgcrypto, so the key pads are computed here
 * and the two sha256 passes run in SQL (see `drawKeySql` in the repository): one function
 * for PGlite and a PostgreSQL server alike, and the ranking never leaves the database.
 */
import { createHash } from 'node:crypto';

const SHA256_BLOCK_BYTES = 64;
const IPAD = 0x36;
const OPAD = 0x5c;

export interface HmacPads {
  /** (key ⊕ 0x36…) as hex */
  innerHex: string;
  /** (key ⊕ 0x5c…) as hex */
  outerHex: string;
}

/** The seed is a string; its UTF-8 bytes are the HMAC key, as `crypto.createHmac('sha256', seed)` takes it. */
export function hmacPads(seed: string): HmacPads {
  let key = Buffer.from(seed, 'utf8');
  if (key.length > SHA256_BLOCK_BYTES) key = createHash('sha256').update(key).digest();
  const block = Buffer.alloc(SHA256_BLOCK_BYTES);
  key.copy(block);
  const inner = Buffer.alloc(SHA256_BLOCK_BYTES);
  const outer = Buffer.alloc(SHA256_BLOCK_BYTES);
  for (let i = 0; i < SHA256_BLOCK_BYTES; i++) {
    inner[i] = (block[i] as number) ^ IPAD;
    outer[i] = (block[i] as number) ^ OPAD;
  }
  return { innerHex: inner.toString('hex'), outerHex: outer.toString('hex') };
}

/** How a holder appears in the published list: sha256(holderId ‖ poolId), hex. */
export function holderHash(holderId: string, poolId: string): string {
  return createHash('sha256').update(holderId + poolId).digest('hex');
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
