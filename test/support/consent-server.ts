/**
 * Consent certificate providers on loopback for the consent connector's tests, speaking the shapes
 * connectors/consent/trustedform.ts and jornaya.ts document:
 * - TrustedForm v4: POST {url}/trustedform/{certificate id}, Basic auth "API:<key>", api-version 4.0,
 *   answering match_lead, retain, insights and verify from the certificates a test registers;
 * - Jornaya: GET {url}/jornaya/Authenticate and POST {url}/jornaya/SingleQuery, answering from the
 *   tokens a test registers (authentic 0 with reason 4 for unknown ones, as Jornaya documents).
 * Faults queued with `failNext` answer the next requests instead (any provider): a status with an
 * optional Retry-After, or a slow answer. Wrong credentials get 401 from both; for Jornaya that is
 * our stand-in, since its pages do not say what a bad account code gets.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export const CONSENT_CREDENTIALS = {
  trustedFormKey: 'tf-test-key-0123456789',
  jornayaAccountCode: 'AAAAAAAA-BBBB-CCCC-DDDD',
  jornayaAuditKey: 'EEEEEEEE-FFFF-0000-1111',
  jornayaProviderCode: 'vendor-7',
};

export interface TrustedFormCertificate {
  /** Epoch ms. */
  createdAt: number;
  pageUrl: string;
  consentTexts: string[];
  /** What the form recorded; compared with match_lead after normalising. */
  email: string | null;
  phone: string | null;
  /** TrustedForm Verify's answer; true unless set. */
  languageApproved?: boolean;
  /** Epoch ms; 90 days after creation unless set. */
  expiresAt?: number;
  /** Past its time to live: 410. */
  gone?: boolean;
  /** An outcome of failure with this reason and nothing else wrong. */
  failureReason?: string;
}

export interface JornayaToken {
  createdAt: number;
  email: string | null;
  phone: string | null;
  authentic?: 0 | 1;
  reason?: 1 | 2 | 3 | 4;
}

export type Fault =
  { kind: 'status'; status: number; retryAfterSeconds?: number } | { kind: 'slow'; ms: number };

export interface RecordedRequest {
  method: string;
  /** With the query string. */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface ConsentServer {
  trustedFormBaseUrl: string;
  jornayaBaseUrl: string;
  requests: RecordedRequest[];
  registerTrustedForm(id: string, certificate: TrustedFormCertificate): void;
  registerJornaya(token: string, record: JornayaToken): void;
  failNext(fault: Fault, times?: number): void;
  close(): Promise<void>;
}

const DAY_MS = 24 * 3600 * 1000;

export async function startConsentServer(): Promise<ConsentServer> {
  const certificates = new Map<string, TrustedFormCertificate>();
  const retained = new Set<string>();
  const tokens = new Map<string, JornayaToken>();
  const faults: Fault[] = [];
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();

  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const json = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        if (res.destroyed) return;
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(payload));
      };
      const answer = () => {
        const url = new URL(req.url ?? '/', 'http://localhost');
        const trustedForm = /^\/trustedform\/([^/]+)$/.exec(url.pathname);
        if (trustedForm && req.method === 'POST') {
          const [status, payload] = answerTrustedForm(decodeURIComponent(trustedForm[1]!), req.headers, body);
          return json(status, payload);
        }
        if (url.pathname === '/jornaya/Authenticate' && req.method === 'GET') {
          const [status, payload] = answerJornaya(url.searchParams, false);
          return json(status, payload);
        }
        if (url.pathname === '/jornaya/SingleQuery' && req.method === 'POST') {
          const [status, payload] = answerJornaya(new URLSearchParams(body), true);
          return json(status, payload);
        }
        json(404, { error: 'no such endpoint' });
      };
      const fault = faults.shift();
      if (fault?.kind === 'status') {
        const headers: Record<string, string> =
          fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
        return json(fault.status, { outcome: 'error', reason: `injected HTTP ${fault.status}` }, headers);
      }
      if (fault?.kind === 'slow') {
        setTimeout(answer, fault.ms);
        return;
      }
      answer();
    });
  });

  function answerTrustedForm(id: string, headers: http.IncomingHttpHeaders, text: string): [number, unknown] {
    const expected = `Basic ${Buffer.from(`API:${CONSENT_CREDENTIALS.trustedFormKey}`).toString('base64')}`;
    if (headers.authorization !== expected) return [401, { outcome: 'error', reason: 'invalid API key' }];
    if (headers['api-version'] !== '4.0')
      return [400, { outcome: 'error', reason: 'api-version 4.0 expected' }];
    const certificate = certificates.get(id);
    if (!certificate) return [404, { outcome: 'error', reason: 'certificate not found' }];
    if (certificate.gone) return [410, { outcome: 'error', reason: 'certificate expired' }];
    const request = JSON.parse(text || '{}') as {
      match_lead?: { email?: string; phone?: string };
      retain?: { reference?: string; vendor?: string };
      insights?: { properties?: string[] };
      verify?: object;
    };
    const now = Date.now();
    const answer: Record<string, unknown> = {};
    const failures: string[] = [];

    if (request.match_lead) {
      const emailMatch = compare(request.match_lead.email, certificate.email, (e) => e.trim().toLowerCase());
      const phoneMatch = compare(request.match_lead.phone, certificate.phone, digits);
      const success = emailMatch === true || phoneMatch === true;
      if (!success) failures.push('Lead data did not match');
      answer.match_lead = {
        ...request.match_lead,
        result: { email_match: emailMatch, phone_match: phoneMatch, success },
      };
    }
    if (request.retain) {
      if (!request.match_lead)
        return [400, { outcome: 'error', reason: 'match_lead is required with retain' }];
      answer.retain = {
        ...request.retain,
        results: { expires_at: iso(now + 5 * 365 * DAY_MS), previously_retained: retained.has(id) },
      };
      retained.add(id);
    }
    if (request.insights) {
      const all: Record<string, unknown> = {
        age_seconds: Math.floor((now - certificate.createdAt) / 1000),
        created_at: iso(certificate.createdAt),
        expires_at: iso(certificate.expiresAt ?? certificate.createdAt + 90 * DAY_MS),
        page_url: certificate.pageUrl,
      };
      const properties = Object.fromEntries(
        (request.insights.properties ?? []).filter((name) => name in all).map((name) => [name, all[name]]),
      );
      answer.insights = { properties };
    }
    if (request.verify) {
      const approved = certificate.languageApproved ?? true;
      if (!approved) failures.push('Consent language not approved');
      answer.verify = {
        languages: certificate.consentTexts.map((language) => ({ text: language })),
        result: { language_approved: approved, form_submitted: true, success: approved },
      };
    }
    if (certificate.failureReason) failures.push(certificate.failureReason);
    answer.outcome = failures.length ? 'failure' : 'success';
    answer.reason = failures.length ? failures.join('; ') : null;
    return [200, answer];
  }

  function answerJornaya(params: URLSearchParams, audit: boolean): [number, unknown] {
    if (params.get('lac') !== CONSENT_CREDENTIALS.jornayaAccountCode)
      return [401, { error: 'unknown account' }];
    if (audit && params.get('lak') !== CONSENT_CREDENTIALS.jornayaAuditKey)
      return [401, { error: 'unknown audit key' }];
    if (audit && !params.get('lpc')) return [400, { error: 'lpc is required' }];
    const token = params.get('id') ?? '';
    const record = tokens.get(token);
    const root = audit ? 'audit' : 'authenticate';
    if (!record) return [200, { [root]: { authentic: 0, reason: 4, token }, transid: 'T-unknown' }];
    const authentic = record.authentic ?? 1;
    const verdict = { authentic, token, ...(authentic === 0 && { reason: record.reason ?? 4 }) };
    if (!audit) return [200, { authenticate: verdict }];

    const sent = new Map(
      (params.get('data') ?? '')
        .split('|')
        .filter(Boolean)
        .map((pair) => pair.split(';') as [string, string]),
    );
    const passed: string[] = [];
    const failed: string[] = [];
    const check = (label: string, recorded: string | null, normalise: (value: string) => string) => {
      const value = sent.get(label);
      if (value === undefined) return;
      (recorded !== null && normalise(value) === normalise(recorded) ? passed : failed).push(label);
    };
    check('email', record.email, (e) => e.trim().toLowerCase());
    check('phone1', record.phone, digits);
    return [
      200,
      {
        audit: {
          ...verdict,
          lead_age: Math.floor((Date.now() - record.createdAt) / 1000),
          data_integrity: failed.length ? 0 : passed.length ? 1 : 3,
          data_integrity_passed: passed,
          data_integrity_failed: failed,
        },
        transid: `T-${token}`,
      },
    ];
  }

  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    trustedFormBaseUrl: `${url}/trustedform`,
    jornayaBaseUrl: `${url}/jornaya`,
    requests,
    registerTrustedForm: (id, certificate) => certificates.set(id, certificate),
    registerJornaya: (token, record) => tokens.set(token, record),
    failNext: (fault, times = 1) => {
      for (let i = 0; i < times; i++) faults.push(fault);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Null when the lead sent nothing for it, as TrustedForm reports it. */
function compare(sent: string | undefined, recorded: string | null, normalise: (value: string) => string) {
  if (sent === undefined || sent === '') return null;
  return recorded !== null && normalise(sent) === normalise(recorded);
}

/** Ten digits for a US number, however it was written. */
function digits(phone: string): string {
  const all = phone.replace(/\D/g, '');
  return all.length === 11 && all.startsWith('1') ? all.slice(1) : all;
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
