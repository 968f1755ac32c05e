/** Routes: /login is public; everything else needs a session, and each area the roles that use it. */
import { lazy, Suspense, type ReactNode } from 'react';
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
import { ApplyPage } from '../features/applications/ApplyPage';
import { ConfirmationsPage } from '../features/enterprise/ConfirmationsPage';
import { HistoryPage } from '../features/enterprise/HistoryPage';
import { GrantsPage } from '../features/grants/GrantsPage';
import { LotteryResultPage } from '../features/lottery/LotteryResultPage';
import { PoolLotteryPage } from '../features/lottery/PoolLotteryPage';
import { ReceiptPage } from '../features/scanner/ReceiptPage';
import { ScannerPage } from '../features/scanner/ScannerPage';
import { TodayPage } from '../features/scanner/TodayPage';
import { SettlementListPage } from '../features/settlement/SettlementListPage';
import { AreaGate } from './AreaGate';
import { Loading } from './ProblemAlert';
import { Layout } from './Layout';
import { RequireAuth } from './RequireAuth';

// ECharts is large and only the console's dashboard uses it: it loads with that page.
const DashboardPage = lazy(() => import('../features/dashboard/DashboardPage').then((m) => ({ default: m.DashboardPage })));

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
  { path: '/pools/:id/grants', area: 'pools', page: <GrantsPage /> },
  { path: '/pools/:id/lottery', area: 'pools', page: <PoolLotteryPage /> },
  {
    path: '/dashboard',
    area: 'dashboard',
    page: (
      <Suspense fallback={<Loading />}>
        <DashboardPage />
      </Suspense>
    ),
  },
  { path: '/settlements', area: 'settlement', page: <SettlementListPage area="settlement" /> },
  { path: '/approvals', area: 'approvals', page: <ApprovalsPage /> },
  { path: '/merchants', area: 'merchants', page: <MerchantEnrolmentPage /> },
  { path: '/audit', area: 'audit', page: <AuditPage /> },
  { path: '/eligible-pools', area: 'claimablePools', page: <EligiblePoolsPage /> },
  { path: '/eligible-pools/:id/apply', area: 'claimablePools', page: <ApplyPage /> },
  { path: '/wallet', area: 'wallet', page: <EnterpriseWalletPage /> },
  { path: '/confirmations', area: 'confirmations', page: <ConfirmationsPage /> },
  { path: '/history', area: 'history', page: <HistoryPage /> },
  { path: '/scanner', area: 'scanner', page: <ScannerPage /> },
  { path: '/today', area: 'today', page: <TodayPage /> },
  { path: '/receipts/:id', area: 'today', page: <ReceiptPage /> },
  { path: '/statements', area: 'statements', page: <SettlementListPage area="statements" /> },
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
      {
        // The published lottery result is for anyone signed in who can see the pool (the server decides).
        path: '/lottery/:poolId',
        element: (
          <RequireAuth>
            <LotteryResultPage />
          </RequireAuth>
        ),
      },
      ...AREAS.filter((area) => !BUILT_AREAS.has(area.id)).map((area) => ({
        path: area.path,
        element: guarded(area.id, <ComingSoonPage areaId={area.id} />),
      })),
      { path: '*', element: <NotFoundPage /> },
    ],
  },
]);
