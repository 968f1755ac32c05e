/**
 * The fraud signals' thresholds (measure 31 audits), in one place so that the server, the
 * console and docs/REPORTS.md name the same numbers.
 */
export const SIGNAL_KINDS = ['daily_spike', 'threshold_cluster', 'holder_repeat', 'night_hours'] as const;
export type SignalKind = (typeof SIGNAL_KINDS)[number];

export const SIGNAL_THRESHOLDS = {
  /** a merchant's day is a spike when count and discount are both above this multiple of its trailing mean */
  spikeMultiple: 3,
  /** the trailing window the mean is taken over (days before the day; days without redemptions count as 0) */
  spikeTrailingDays: 7,
  /** … and the day has at least this many redemptions */
  spikeCountMin: 10,
  /** an order is "just above" a 满减 threshold when it is below minSpend × (1 + this / 10000) */
  thresholdBandBp: 500,
  /** orders just above the threshold must be more than this share of the merchant's 满减 orders in the pool */
  thresholdShareBp: 5000,
  /** … out of at least this many 满减 orders */
  thresholdOrdersMin: 10,
  /** distinct vouchers one holder redeems at one merchant within the window */
  holderVouchersMin: 5,
  holderWindowDays: 7,
  /** night: 00:00 to this hour, Asia/Shanghai */
  nightEndHour: 6,
  /** night redemptions on one day that raise the signal */
  nightCountMin: 3,
  /** the history that makes a merchant "daytime": at least this many redemptions in the days before … */
  nightHistoryDays: 28,
  nightHistoryCountMin: 20,
  /** … of which at most this share at night */
  nightHistoryShareMaxBp: 500,
  /** the longest window one signals request may cover */
  windowDaysMax: 31,
} as const;
