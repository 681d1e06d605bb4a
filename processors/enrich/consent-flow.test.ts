/**
 * The enrich stage with a consent certificate provider, on both transports, against a local server
 * speaking TrustedForm's API: a matching certificate is verified on the lead, a refused one
 * rejects the lead, and while the provider is out a lead is held (parked, then through) or passes
 * flagged, as the outage policy says.
 */
import { ConsentVerifier, DEFAULT_VERDICT_RULES, type OutagePolicy } from '../../connectors/consent';
import { Pipeline } from '../../runtime/pipeline';
import type { EnrichedLead, RejectedLead, ValidLead } from '../../schemas/lead';
import { sampleLeadBody, sampleRawLead } from '../../schemas/lead-samples';
import {
  CONSENT_CREDENTIALS,
  type ConsentServer,
  startConsentServer,
} from '../../test/support/consent-server';
import { codecFor, eventually, readValues, testLog, transportsUnderTest } from '../../test/support/harness';
import { platformCatalog, TOPIC } from '../../topics/platform';
import { validateLead } from '../validate/rules';
import { enrichProcessor } from './processor';

jest.setTimeout(180_000);

const PAGE = 'https://acme-leads.example/quote/auto';

/** A valid lead received now, its consent given a minute before, with this TrustedForm certificate. */
function validLead(leadId: string, certificate: string, now: number): ValidLead {
  const body = sampleLeadBody();
  body.consent = {
    ...body.consent,
    certificateId: `https://cert.trustedform.com/${certificate}`,
    timestamp: new Date(now - 60_000).toISOString(),
  };
  const result = validateLead(sampleRawLead(body, { leadId, receivedAt: now }), {
    now,
    consentMaxAgeDays: 90,
  });
  if (result.status !== 'valid') throw new Error(`sample lead ${leadId} is not valid`);
  return { ...result.lead, validatedAt: now };
}

const certificateId = (n: number) => n.toString(16).padStart(40, '0');

function verifier(server: ConsentServer, outagePolicy: OutagePolicy): ConsentVerifier {
  return new ConsentVerifier({
    trustedForm: { baseUrl: server.trustedFormBaseUrl, apiKey: CONSENT_CREDENTIALS.trustedFormKey },
    jornaya: null,
    rules: DEFAULT_VERDICT_RULES,
    timeoutMs: 2000,
    retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 50, jitter: 0 },
    outagePolicy,
    breaker: { failureThreshold: 100, cooldownMs: 100 },
  });
}

for (const choice of transportsUnderTest()) {
  (choice.gate.run ? describe : describe.skip)(`enrich with consent verification: ${choice.kind}`, () => {
    beforeAll(() => {
      if (choice.gate.reason) throw new Error(choice.gate.reason);
    });

    async function run(
      outagePolicy: OutagePolicy,
      leads: (now: number, server: ConsentServer) => ValidLead[],
    ) {
      const harness = choice.create();
      const server = await startConsentServer();
      try {
        const transport = harness.connect();
        const enrich = enrichProcessor({ consent: verifier(server, outagePolicy), holdRoundsMs: [300] });
        const catalog = platformCatalog();
        await transport.applyTopics(catalog.withProcessors(harness.prefix, [enrich as never]).all());
        const { codec, vault } = await codecFor(transport, catalog, [TOPIC.leadsValid]);
        const pipeline = await Pipeline.start({
          appId: harness.prefix,
          transport,
          keys: vault,
          registry: harness.registry(transport),
          catalog,
          processors: [enrich as never],
          log: testLog,
        });
        const sent = leads(Date.now(), server);
        await transport.produce(sent.map((lead) => codec.encode(TOPIC.leadsValid, lead.leadId, lead)));
        const outcomes = async () => ({
          enriched: await readValues<EnrichedLead>(transport, codec, TOPIC.leadsEnriched),
          rejected: await readValues<RejectedLead>(transport, codec, TOPIC.leadsRejected),
        });
        await eventually(
          async () => {
            const { enriched, rejected } = await outcomes();
            return enriched.length + rejected.length >= sent.length;
          },
          60_000,
          'every lead enriched or rejected',
        );
        await pipeline.waitIdle();
        await pipeline.stop();
        return { ...(await outcomes()), requests: server.requests };
      } finally {
        await server.close();
        await harness.dispose();
      }
    }

    test('a matching certificate is verified on the lead; a refused one rejects the lead', async () => {
      const { enriched, rejected } = await run('hold', (now, server) => {
        const certificate = (n: number, pageUrl: string) =>
          server.registerTrustedForm(certificateId(n), {
            createdAt: now - 60_000,
            pageUrl,
            consentTexts: [sampleLeadBody().consent.text as string],
            email: 'jane.obrien@gmail.com',
            phone: '4158675309',
          });
        certificate(1, PAGE);
        certificate(2, 'https://another-site.example/form');
        return [
          validLead('verified', certificateId(1), now),
          validLead('elsewhere', certificateId(2), now),
          validLead('unknown', certificateId(3), now),
        ];
      });
      expect(enriched.map((l) => [l.leadId, l.consentVerification?.verdict])).toEqual([
        ['verified', 'verified'],
      ]);
      expect(enriched[0]!.consentVerification).toMatchObject({ provider: 'trustedform', pageUrl: PAGE });
      const byLead = new Map(rejected.map((r) => [r.leadId, r]));
      expect([...byLead.keys()].sort()).toEqual(['elsewhere', 'unknown']);
      for (const [leadId, verdict] of [
        ['elsewhere', 'mismatch'],
        ['unknown', 'not found'],
      ] as const) {
        const lead = byLead.get(leadId)!;
        expect(lead.stage).toBe('enrich');
        expect(lead.reasons).toHaveLength(1);
        expect(lead.reasons[0]).toMatchObject({ code: 'consent_unverified', field: 'consent.certificateId' });
        expect(lead.reasons[0]!.message).toContain(`is ${verdict}`);
        // Error texts are logged and shown: never the lead's phone or email.
        expect(lead.reasons[0]!.message).not.toMatch(/4158675309|obrien@/i);
      }
    });

    test('while the provider is out, a held lead waits for a later round and then is verified', async () => {
      const { enriched, rejected, requests } = await run('hold', (now, server) => {
        server.registerTrustedForm(certificateId(4), {
          createdAt: now - 60_000,
          pageUrl: PAGE,
          consentTexts: [sampleLeadBody().consent.text as string],
          email: null,
          phone: '4158675309',
        });
        // More failures than the in-place attempts (2 per check, 5 checks): only a round helps.
        server.failNext({ kind: 'status', status: 503 }, 10);
        return [validLead('held', certificateId(4), now)];
      });
      expect(rejected).toEqual([]);
      expect(enriched.map((l) => [l.leadId, l.consentVerification?.verdict])).toEqual([['held', 'verified']]);
      expect(requests.length).toBeGreaterThan(10);
    });

    test('with pass-flagged, a lead the provider cannot answer for goes on with a warning', async () => {
      const { enriched } = await run('pass-flagged', (now, server) => {
        server.failNext({ kind: 'status', status: 503 }, 100);
        return [validLead('flagged', certificateId(5), now)];
      });
      expect(enriched).toHaveLength(1);
      expect(enriched[0]!.consentVerification?.verdict).toBe('unavailable');
      expect(enriched[0]!.warnings.map((w) => w.code)).toContain('consent_unchecked');
    });
  });
}
