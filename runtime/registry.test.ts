import { EmbeddedTransport } from './transports/embedded';
import { schemaRegistryGate, schemaRegistryUrl } from '../test/support/services';
import {
  BuiltInSchemaRegistry,
  ConfluentSchemaRegistry,
  SchemaIncompatibleError,
  type SchemaRegistry,
  UnknownSchemaIdError,
} from './registry';

const v1 = {
  type: 'record',
  name: 'Thing',
  namespace: 'test',
  fields: [{ name: 'id', type: 'string' }],
} as const;
const v2 = {
  ...v1,
  fields: [...v1.fields, { name: 'note', type: ['null', 'string'], default: null }],
} as const;
const breaking = { ...v1, fields: [...v1.fields, { name: 'size', type: 'int' }] } as const;

function registryContract(name: string, make: () => SchemaRegistry, subjectPrefix: () => string) {
  describe(name, () => {
    test('registers, finds by id, accepts a compatible change and refuses a breaking one', async () => {
      const registry = make();
      const subject = `${subjectPrefix()}-thing-value`;
      const id1 = await registry.register(subject, v1 as never);
      expect(await registry.register(subject, v1 as never)).toBe(id1);
      expect(await registry.schemaById(id1)).toMatchObject({ name: 'Thing' });
      const id2 = await registry.register(subject, v2 as never);
      expect(id2).not.toBe(id1);
      // A process still on the older version finds it registered (a rolling upgrade).
      expect(await registry.register(subject, v1 as never)).toBe(id1);
      await expect(registry.register(subject, breaking as never)).rejects.toThrow(SchemaIncompatibleError);
    });
  });
}

registryContract(
  'built-in registry (embedded log)',
  () => new BuiltInSchemaRegistry(new EmbeddedTransport({ file: ':memory:' }).schemaLog()),
  () => 'builtin',
);

test('built-in registry: an id from another process is found after it registers; unknown ids fail clearly', async () => {
  const transport = new EmbeddedTransport({ file: ':memory:' });
  const reader = new BuiltInSchemaRegistry(transport.schemaLog());
  await expect(reader.schemaById(12345)).rejects.toThrow(UnknownSchemaIdError);
  const writer = new BuiltInSchemaRegistry(transport.schemaLog());
  const id = await writer.register('late-value', v1 as never);
  expect(await reader.schemaById(id)).toMatchObject({ name: 'Thing' });
  await transport.close();
});

const gate = schemaRegistryGate();
(gate.run ? describe : describe.skip)('Confluent-compatible registry over HTTP', () => {
  beforeAll(() => {
    if (gate.reason) throw new Error(gate.reason);
  });
  registryContract(
    'confluent API',
    () => new ConfluentSchemaRegistry(schemaRegistryUrl),
    () => `t${Date.now()}`,
  );

  test('records decoded together share one lookup of an unseen schema id', async () => {
    const id = await new ConfluentSchemaRegistry(schemaRegistryUrl).register(
      `t${Date.now()}-batch-value`,
      v1 as never,
    );
    const fresh = new ConfluentSchemaRegistry(schemaRegistryUrl);
    const lookups = Array.from({ length: 2000 }, () => fresh.schemaById(id));
    expect(new Set(lookups).size).toBe(1);
    for (const schema of await Promise.all(lookups)) expect(schema).toMatchObject({ name: 'Thing' });
  });

  test('an unknown id fails clearly and is asked again next time', async () => {
    const registry = new ConfluentSchemaRegistry(schemaRegistryUrl);
    const first = registry.schemaById(987_654_321);
    await expect(first).rejects.toThrow(UnknownSchemaIdError);
    const second = registry.schemaById(987_654_321);
    expect(second).not.toBe(first);
    await expect(second).rejects.toThrow(UnknownSchemaIdError);
  });
});
