import type { APPLICATION_STATUSES, ATTACHMENT_MEDIA_TYPES } from './applications.schemas';

export type ApplicationStatus = (typeof APPLICATION_STATUSES)[number];
export type AttachmentMediaType = (typeof ATTACHMENT_MEDIA_TYPES)[number];

export interface ApplicationInput {
  contractRef: string;
  contractAmountFen: number;
  providerId: string;
  note?: string;
}

export interface Attachment {
  /** 1-based position; the download is `/applications/:id/attachments/:n` */
  n: number;
  name: string;
  sizeBytes: number;
  sha256: string;
  mediaType: AttachmentMediaType;
}

export interface Application {
  id: string;
  poolId: string;
  issuerId: string;
  applicantId: string;
  providerId: string;
  contractRef: string;
  contractAmountFen: number;
  note: string | null;
  status: ApplicationStatus;
  grantedFen: number | null;
  voucherId: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  rejectReason: string | null;
  attachments: Attachment[];
  createdAt: string;
}
