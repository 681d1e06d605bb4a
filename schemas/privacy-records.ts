/** Records of the privacy topics (schemas/privacy-*.avsc). */

/** privacy.subjects, keyed by a blind index of one identity (`phone:<index>`, `email:<index>`). */
export interface PrivacySubjectEvent {
  kind: 'lead' | 'erase';
  leadId: string | null;
  requestId: string | null;
  parts: number | null;
  requestedBy: string | null;
  at: number;
}

/** privacy.erasures, keyed by request id: one part of an erasure request, done. */
export interface PrivacyErasure {
  requestId: string;
  part: string;
  parts: number;
  leadIds: string[];
  requestedBy: string;
  requestedAt: number;
  erasedAt: number;
}
