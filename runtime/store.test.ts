import { TaskStore } from './store';

describe('TaskStore', () => {
  test('get/put/delete/range in key order with half-open bounds', () => {
    const store = new TaskStore<number>('s');
    for (const key of ['b', 'd', 'a', 'c']) store.put(key, key.charCodeAt(0));
    store.delete('d');
    expect([...store.range()].map(([k]) => k)).toEqual(['a', 'b', 'c']);
    expect([...store.range('b', 'c')].map(([k]) => k)).toEqual(['b']);
    expect(store.get('a')).toBe(97);
    expect(store.size).toBe(3);
  });

  test('pending changes hold the latest value per key, deletes as null', () => {
    const store = new TaskStore<number>('s');
    store.put('a', 1);
    store.put('b', 1);
    store.markCommitted();
    store.put('a', 2);
    store.put('a', 3);
    store.delete('b');
    expect(store.pendingChanges()).toEqual([
      { store: 's', key: 'a', value: 3 },
      { store: 's', key: 'b', value: null },
    ]);
    store.markCommitted();
    expect(store.pendingChanges()).toEqual([]);
  });

  test('a key put and deleted again between two commits needs no tombstone', () => {
    const store = new TaskStore<number>('s');
    store.put('timer', 1);
    store.delete('timer');
    store.put('kept', 1);
    expect(store.pendingChanges()).toEqual([{ store: 's', key: 'kept', value: 1 }]);
    store.markCommitted();
    // Present at the last commit: its deletion must reach the changelog, even if it comes back
    // and goes again in between.
    store.delete('kept');
    store.put('kept', 2);
    store.delete('kept');
    expect(store.pendingChanges()).toEqual([{ store: 's', key: 'kept', value: null }]);
  });

  test('an index store is rolled back with the record but logs nothing', () => {
    const index = new TaskStore<number>('i', false);
    index.put('a', 1);
    expect(index.pendingChanges()).toEqual([]);
    index.beginRecord();
    index.put('b', 2);
    index.rollbackRecord();
    expect([...index.range()]).toEqual([['a', 1]]);
  });

  test('a rolled-back record leaves state as it was before the record', () => {
    const store = new TaskStore<number>('s');
    store.put('a', 1);
    store.beginRecord();
    store.put('a', 5);
    store.put('b', 7);
    store.delete('a');
    store.rollbackRecord();
    expect([...store.range()]).toEqual([['a', 1]]);
  });

  test('restore applies changelog values without marking them as changes', () => {
    const store = new TaskStore<number>('s');
    store.restore('a', 1);
    store.restore('b', 2);
    store.restore('a', null);
    expect([...store.range()]).toEqual([['b', 2]]);
    expect(store.pendingChanges()).toEqual([]);
  });

  test('refuses undefined values', () => {
    expect(() => new TaskStore<unknown>('s').put('a', undefined)).toThrow(/undefined/);
  });
});
