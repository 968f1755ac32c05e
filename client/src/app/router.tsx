/** Routes: /login is public; everything else needs a session, and each area the roles that use it. */
import type { ReactNode } from 'react';
import { createBrowserRouter } from 'react-router-dom';
import { MerchantApprovalsPage } from '../features/merchants/MerchantApprovalsPage';
import { ApprovalsPage } from '../features/approvals/ApprovalsPage';
import { AuditPage } from '../features/audit/AuditPage';
import { LoginPage } from '../features/auth/LoginPage';
import { MyVouchersPage } from '../features/consumer/MyVouchersPage';
import { RoundsPage } from '../features/consumer/RoundsPage';
import { VoucherPage } from '../features/consumer/VoucherPage';
import { EligiblePoolsPage } from '../features/enterprise/EligiblePoolsPage';
import { EnterpriseWalletPage } from '../features/enterprise/EnterpriseWalletPage';
import { AREAS, BUILT_AREAS, type AreaId } from '../features/home/areas';
import { HomePage } from '../features/home/HomePage';
import { MerchantEnrolmentPage } from '../features/merchants/MerchantEnrolmentPage';
import { ComingSoonPage } from '../features/placeholder/ComingSoonPage';
import { NotFoundPage } from '../features/placeholder/NotFoundPage';
import { PoolDetailPage } from '../features/pools/PoolDetailPage';
import { PoolEditorPage } from '../features/pools/PoolEditorPage';
import { PoolListPage } from '../features/pools/PoolListPage';
import { AreaGate } from './AreaGate';
import { Layout } from './Layout';
import { RequireAuth } from './RequireAuth';

function guarded(areaId: AreaId, page: ReactNode) {
  return (
    <RequireAuth>
      <AreaGate areaId={areaId}>{page}</AreaGate>
    </RequireAuth>
  );
}

const PAGES: { path: string; area: AreaId; page: ReactNode }[] = [
  { path: '/pools', area: 'pools', page: <PoolListPage /> },
  { path: '/pools/new', area: 'pools', page: <PoolEditorPage /> },
  { path: '/pools/:id', area: 'pools', page: <PoolDetailPage /> },
  { path: '/pools/:id/edit', area: 'pools', page: <PoolEditorPage /> },
  { path: '/approvals', area: 'approvals', page: <ApprovalsPage /> },
  { path: '/merchants', area: 'merchants', page: <MerchantEnrolmentPage /> },
  { path: '/audit', area: 'audit', page: <AuditPage /> },
  { path: '/eligible-pools', area: 'claimablePools', page: <EligiblePoolsPage /> },
  { path: '/wallet', area: 'wallet', page: <EnterpriseWalletPage /> },
  { path: '/rounds', area: 'rounds', page: <RoundsPage /> },
  { path: '/my-vouchers', area: 'vouchers', page: <MyVouchersPage /> },
  { path: '/my-vouchers/:id', area: 'vouchers', page: <VoucherPage /> },
  { path: '/admin/merchant-approvals', area: 'merchantApprovals', page: <MerchantApprovalsPage /> },
];

export const router = createBrowserRouter([
  {
    element: <Layout />,
    children: [
      { path: '/login', element: <LoginPage /> },
      {
        path: '/',
        element: (
          <RequireAuth>
            <HomePage />
          </RequireAuth>
        ),
      },
      ...PAGES.map(({ path, area, page }) => ({ path, element: guarded(area, page) })),
      ...AREAS.filter((area) => !BUILT_AREAS.has(area.id)).map((area) => ({
        path: area.path,
        element: guarded(area.id, <ComingSoonPage areaId={area.id} />),
      })),
      { path: '*', element: <NotFoundPage /> },
    ],
  },
]);
