/**
 * Presets per pool kind (DESIGN.md, Presets): the defaults an issuer starts from, taken from
 * real programmes. Every field remains editable.
 */
import type { MerchantCategory } from '../reference';

export const POOL_KINDS = ['compute', 'model', 'corpus', 'innovation', 'professional_service', 'consumption'] as const;
export type PoolKind = (typeof POOL_KINDS)[number];
export const DISTRIBUTIONS = ['first_come', 'lottery', 'application', 'auto_grant'] as const;
export type Distribution = (typeof DISTRIBUTIONS)[number];
export const VALUE_TYPES = ['fixed', 'ratio', 'balance'] as const;
export type ValueType = (typeof VALUE_TYPES)[number];

export interface PoolPreset {
  kind: PoolKind;
  nameZh: string;
  nameEn: string;
  policyRef: string;
  audience: 'enterprise' | 'consumer';
  valueRule: { type: ValueType; amountFen: number; minSpendFen?: number; ratioBp?: number };
  distribution: Distribution;
  allowedDistributions: Distribution[];
  redemptionMode: 'direct' | 'confirm';
  validDays: number;
  perHolderMax: number;
  annualCapFen?: number;
  merchantCategories: MerchantCategory[];
  bannedCategories: MerchantCategory[];
  reissueUnused: boolean;
  notesZh: string;
  notesEn: string;
}

const YUAN = 100;

export const PRESETS: Record<PoolKind, PoolPreset> = {
  compute: {
    kind: 'compute', nameZh: '算力券', nameEn: 'Compute voucher', policyRef: '沪府办发〔2025〕5号 第八条',
    audience: 'enterprise', valueRule: { type: 'ratio', ratioBp: 3000, amountFen: 5_000_000 * YUAN },
    distribution: 'application', allowedDistributions: ['application', 'auto_grant'], redemptionMode: 'confirm',
    validDays: 365, perHolderMax: 10, annualCapFen: 1_000_000 * YUAN,
    merchantCategories: ['compute_provider'], bannedCategories: [], reissueUnused: false,
    notesZh: '合同金额的30%，单券上限500万元；服务商不得为关联方；一份合同一张券。',
    notesEn: '30% of the contract, capped at ¥5,000,000; the provider must not be affiliated; one voucher per contract.',
  },
  model: {
    kind: 'model', nameZh: '模型券', nameEn: 'Model voucher', policyRef: '沪府办发〔2025〕5号 第八条',
    audience: 'enterprise', valueRule: { type: 'ratio', ratioBp: 5000, amountFen: 5_000_000 * YUAN },
    distribution: 'application', allowedDistributions: ['application', 'auto_grant'], redemptionMode: 'confirm',
    validDays: 365, perHolderMax: 10, merchantCategories: ['model_provider'], bannedCategories: [], reissueUnused: false,
    notesZh: '合同金额的50%，单券上限500万元；模型须已备案。',
    notesEn: '50% of the contract, capped at ¥5,000,000; the model must be filed with the regulator.',
  },
  corpus: {
    kind: 'corpus', nameZh: '语料券', nameEn: 'Corpus voucher', policyRef: '沪府办发〔2025〕5号 第八条',
    audience: 'enterprise', valueRule: { type: 'ratio', ratioBp: 3000, amountFen: 5_000_000 * YUAN },
    distribution: 'application', allowedDistributions: ['application', 'auto_grant'], redemptionMode: 'confirm',
    validDays: 365, perHolderMax: 10, merchantCategories: ['data_provider'], bannedCategories: [], reissueUnused: false,
    notesZh: '合同金额的30%，单券上限500万元。', notesEn: '30% of the contract, capped at ¥5,000,000.',
  },
  innovation: {
    kind: 'innovation', nameZh: '科技创新券', nameEn: 'Technology-innovation voucher', policyRef: '沪府办发〔2025〕5号 第十二条',
    audience: 'enterprise', valueRule: { type: 'ratio', ratioBp: 5000, amountFen: 500_000 * YUAN },
    distribution: 'application', allowedDistributions: ['application', 'auto_grant'], redemptionMode: 'confirm',
    validDays: 365, perHolderMax: 5, annualCapFen: 500_000 * YUAN,
    merchantCategories: ['tech_service'], bannedCategories: [], reissueUnused: false,
    notesZh: '服务费用的50%，每家企业每年不超过50万元；服务机构核销，按季度拨付。',
    notesEn: '50% of the service fee, at most ¥500,000 per enterprise per year; the provider redeems; paid quarterly.',
  },
  professional_service: {
    kind: 'professional_service', nameZh: '专业服务券', nameEn: 'Professional-service voucher', policyRef: '沪府办发〔2025〕5号 第十二条',
    audience: 'enterprise', valueRule: { type: 'ratio', ratioBp: 5000, amountFen: 200_000 * YUAN },
    distribution: 'first_come', allowedDistributions: ['first_come', 'auto_grant'], redemptionMode: 'confirm',
    validDays: 180, perHolderMax: 1, merchantCategories: ['professional_service'], bannedCategories: [], reissueUnused: false,
    notesZh: '区级券池（浦东、静安、徐汇、虹桥商务区），服务费用的50%，上限20万元。',
    notesEn: "District pools (Pudong, Jing'an, Xuhui, Hongqiao CBD); 50% of the fee, capped at ¥200,000.",
  },
  consumption: {
    kind: 'consumption', nameZh: '消费券', nameEn: 'Consumption voucher', policyRef: '沪府办发〔2025〕5号 第二十条、第二十一条',
    audience: 'consumer', valueRule: { type: 'fixed', amountFen: 90 * YUAN, minSpendFen: 300 * YUAN },
    distribution: 'lottery', allowedDistributions: ['lottery', 'first_come', 'auto_grant'], redemptionMode: 'direct',
    validDays: 30, perHolderMax: 1, merchantCategories: ['catering', 'retail', 'culture_tourism', 'sport'],
    bannedCategories: ['prepaid_card', 'group_buying'], reissueUnused: true,
    notesZh: '满300减90 · 满500减180 · 满1000减400（每个档位一个券池）；每人每轮限一次摇号；当月有效，未用额度滚入下一轮；不得用于预付卡、团购券。',
    notesEn: 'Tiers 300−90 · 500−180 · 1000−400 (one pool per tier); one lottery entry per person per round; valid to month end; unused budget rolls into the next round; not for prepaid cards or group-buy coupons.',
  },
};

/** The 满减 tiers of the consumption preset, for the editor's tier picker. */
export const CONSUMPTION_TIERS = [
  { minSpendFen: 300 * YUAN, amountFen: 90 * YUAN },
  { minSpendFen: 500 * YUAN, amountFen: 180 * YUAN },
  { minSpendFen: 1000 * YUAN, amountFen: 400 * YUAN },
] as const;
