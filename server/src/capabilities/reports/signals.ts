/**
 * Turns the fraud-signal query rows into signal records with a Chinese and an English
 * sentence an auditor can read without the thresholds at hand (docs/REPORTS.md, Signals).
 */
import { addDays, fenToYuanText, shanghaiDate, SIGNAL_THRESHOLDS as T, type Signal } from '@hqt/shared';
import type { HolderRow, NightRow, SpikeRow, ThresholdRow } from './reports.repository';

const two = (x: number) => Math.round(x * 100) / 100;

export function spikeSignal(r: SpikeRow): Signal {
  const meanCnt = r.prev_cnt / T.spikeTrailingDays;
  const meanVal = r.prev_val / T.spikeTrailingDays;
  const times = two(r.cnt / meanCnt);
  return {
    kind: 'daily_spike', merchant: { id: r.merchant_id, nameZh: r.name_zh }, pool: null, holderId: null, date: r.day,
    measure: r.cnt, threshold: two(T.spikeMultiple * meanCnt),
    window: { from: addDays(r.day, -T.spikeTrailingDays), to: r.day },
    sentenceZh: `${r.name_zh} 于 ${r.day} 核销 ${r.cnt} 笔、补贴 ¥${fenToYuanText(r.val)}，为其前 ${T.spikeTrailingDays} 日日均`
      + `（${two(meanCnt)} 笔、¥${fenToYuanText(Math.round(meanVal))}）的 ${times} 倍，超过 ${T.spikeMultiple} 倍阈值。`,
    sentenceEn: `${r.name_en ?? r.name_zh} redeemed ${r.cnt} vouchers (¥${fenToYuanText(r.val)} of discount) on ${r.day}, `
      + `${times}× its ${T.spikeTrailingDays}-day daily mean of ${two(meanCnt)} (¥${fenToYuanText(Math.round(meanVal))}); `
      + `the threshold is ${T.spikeMultiple}×.`,
  };
}

export function thresholdSignal(r: ThresholdRow, from: string, to: string): Signal {
  const shareBp = Math.floor((r.near * 10_000) / r.orders);
  const upper = Math.floor((r.min_spend_fen * (10_000 + T.thresholdBandBp)) / 10_000);
  const pct = (bp: number) => `${(bp / 100).toFixed(0)}%`;
  return {
    kind: 'threshold_cluster', merchant: { id: r.merchant_id, nameZh: r.name_zh }, pool: { id: r.pool_id, nameZh: r.pool_name_zh },
    holderId: null, date: to, measure: shareBp, threshold: T.thresholdShareBp, window: { from, to },
    sentenceZh: `${r.name_zh} 在「${r.pool_name_zh}」的 ${r.orders} 笔满减订单中，${r.near} 笔（${pct(shareBp)}）金额落在门槛 `
      + `¥${fenToYuanText(r.min_spend_fen)} 至 ¥${fenToYuanText(upper)} 之间，超过 ${pct(T.thresholdShareBp)}。`,
    sentenceEn: `${r.near} of ${r.name_en ?? r.name_zh}'s ${r.orders} orders on "${r.pool_name_zh}" (${pct(shareBp)}) fall just above `
      + `the ¥${fenToYuanText(r.min_spend_fen)} threshold (below ¥${fenToYuanText(upper)}); the limit is ${pct(T.thresholdShareBp)}.`,
  };
}

export function holderSignal(r: HolderRow): Signal {
  const day = shanghaiDate(new Date(r.at));
  const from = addDays(day, -(T.holderWindowDays - 1));
  const holder = r.holder_id.slice(0, 8);
  return {
    kind: 'holder_repeat', merchant: { id: r.merchant_id, nameZh: r.name_zh },
    pool: r.pool_id && r.pool_name_zh ? { id: r.pool_id, nameZh: r.pool_name_zh } : null, holderId: r.holder_id, date: day,
    measure: r.vouchers, threshold: T.holderVouchersMin, window: { from, to: day },
    sentenceZh: `持券人 ${holder}… 在 ${from} 至 ${day} 的 ${T.holderWindowDays} 日内于 ${r.name_zh} 核销 ${r.vouchers} 张券`
      + `（阈值 ${T.holderVouchersMin} 张）。`,
    sentenceEn: `Holder ${holder}… redeemed ${r.vouchers} vouchers at ${r.name_en ?? r.name_zh} within ${T.holderWindowDays} days `
      + `(${from} to ${day}); the threshold is ${T.holderVouchersMin}.`,
  };
}

export function nightSignal(r: NightRow): Signal {
  const sharePct = r.prev_cnt > 0 ? ((r.prev_night * 100) / r.prev_cnt).toFixed(1) : '0';
  const end = String(T.nightEndHour).padStart(2, '0');
  return {
    kind: 'night_hours', merchant: { id: r.merchant_id, nameZh: r.name_zh }, pool: null, holderId: null, date: r.day,
    measure: r.night, threshold: T.nightCountMin, window: { from: r.day, to: r.day },
    sentenceZh: `${r.name_zh} 于 ${r.day} 00:00–${end}:00 核销 ${r.night} 笔；其前 ${T.nightHistoryDays} 日 ${r.prev_cnt} 笔核销中`
      + `仅 ${sharePct}% 在该时段。`,
    sentenceEn: `${r.name_en ?? r.name_zh} redeemed ${r.night} vouchers between 00:00 and ${end}:00 on ${r.day}; only ${sharePct}% `
      + `of its ${r.prev_cnt} redemptions in the previous ${T.nightHistoryDays} days were at that time.`,
  };
}
