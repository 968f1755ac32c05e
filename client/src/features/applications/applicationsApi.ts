/** Typed calls of applications (申请 + 审核): submitting with attachments, lists, decisions. */
import type { Application, ApplicationStatus, Page } from '@hqt/shared';
import { api } from '../../api/client';
import { withQuery } from '../../api/query';

/**
 * An application with the fields the approval queue shows when the server sends them: who
 * submitted it, and the names of the applicant, the provider and the pool. The API does not
 * send them yet; until it does, the queue falls back to ids and the lists it can read.
 */
export type ApplicationView = Application & {
  submittedBy?: string;
  submittedByName?: string | null;
  applicantNameZh?: string | null;
  providerNameZh?: string | null;
  poolNameZh?: string | null;
};

export interface ApplicationDraft {
  contractRef: string;
  contractAmountFen: number;
  providerId: string;
  note: string;
  files: readonly File[];
}

export const applicationsApi = {
  submit: (poolId: string, draft: ApplicationDraft) => {
    const form = new FormData();
    form.set('contractRef', draft.contractRef);
    form.set('contractAmountFen', String(draft.contractAmountFen));
    form.set('providerId', draft.providerId);
    if (draft.note !== '') form.set('note', draft.note);
    for (const file of draft.files) form.append('attachments', file, file.name);
    return api.request<ApplicationView>(`/pools/${encodeURIComponent(poolId)}/applications`, { method: 'POST', form });
  },

  list: (params: { status?: ApplicationStatus; poolId?: string; cursor?: string }, signal?: AbortSignal) =>
    api.request<Page<ApplicationView>>(withQuery('/applications', { limit: 200, ...params }), { signal }),

  approve: (id: string) => api.request<ApplicationView>(`/applications/${encodeURIComponent(id)}/approve`, { method: 'POST' }),

  reject: (id: string, reason: string) =>
    api.request<ApplicationView>(`/applications/${encodeURIComponent(id)}/reject`, { method: 'POST', body: { reason } }),

  attachmentPath: (id: string, n: number) => `/applications/${encodeURIComponent(id)}/attachments/${n}`,
};
