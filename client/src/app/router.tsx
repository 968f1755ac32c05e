/** Routes: /login is public; everything else needs a session. */
import { createBrowserRouter } from 'react-router-dom';
import { LoginPage } from '../features/auth/LoginPage';
import { AREAS } from '../features/home/areas';
import { HomePage } from '../features/home/HomePage';
import { ComingSoonPage } from '../features/placeholder/ComingSoonPage';
import { NotFoundPage } from '../features/placeholder/NotFoundPage';
import { Layout } from './Layout';
import { RequireAuth } from './RequireAuth';

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
      ...AREAS.map((area) => ({
        path: area.path,
        element: (
          <RequireAuth>
            <ComingSoonPage areaId={area.id} />
          </RequireAuth>
        ),
      })),
      { path: '*', element: <NotFoundPage /> },
    ],
  },
]);
