import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkHistory, snapshotHistory } from './history';

const record = (fields: object[]) => ({ type: 'record', name: 'Lead', namespace: 't', fields });

function tempSchemas(schema: object): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'schemas-'));
  fs.writeFileSync(path.join(dir, 'lead.avsc'), JSON.stringify(schema));
  return dir;
}

describe('schema history', () => {
  test("the project's schemas are recorded and BACKWARD compatible with every recorded version", () => {
    expect(checkHistory(__dirname)).toEqual([]);
  });

  test('a new field with a default is a compatible change', () => {
    const dir = tempSchemas(record([{ name: 'id', type: 'string' }]));
    expect(snapshotHistory(dir)).toEqual([{ schema: 'lead', version: 1 }]);
    fs.writeFileSync(
      path.join(dir, 'lead.avsc'),
      JSON.stringify(
        record([
          { name: 'id', type: 'string' },
          { name: 'score', type: ['null', 'int'], default: null },
        ]),
      ),
    );
    expect(checkHistory(dir)).toEqual([]);
    expect(snapshotHistory(dir)).toEqual([{ schema: 'lead', version: 2 }]);
    expect(snapshotHistory(dir)).toEqual([]);
  });

  test('a new field without a default breaks BACKWARD compatibility and fails the check', () => {
    const dir = tempSchemas(record([{ name: 'id', type: 'string' }]));
    snapshotHistory(dir);
    fs.writeFileSync(
      path.join(dir, 'lead.avsc'),
      JSON.stringify(
        record([
          { name: 'id', type: 'string' },
          { name: 'score', type: 'int' },
        ]),
      ),
    );
    const problems = checkHistory(dir);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ schema: 'lead', version: 1 });
    expect(problems[0]!.problem).toMatch(/score/);
    expect(() => snapshotHistory(dir)).toThrow(/incompatible/);
  });

  test('a changed field type breaks compatibility', () => {
    const dir = tempSchemas(record([{ name: 'id', type: 'string' }]));
    snapshotHistory(dir);
    fs.writeFileSync(path.join(dir, 'lead.avsc'), JSON.stringify(record([{ name: 'id', type: 'long' }])));
    expect(checkHistory(dir)).toHaveLength(1);
  });

  test('an unrecorded schema is reported', () => {
    const dir = tempSchemas(record([{ name: 'id', type: 'string' }]));
    expect(checkHistory(dir)).toEqual([{ schema: 'lead', problem: expect.stringContaining('snapshot') }]);
  });
});
