/** Fixed reference lists: roles, Shanghai's 16 districts, merchant categories, enterprise tags. */

export const ROLES = [
  'platform_admin',
  'issuer_manager',
  'issuer_approver',
  'issuer_auditor',
  'enterprise',
  'consumer',
  'merchant_cashier',
  'merchant_admin',
] as const;
export type Role = (typeof ROLES)[number];

export const ORG_TYPES = ['platform', 'issuer', 'enterprise', 'merchant'] as const;
export type OrgType = (typeof ORG_TYPES)[number];

export const ISSUER_ROLES: readonly Role[] = ['issuer_manager', 'issuer_approver', 'issuer_auditor'];
export const MERCHANT_ROLES: readonly Role[] = ['merchant_cashier', 'merchant_admin'];

/** Shanghai's 16 districts: code, Chinese and English names. */
export const DISTRICTS = [
  { code: 'huangpu', zh: '黄浦区', en: 'Huangpu' },
  { code: 'xuhui', zh: '徐汇区', en: 'Xuhui' },
  { code: 'changning', zh: '长宁区', en: 'Changning' },
  { code: 'jingan', zh: '静安区', en: "Jing'an" },
  { code: 'putuo', zh: '普陀区', en: 'Putuo' },
  { code: 'hongkou', zh: '虹口区', en: 'Hongkou' },
  { code: 'yangpu', zh: '杨浦区', en: 'Yangpu' },
  { code: 'minhang', zh: '闵行区', en: 'Minhang' },
  { code: 'baoshan', zh: '宝山区', en: 'Baoshan' },
  { code: 'jiading', zh: '嘉定区', en: 'Jiading' },
  { code: 'pudong', zh: '浦东新区', en: 'Pudong New Area' },
  { code: 'jinshan', zh: '金山区', en: 'Jinshan' },
  { code: 'songjiang', zh: '松江区', en: 'Songjiang' },
  { code: 'qingpu', zh: '青浦区', en: 'Qingpu' },
  { code: 'fengxian', zh: '奉贤区', en: 'Fengxian' },
  { code: 'chongming', zh: '崇明区', en: 'Chongming' },
] as const;
export type District = (typeof DISTRICTS)[number]['code'];
export const DISTRICT_CODES = DISTRICTS.map((d) => d.code) as District[];

/** Merchant (service provider) categories; pools scope and ban by these. */
export const MERCHANT_CATEGORIES = [
  { code: 'compute_provider', zh: '算力服务商', en: 'Compute provider' },
  { code: 'model_provider', zh: '模型服务商', en: 'Model provider' },
  { code: 'data_provider', zh: '语料数据服务商', en: 'Data provider' },
  { code: 'tech_service', zh: '科技服务机构', en: 'Technology service' },
  { code: 'professional_service', zh: '专业服务机构', en: 'Professional service' },
  { code: 'catering', zh: '餐饮', en: 'Catering' },
  { code: 'retail', zh: '零售', en: 'Retail' },
  { code: 'culture_tourism', zh: '文旅', en: 'Culture and tourism' },
  { code: 'sport', zh: '体育', en: 'Sport' },
  { code: 'prepaid_card', zh: '预付卡', en: 'Prepaid cards' },
  { code: 'group_buying', zh: '团购', en: 'Group-buying coupons' },
] as const;
export type MerchantCategory = (typeof MERCHANT_CATEGORIES)[number]['code'];
export const MERCHANT_CATEGORY_CODES = MERCHANT_CATEGORIES.map((c) => c.code) as MerchantCategory[];

/** Enterprise tags eligibility rules refer to. */
export const ENTERPRISE_TAGS = [
  { code: 'high_tech', zh: '高新技术企业', en: 'High-tech enterprise' },
  { code: 'specialised', zh: '专精特新', en: 'Specialised and innovative SME' },
  { code: 'startup', zh: '初创企业', en: 'Start-up' },
  { code: 'sme', zh: '中小企业', en: 'SME' },
  { code: 'ai', zh: '人工智能企业', en: 'AI enterprise' },
] as const;
export type EnterpriseTag = (typeof ENTERPRISE_TAGS)[number]['code'];
export const ENTERPRISE_TAG_CODES = ENTERPRISE_TAGS.map((t) => t.code) as EnterpriseTag[];
