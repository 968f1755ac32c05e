/** What the lottery (摇号) endpoints answer, and the published draw that anyone can recompute. */

/** `open`: entries accepted now; `closed`: not accepting entries and not drawn yet; `drawn`: results are final. */
export type LotteryStatus = 'open' | 'closed' | 'drawn';

/** `pending`: not drawn yet; `not_drawn`: 未中签; `forfeited`: drawn, but a holder limit refused the voucher. */
export type LotteryOutcome = 'pending' | 'won' | 'not_drawn' | 'forfeited';

export interface LotteryEntry {
  entryId: string;
  poolId: string;
  round: number;
  enteredAt: string;
  /** sha256(holderId + poolId), hex: how the holder appears in the published list */
  holderHash: string;
  result: LotteryOutcome;
  voucherId: string | null;
  /** the problem code that refused the voucher of a forfeited win */
  forfeitCode: string | null;
}

export interface LotterySummary {
  poolId: string;
  /** the commitment published at approval: sha256 of the seed (UTF-8), hex */
  seedHash: string;
  /** revealed once the round is drawn; null before */
  seed: string | null;
  round: number;
  roundsCount: number;
  entriesOpenAt: string;
  entriesCloseAt: string;
  status: LotteryStatus;
  entriesCount: number;
  /** how many vouchers the round could issue (its budget share ÷ voucher amount); null until entries close and the draw starts */
  winnersMax: number | null;
  /** null until the winners are chosen */
  winnersCount: number | null;
  drawnAt: string | null;
  /** the caller's own entry in this round, when the caller can hold this pool's vouchers and entered */
  myEntry: LotteryEntry | null;
}

/** One line of the published entrant list (served only after the draw). */
export interface PublishedEntry {
  entryId: string;
  holderHash: string;
  result: 'won' | 'lost';
}

/** A draw as published: enough to recompute it without trusting the platform. */
export interface PublishedDraw {
  poolId: string;
  round: number;
  seedHash: string;
  seed: string;
  entriesCount: number;
  winnersCount: number;
  winnersMax: number;
  /** every entry id of the round */
  entryIds: string[];
  /** the entry ids the platform says won */
  winners: string[];
}
