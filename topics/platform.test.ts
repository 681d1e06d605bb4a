import { defineProcessor, type Processor } from '../runtime/processor';
import { dlqTopic, retryTopic } from '../runtime/topic-spec';
import { DATA_CLASS_TOPICS, dataClassOf, DEFAULT_RETENTION_DAYS, platformCatalog, TOPIC } from './platform';

const DAY_MS = 24 * 3_600_000;

/** Whether a schema has a field named `name` anywhere inside it. */
function hasField(schema: unknown, name: string): boolean {
  if (Array.isArray(schema)) return schema.some((inner) => hasField(inner, name));
  if (schema === null || typeof schema !== 'object') return false;
  const node = schema as {
    name?: unknown;
    type?: unknown;
    fields?: unknown;
    items?: unknown;
    values?: unknown;
  };
  if (Array.isArray(node.fields) && node.fields.some((field: { name?: unknown }) => field.name === name))
    return true;
  return [node.type, node.fields, node.items, node.values].some((inner) => hasField(inner, name));
}

describe('data classes on topics', () => {
  test('by default raw and rejected leads are kept 90 days, training rows a year, compacted', () => {
    const catalog = platformCatalog();
    expect(DEFAULT_RETENTION_DAYS).toEqual({ rawLeads: 90, rejectedLeads: 90, training: 365 });
    expect(catalog.get(TOPIC.leadsRaw)).toMatchObject({ cleanup: 'delete', retentionMs: 90 * DAY_MS });
    expect(catalog.get(TOPIC.leadsRejected)).toMatchObject({ cleanup: 'delete', retentionMs: 90 * DAY_MS });
    expect(catalog.get(TOPIC.modelTraining)).toMatchObject({
      cleanup: 'compact,delete',
      retentionMs: 365 * DAY_MS,
    });
    // A downstream copy keeps its own, shorter retention.
    expect(catalog.get(TOPIC.leadsValid).retentionMs).toBe(30 * DAY_MS);
    expect(catalog.get(TOPIC.leadsByPhone).retentionMs).toBe(7 * DAY_MS);
  });

  test("the configured retention sets each class's topics, and caps every copy of its records", () => {
    const catalog = platformCatalog({ rawLeads: 14, training: 30 });
    expect(catalog.get(TOPIC.leadsRaw).retentionMs).toBe(14 * DAY_MS);
    for (const topic of [TOPIC.leadsValid, TOPIC.leadsEnriched, TOPIC.leadsScored])
      expect(catalog.get(topic).retentionMs).toBe(14 * DAY_MS);
    expect(catalog.get(TOPIC.leadsByPhone).retentionMs).toBe(7 * DAY_MS);
    expect(catalog.get(TOPIC.modelTraining)).toMatchObject({
      cleanup: 'compact,delete',
      retentionMs: 30 * DAY_MS,
    });
    // Unset classes keep the default; topics of no class keep their own retention.
    expect(catalog.get(TOPIC.leadsRejected).retentionMs).toBe(90 * DAY_MS);
    expect(catalog.get(TOPIC.leadsMatched).retentionMs).toBe(
      platformCatalog().get(TOPIC.leadsMatched).retentionMs,
    );
    expect(catalog.get(TOPIC.agents)).toEqual(platformCatalog().get(TOPIC.agents));
    // Longer than a topic's own retention: the class allows it, so the topic keeps it.
    expect(platformCatalog({ rawLeads: 365 }).get(TOPIC.leadsRaw).retentionMs).toBe(365 * DAY_MS);
    expect(platformCatalog({ rawLeads: 365 }).get(TOPIC.leadsValid).retentionMs).toBe(30 * DAY_MS);
  });

  test('dead letters and parked records never outlive the records they copy', () => {
    const parking: Processor<never> = defineProcessor<never>({
      name: 'parks-raw-leads',
      inputs: [TOPIC.leadsRaw],
      outputs: [],
      retryLaterMs: [60_000],
      process: () => undefined,
    });
    const short = platformCatalog({ rawLeads: 3 }).withProcessors('app', [parking]);
    expect(short.get(dlqTopic(TOPIC.leadsRaw)).retentionMs).toBe(3 * DAY_MS);
    expect(short.get(retryTopic('app', 'parks-raw-leads')).retentionMs).toBe(3 * DAY_MS);
    const long = platformCatalog().withProcessors('app', [parking]);
    expect(long.get(dlqTopic(TOPIC.leadsRaw)).retentionMs).toBe(30 * DAY_MS);
    expect(long.get(retryTopic('app', 'parks-raw-leads')).retentionMs).toBe(7 * DAY_MS);
  });

  test('every topic whose records carry a contact belongs to a data class, and only those', () => {
    const withContact = platformCatalog()
      .all()
      .filter((spec) => hasField(spec.valueSchema, 'contact'))
      .map((spec) => spec.name)
      .sort();
    expect(withContact).toEqual(Object.values(DATA_CLASS_TOPICS).flat().sort());
    expect(dataClassOf(TOPIC.leadsScored)).toBe('rawLeads');
    expect(dataClassOf(TOPIC.leadsRejected)).toBe('rejectedLeads');
    expect(dataClassOf(TOPIC.modelTraining)).toBe('training');
    expect(dataClassOf(TOPIC.assignments)).toBeUndefined();
  });
});
