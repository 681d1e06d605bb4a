import { loadSchema } from '../schemas/avro';
import { Catalog } from './catalog';
import { RETENTION, type TopicSpec } from './spec';

/** Partitions of the lead flow. Topics a processor reads together must share this count. */
export const LEAD_PARTITIONS = 6;

const avro = (
  name: string,
  schema: string,
  doc: string,
  options: Partial<Pick<TopicSpec, 'partitions' | 'cleanup' | 'retentionMs'>> = {},
): TopicSpec => ({
  name,
  partitions: options.partitions ?? LEAD_PARTITIONS,
  cleanup: options.cleanup ?? 'delete',
  retentionMs: options.retentionMs === undefined ? RETENTION.month : options.retentionMs,
  format: 'avro',
  keySchema: 'string',
  valueSchema: loadSchema(schema),
  doc,
});

/** Topic names, so code refers to a topic by a checked identifier rather than a string. */
export const TOPIC = {
  leadsRaw: 'leads.raw',
  leadsByPhone: 'leads.by-phone',
  leadsByEmail: 'leads.by-email',
  doNotContact: 'contacts.dnc',
  leadsValid: 'leads.valid',
  leadsRejected: 'leads.rejected',
  leadsEnriched: 'leads.enriched',
} as const;

/**
 * The platform's topics, in flow order. Each stage adds its topics here; internal topics
 * (changelogs, dead letters) are derived from the processors by `Catalog.withProcessors`.
 */
export const platformTopics: TopicSpec[] = [
  avro(
    TOPIC.leadsRaw,
    'lead-raw',
    'Leads as received (HTTP, files, replays), keyed by lead id; the body is kept verbatim.',
    {
      retentionMs: 90 * 24 * 3_600_000,
    },
  ),
  avro(
    TOPIC.leadsByPhone,
    'lead-valid',
    'Leads that passed the field rules, re-keyed by phone identity for the duplicate and do-not-contact screen.',
    {
      retentionMs: RETENTION.week,
    },
  ),
  avro(
    TOPIC.leadsByEmail,
    'lead-valid',
    'Leads that passed the phone screen, re-keyed by email identity (or lead id when there is no email).',
    {
      retentionMs: RETENTION.week,
    },
  ),
  avro(
    TOPIC.doNotContact,
    'do-not-contact',
    'The do-not-contact list, keyed by identity (phone:+1..., email:...).',
    {
      cleanup: 'compact',
      retentionMs: RETENTION.forever,
    },
  ),
  avro(TOPIC.leadsValid, 'lead-valid', 'Validated, normalised leads, keyed by lead id.'),
  avro(
    TOPIC.leadsRejected,
    'lead-rejected',
    'Leads that failed a rule, with every reason; keyed by lead id.',
    {
      retentionMs: 90 * 24 * 3_600_000,
    },
  ),
  avro(
    TOPIC.leadsEnriched,
    'lead-enriched',
    'Validated leads with geography, contact window, age and data quality.',
  ),
];

export const platformCatalog = () => new Catalog(platformTopics);
