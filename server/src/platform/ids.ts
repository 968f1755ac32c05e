/**
 * Time-ordered row ids (UUID version 7, RFC 9562 §5.7, with the counter of §6.2 method 1) for
 * the rows a storm inserts by the thousand: vouchers and redemptions. A random (version 4)
 * primary key puts each new row's index entry on a random leaf page of an index that grows to
 * millions of entries; a time-ordered one appends at the right edge of the index, so a batch
 * of 5,000 touches a few pages instead of 5,000, and after a checkpoint writes a few full-page
 * images instead of thousands (docs/adr/0009-time-ordered-ids.md).
 *
 * Layout: 48 bits of Unix milliseconds, version 7, 12 bits of counter (rand_a), variant 10,
 * 62 random bits (rand_b). Within one millisecond the counter orders the ids of this process;
 * when it runs out, the timestamp moves on by one millisecond (at most a few ms ahead of the
 * clock in a burst, as §6.2 allows). Ids from different processes interleave by time and stay
 * unique by their 62 random bits. Nothing may treat the id as a secret or as the issue time:
 * a voucher's code is the secret and `issued_at` is the time.
 */
import { randomFillSync } from 'node:crypto';

const COUNTER_MAX = 0xfff;
/** random bytes taken from the OS at a time, 8 per id */
const POOL_BYTES = 8 * 512;

let lastMs = 0;
let counter = 0;
const pool = Buffer.alloc(POOL_BYTES);
let poolAt = POOL_BYTES;
const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function randomByte(): number {
  if (poolAt === POOL_BYTES) {
    randomFillSync(pool);
    poolAt = 0;
  }
  return pool[poolAt++] as number;
}

/** A new UUIDv7, larger than every id this process made before (for a clock that does not go back by more than the ids ran ahead). */
export function timeOrderedId(nowMs: number = Date.now()): string {
  if (nowMs > lastMs) {
    lastMs = nowMs;
    // start each millisecond at a random point of the lower half, leaving room to count up
    counter = ((randomByte() << 8) | randomByte()) & 0x7ff;
  } else if (counter < COUNTER_MAX) {
    counter++;
  } else {
    lastMs++;
    counter = 0;
  }
  const b = new Array<number>(16);
  let ms = lastMs;
  for (let i = 5; i >= 0; i--) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = 0x70 | (counter >>> 8);
  b[7] = counter & 0xff;
  b[8] = 0x80 | (randomByte() & 0x3f);
  for (let i = 9; i < 16; i++) b[i] = randomByte();
  const h = b.map((x) => HEX[x] as string);
  return `${h[0]}${h[1]}${h[2]}${h[3]}-${h[4]}${h[5]}-${h[6]}${h[7]}-${h[8]}${h[9]}-${h[10]}${h[11]}${h[12]}${h[13]}${h[14]}${h[15]}`;
}

/** The millisecond timestamp a UUIDv7 carries (tests and diagnostics). */
export function timestampOfId(id: string): number {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id)) throw new Error(`assertion: ${id} is not a UUIDv7`);
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
