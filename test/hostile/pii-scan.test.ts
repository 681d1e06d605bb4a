/**
 * Contact details stay in the leads: after a full `leadflow demo` run (every stage, the generator's
 * bad share, poison records, bad leads and files through the API) no log line, metric label, dead
 * letter reason, rejection or warning message, or API error answer holds any lead's phone (in any
 * usual format), email, first and last name together, or street address.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { runDemo, type DemoSummary } from '../../cli/demo';
import { loadConfig } from '../../config';
import { maskPhone } from '../../connectors/suppression/rows';
import { phoneIdentity, validateLead } from '../../processors/validate/rules';
import { Catalog } from '../../runtime/catalog';
import { RecordCodec } from '../../runtime/codec';
import { createLogger } from '../../runtime/log';
import { BuiltInSchemaRegistry } from '../../runtime/registry';
import { dlqTopic, type TopicSpec } from '../../runtime/topic-spec';
import { EmbeddedTransport } from '../../runtime/transports/embedded';
import { loadSchema } from '../../schemas/avro';
import type { RawLead } from '../../schemas/lead';
import { toRawLead } from '../../schemas/raw-lead';
import { platformCatalog, TOPIC } from '../../topics/platform';
import { generateLeads, type LeadBody } from '../../tools/generator/generate';
import { keysOnFirstUse } from '../support/privacy';
import { bearer, type Json, post, startApi, type TestApi, upload } from '../ingress/support';

jest.setTimeout(240_000);

/** Leads the demo generates; with a bad share of 0.2, some 100 of them are rejected. */
const DEMO_LEADS = Number(process.env.PII_SCAN_LEADS ?? 500);

/**
 * Finds any of the contact details it was given in a text: phones in any punctuation (as written,
 * digits, E.164, (415) 867-5309, 415-867-5309, 415.867.5309), emails as written and lower-cased
 * (and their local part), a first and last name both present as words, a street line. Hits are
 * reported with the value masked, so a failure does not print what it is about.
 */
class ContactFinder {
  private readonly phones = new Set<string>();
  /** Lower-cased text that must not appear, and how a hit on it is shown. */
  private readonly literals = new Map<string, string>();
  private readonly names: { first: string[]; last: string[] }[] = [];
  values = 0;

  add(contact: unknown): void {
    if (typeof contact !== 'object' || contact === null) return;
    const c = contact as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v).trim() : '');
    const phone = text(c.phone);
    const digits = phone.replace(/\D/g, '');
    const identity = phoneIdentity(phone);
    if (identity) this.phones.add(identity.slice(2));
    if (phone.length >= 7) this.literal(phone, `phone ${maskPhone(phone)}`);
    if (digits.length >= 7) this.literal(digits, `phone ${maskPhone(digits)}`);
    const email = text(c.email);
    const at = email.lastIndexOf('@');
    const shownEmail = `email ${email.slice(0, 1)}***${at >= 0 ? email.slice(at) : ''}`;
    if (email.length >= 6 && at !== 0) this.literal(email, shownEmail);
    if (at >= 6) this.literal(email.slice(0, at), shownEmail);
    const address = text(c.addressLine1);
    if (address.length >= 6) this.literal(address, `street ${address.replace(/[\p{L}\d]/gu, '*')}`);
    const first = words(text(c.firstName));
    const last = words(text(c.lastName));
    if (first.length > 0 && last.length > 0) {
      this.names.push({ first, last });
      this.values++;
    }
  }

  private literal(value: string, shown: string): void {
    if (!this.literals.has(value.toLowerCase())) this.values++;
    this.literals.set(value.toLowerCase(), shown);
  }

  /** What `text` gives away: an excerpt around each value, the value itself masked. */
  find(text: string): string[] {
    const found = new Map<string, string>();
    const lower = text.toLowerCase();
    const hit = (at: number, length: number, shown: string) =>
      found.set(
        shown,
        `${text.slice(Math.max(0, at - 50), at)}«${shown}»${text.slice(at + length, at + length + 50)}`,
      );
    for (const match of lower.matchAll(PHONE)) {
      const national = `${match[1]}${match[2]}${match[3]}`;
      if (this.phones.has(national)) hit(match.index, match[0].length, `phone ${maskPhone(national)}`);
    }
    for (const [value, shown] of this.literals) {
      const at = lower.indexOf(value);
      if (at >= 0 && !found.has(shown)) hit(at, value.length, shown);
    }
    const present = new Set(words(text));
    for (const { first, last } of this.names) {
      if ([...first, ...last].every((w) => present.has(w)))
        hit(lower.indexOf(last[0]!), last[0]!.length, `name ${first[0]![0]}. ${last[0]![0]}***`);
    }
    return [...found.values()];
  }
}

/** Ten NANP digits in the usual punctuations, not inside a longer run of digits. */
const PHONE = /(?<!\d)(?:\+?1[\s.-]?)?\(?(\d{3})\)?[\s.-]?(\d{3})[\s.-]?(\d{4})(?!\d)/g;

const words = (text: string) =>
  text
    .toLowerCase()
    .split(/[^\p{L}']+/u)
    .filter(Boolean);

/** Strings under these keys, at any depth of a record, are messages about it, not its data. */
const MESSAGE_KEYS = new Set(['message', 'reason', 'error', 'explanation']);

function messagesOf(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) messagesOf(item, out);
  else if (typeof value === 'object' && value !== null && !Buffer.isBuffer(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (MESSAGE_KEYS.has(key) && typeof child === 'string') out.push(child);
      else messagesOf(child, out);
    }
  }
  return out;
}

/** Every platform topic, and a dead letter topic for each, to decode what the run left. */
function scanCatalog(): Catalog {
  const platform = platformCatalog().all();
  const deadLetters: TopicSpec[] = platform.map((spec) => ({
    name: dlqTopic(spec.name),
    partitions: spec.partitions,
    cleanup: 'delete',
    retentionMs: null,
    format: 'avro',
    keySchema: 'string',
    valueSchema: loadSchema('dead-letter'),
    doc: '',
  }));
  return new Catalog([...platform, ...deadLetters]);
}

/**
 * Ways a vendor gets a lead's structure wrong while its contact details are in it: the API must
 * answer 400 naming the field, without the values.
 */
const BROKEN: { what: string; breaks: (lead: LeadBody) => unknown }[] = [
  { what: 'phone as an object', breaks: (l) => withContact(l, { phone: { number: l.contact.phone } }) },
  { what: 'email as an array', breaks: (l) => withContact(l, { email: [l.contact.email, l.contact.phone] }) },
  {
    what: 'first name past its limit',
    breaks: (l) => withContact(l, { firstName: `${l.contact.firstName} ${l.contact.lastName} `.repeat(40) }),
  },
  { what: 'line as the email', breaks: (l) => ({ ...l, line: l.contact.email ?? l.contact.phone }) },
  { what: 'date of birth as the phone', breaks: (l) => ({ ...l, dateOfBirth: String(l.contact.phone) }) },
  {
    what: 'consent time as the street',
    breaks: (l) => ({
      ...l,
      consent: { ...l.consent, timestamp: l.contact.addressLine1 ?? l.contact.phone },
    }),
  },
  { what: 'contact as one string', breaks: (l) => ({ ...l, contact: contactLine(l) }) },
  { what: 'state as the name', breaks: (l) => withContact(l, { state: contactLine(l) }) },
  { what: 'unknown field too long', breaks: (l) => ({ ...l, callMe: contactLine(l).repeat(200) }) },
];

/** Leads the API takes, with contact details where validate finds fault or warns. */
const MISPLACED: { what: string; moves: (lead: LeadBody) => unknown }[] = [
  { what: 'state holds the phone', moves: (l) => withContact(l, { state: String(l.contact.phone) }) },
  { what: 'ZIP holds the phone', moves: (l) => withContact(l, { zip: String(l.contact.phone) }) },
  { what: 'first name holds the email', moves: (l) => withContact(l, { firstName: l.contact.email }) },
  { what: 'email holds the street', moves: (l) => withContact(l, { email: l.contact.addressLine1 }) },
  {
    what: 'vanity phone',
    moves: (l) =>
      withContact(l, { phone: `${String(l.contact.phone).replace(/\D/g, '').slice(-10, -7)}-FLOWERS` }),
  },
  { what: 'phone with an extension', moves: (l) => withContact(l, { phone: `${l.contact.phone} ext. 21` }) },
];

const withContact = (lead: LeadBody, change: Record<string, unknown>) => ({
  ...lead,
  contact: { ...lead.contact, ...change },
});
const contactLine = (l: LeadBody) =>
  `${l.contact.firstName} ${l.contact.lastName}, ${l.contact.addressLine1 ?? ''}, ${l.contact.phone}, ${l.contact.email ?? ''}`;

describe('no contact details outside the leads, after a full demo run', () => {
  const logLines: string[] = [];
  const answers: { what: string; status: number; body: string }[] = [];
  const finder = new ContactFinder();
  let dir: string;
  let transport: EmbeddedTransport;
  let api: TestApi | undefined;
  let codec: RecordCodec;
  let summary: DemoSummary;
  let metrics: string;
  let poison = 0;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-pii-'));
    transport = new EmbeddedTransport({ file: path.join(dir, 'log.sqlite') });
    const registry = new BuiltInSchemaRegistry(transport.schemaLog());
    await transport.applyTopics(platformCatalog().all());
    const logTo = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        callback();
      },
    });
    api = await startApi(transport, registry, {
      appId: 'pii-scan',
      logTo,
      logLevel: 'debug',
      limits: { rateLimitPerMinute: 1_000_000 },
    });
    const { apiKey } = await api.vendor('pii-vendor');
    const auth = bearer(apiKey);
    const answer = async (what: string, sent: Promise<{ status: number; json: Json }>) => {
      const { status, json } = await sent;
      answers.push({ what, status, body: JSON.stringify(json) });
    };

    // Probe leads go in through the API, as files and as poison, before the demo's own leads.
    const { leads: probes } = generateLeads({ count: 24, seed: 'pii-probe', badShare: 0.5 });
    for (const probe of probes) finder.add(probe.contact);
    for (const [i, probe] of probes.entries()) {
      await answer('lead', post(api.base, '/v1/leads', probe, auth));
      const broken = BROKEN[i % BROKEN.length]!;
      await answer(broken.what, post(api.base, '/v1/leads', broken.breaks(probe), auth));
      const misplaced = MISPLACED[i % MISPLACED.length]!;
      await answer(misplaced.what, post(api.base, '/v1/leads', misplaced.moves(probe), auth));
    }
    await answer(
      'batch with a broken lead',
      post(api.base, '/v1/leads/batch', { leads: [probes[0], BROKEN[0]!.breaks(probes[1]!)] }, auth),
    );
    await answer(
      'truncated JSON',
      post(api.base, '/v1/leads', JSON.stringify(probes[2]).slice(0, -20), auth),
    );
    const file = [
      JSON.stringify(probes[3]),
      `${JSON.stringify(probes[4]).slice(0, -1)},"note":NaN}`,
      JSON.stringify([probes[5]!.contact]),
      `{"contact":{"email":${probes[8]!.contact.email},"phone":${probes[8]!.contact.phone}}}`,
      JSON.stringify(BROKEN[1]!.breaks(probes[6]!)),
    ].join('\n');
    const uploaded = await upload(api.base, 'probes.ndjson', file, auth);
    answers.push({ what: 'upload', status: uploaded.status, body: JSON.stringify(uploaded.json) });
    const report = await fetch(`${api.base}/v1/uploads/${uploaded.json.upload_id}/report.csv`, {
      headers: auth,
    });
    answers.push({ what: 'upload report', status: report.status, body: await report.text() });

    codec = new RecordCodec(scanCatalog(), registry, { keys: keysOnFirstUse(api.vault, transport) });
    await codec.prepare([TOPIC.leadsRaw, TOPIC.leadsValid]);
    const intake = { vendorId: 'pii-vendor', channel: 'api', receivedAt: Date.now() };
    const raw = toRawLead(probes[7], intake);
    const rawRecord = codec.encode(TOPIC.leadsRaw, 'poison', raw);
    const valid = probes
      .map((body) => validateLead(toRawLead(body, intake), { now: intake.receivedAt, consentMaxAgeDays: 90 }))
      .find((result) => result.status === 'valid');
    if (valid?.status !== 'valid') throw new Error('no probe lead is valid');
    const validRecord = codec.encode(TOPIC.leadsValid, valid.lead.leadId, valid.lead);
    const poisoned = [
      { ...rawRecord, value: Buffer.from(raw.body) },
      { ...rawRecord, value: rawRecord.value!.subarray(0, rawRecord.value!.length - 60) },
      { ...rawRecord, value: null },
      { ...validRecord, value: Buffer.from(JSON.stringify(valid.lead)) },
      { ...validRecord, value: validRecord.value!.subarray(0, validRecord.value!.length - 60) },
    ];
    poison = poisoned.length;
    await transport.produce(poisoned);

    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'debug', LEADFLOW_TRANSPORT: 'embedded' };
    // The shared services are not the demo's: PGlite in the run's directory, no graph, no LLM.
    for (const name of ['DATABASE_URL', 'NEO4J_URL', 'REDIS_URL', 'OPENAI_BASE_URL', 'OPENAI_API_KEY'])
      delete env[name];
    const config = loadConfig(env);
    summary = await runDemo(
      { leads: DEMO_LEADS, seed: 'pii-scan', badShare: 0.2 },
      { config, log: createLogger('debug', logTo), transport, registry, dir },
    );
    metrics = await (await fetch(`${api.base}/metrics`)).text();

    for (const record of await transport.read(TOPIC.leadsRaw)) {
      try {
        const { value } = await codec.decode<RawLead>(record);
        finder.add((JSON.parse(value.body) as { contact?: unknown }).contact);
      } catch {
        // The poison above: its contact details are the probes'.
      }
    }
  });

  afterAll(async () => {
    await api?.close();
    await transport?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('log lines', () => {
    // Both sides were heard: the API's requests and the stages' dead letters.
    const messages = new Set(logLines.map((line) => (JSON.parse(line) as { msg: string }).msg));
    expect([...messages]).toEqual(
      expect.arrayContaining(['incoming request', 'request completed', 'record sent to dead letter topic']),
    );
    const hits = logLines.flatMap((line) => finder.find(line));
    console.log(
      `PII scan: ${summary.raw} leads on leads.raw (${summary.rejected} rejected, ${summary.dead_letters} dead letters), ` +
        `${finder.values} contact values looked for; logs: ${logLines.length} lines at debug, ${hits.length} hits`,
    );
    expect(hits).toEqual([]);
  });

  test('metric label values', () => {
    const labels = [...metrics.matchAll(/^[a-z_]+\{(.*)\} /gm)].flatMap((line) =>
      [...line[1]!.matchAll(/\w+="((?:[^"\\]|\\.)*)"/g)].map((label) => label[1]!),
    );
    const values = [...new Set(labels)];
    // The funnel metrics by vendor and reason are among them.
    expect(values).toEqual(expect.arrayContaining(['pii-vendor', 'duplicate_contact', 'validate']));
    const hits = values.flatMap((value) => finder.find(value));
    console.log(`PII scan: /metrics: ${values.length} distinct label values, ${hits.length} hits`);
    expect(hits).toEqual([]);
  });

  test('dead letters: what they say about the failure', async () => {
    const texts: string[] = [];
    let deadLetters = 0;
    for (const { name } of await transport.describeTopics()) {
      if (!name.endsWith('.dlq')) continue;
      for (const record of await transport.read(name)) {
        deadLetters++;
        const { key, value } = await codec.decode<Record<string, unknown>>(record);
        // Only our own fields: key, value and headers are the failed record's bytes, the data
        // itself, kept for a replay (encrypting them is a later step, not this scan's).
        const { processor, errorType, error, sourceTopic, timerKey } = value;
        texts.push(key, ...[processor, errorType, error, sourceTopic, timerKey].map((v) => String(v ?? '')));
      }
    }
    expect(deadLetters).toBeGreaterThanOrEqual(poison);
    const hits = texts.flatMap((text) => finder.find(text));
    console.log(`PII scan: ${deadLetters} dead letters, ${hits.length} hits`);
    expect(hits).toEqual([]);
  });

  test('rejection reasons, warnings and other messages on the topics', async () => {
    const byTopic: Record<string, number> = {};
    const hits: string[] = [];
    for (const { name } of await transport.describeTopics()) {
      if (!codec.catalog.has(name) || name.endsWith('.dlq')) continue;
      for (const record of await transport.read(name)) {
        let value: unknown;
        try {
          ({ value } = await codec.decode(record));
        } catch {
          continue; // poison
        }
        const messages = messagesOf(value);
        byTopic[name] = (byTopic[name] ?? 0) + messages.length;
        hits.push(...messages.flatMap((message) => finder.find(message).map((hit) => `${name}: ${hit}`)));
      }
    }
    expect(byTopic[TOPIC.leadsRejected]).toBeGreaterThanOrEqual(summary.rejected);
    expect(byTopic[TOPIC.leadsValid]).toBeGreaterThan(0);
    const counts = Object.entries(byTopic)
      .map(([topic, n]) => `${topic} ${n}`)
      .join(', ');
    console.log(`PII scan: messages on topics (${counts}), ${hits.length} hits`);
    expect(hits).toEqual([]);
  });

  test('API answers to bad input', () => {
    const refused = answers.filter((a) => a.status >= 400);
    expect(refused.length).toBeGreaterThanOrEqual(BROKEN.length);
    // The misplaced values were taken, so validate judged them and its reasons were scanned.
    const misplaced = answers.filter((a) => MISPLACED.some((m) => m.what === a.what));
    expect(misplaced.map((a) => a.status)).toEqual(misplaced.map(() => 202));
    expect(answers.find((a) => a.what === 'upload report')?.body).toContain('invalid_json');
    const hits = answers.flatMap((a) => finder.find(a.body).map((hit) => `${a.what} (${a.status}): ${hit}`));
    const statuses = answers.reduce<Record<number, number>>(
      (tally, a) => ({ ...tally, [a.status]: (tally[a.status] ?? 0) + 1 }),
      {},
    );
    console.log(`PII scan: ${answers.length} API answers (${JSON.stringify(statuses)}), ${hits.length} hits`);
    expect(hits).toEqual([]);
  });
});
