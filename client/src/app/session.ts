/** The signed-in user's id and roles, as read from GET /me (null fields until it has loaded). */
import { useMemo } from 'react';
import { isRole, type Role } from '../api/types';
import { useAuth } from './AuthContext';

export interface Session {
  userId: string | null;
  roles: ReadonlySet<Role>;
  has: (...roles: Role[]) => boolean;
}

export function useSession(): Session {
  const { me } = useAuth();
  return useMemo(() => {
    const ready = me.status === 'ready' ? me.me : null;
    const roles = new Set<Role>((ready?.memberships ?? []).map((m) => m.role).filter(isRole));
    return { userId: ready?.id ?? null, roles, has: (...wanted: Role[]) => wanted.some((r) => roles.has(r)) };
  }, [me]);
}
