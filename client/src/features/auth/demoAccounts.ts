/** The demo logins the seeded development database holds (all share one password). */
export const DEMO_PASSWORD = 'hqt-demo-2025';

export type DemoLabel =
  | 'admin'
  | 'jxwManager'
  | 'jxwApprover'
  | 'swjManager'
  | 'swjApprover'
  | 'enterprise'
  | 'merchantCompute'
  | 'merchantCatering'
  | 'consumer';

export const DEMO_ACCOUNTS: readonly { login: string; label: DemoLabel }[] = [
  { login: 'admin', label: 'admin' },
  { login: 'jxw.manager', label: 'jxwManager' },
  { login: 'jxw.approver', label: 'jxwApprover' },
  { login: 'swj.manager', label: 'swjManager' },
  { login: 'swj.approver', label: 'swjApprover' },
  { login: 'ent.alpha', label: 'enterprise' },
  { login: 'ent.beta', label: 'enterprise' },
  { login: 'ent.gamma', label: 'enterprise' },
  { login: 'mch.compute', label: 'merchantCompute' },
  { login: 'mch.catering', label: 'merchantCatering' },
  { login: '13800138000', label: 'consumer' },
];
