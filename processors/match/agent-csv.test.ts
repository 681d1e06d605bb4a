import { AGENT_CSV_COLUMNS, parseAgentCsv, parseWorkDays } from './agent-csv';

const HEADER = AGENT_CSV_COLUMNS.join(',');

function csv(rows: Record<string, string>[]): string {
  return [HEADER, ...rows.map((row) => AGENT_CSV_COLUMNS.map((c) => row[c] ?? '').join(','))].join('\n');
}

const GOOD = {
  agent_id: 'a-1',
  name: 'Ana Ruiz',
  email: 'ana@agency.example',
  phone: '(415) 555-2671',
  notify: 'email;sms',
  routing_group: 'pc-west',
  licensed_auto: 'CA NV OR',
  licensed_home: 'ca',
  specialties: 'auto',
  languages: 'en;ES',
  zip: '94103',
  capacity_daily: '25',
  capacity_concurrent: '4',
  work_days: 'mon-fri',
  work_start: '08:30',
  work_end: '17:00',
  queue_outside_hours: 'yes',
  vip_tier: 'Gold',
};

describe('agent CSV import', () => {
  test('a good row becomes a complete profile: coordinates and time zone from the ZIP, normalised values', () => {
    const { agents, errors } = parseAgentCsv(csv([GOOD]), 1000);
    expect(errors).toEqual([]);
    expect(agents).toEqual([
      expect.objectContaining({
        agentId: 'a-1',
        phone: '+14155552671',
        notify: ['email', 'sms'],
        licences: { auto: ['CA', 'NV', 'OR'], home: ['CA'] },
        languages: ['en', 'es'],
        location: { zip: '94103', latitude: expect.any(Number), longitude: expect.any(Number) },
        capacity: { daily: 25, concurrent: 4 },
        workingHours: {
          timeZone: 'America/Los_Angeles',
          days: [1, 2, 3, 4, 5],
          start: '08:30',
          end: '17:00',
        },
        queueOutsideHours: true,
        status: 'active',
        vipTier: 'gold',
        weight: 1,
        updatedAt: 1000,
        source: 'cli',
      }),
    ]);
  });

  test('every problem is reported with its row and column, and good rows still come through', () => {
    const { agents, errors } = parseAgentCsv(
      csv([
        GOOD,
        { ...GOOD, agent_id: 'a-2', licensed_auto: 'CA XX', capacity_daily: 'lots', work_days: 'someday' },
        { ...GOOD, agent_id: 'a-3', email: '', specialties: 'life', work_end: '08:00' },
        { ...GOOD, agent_id: 'a-1' },
        { ...GOOD, agent_id: 'a-5', zip: '', time_zone: '' },
      ]),
      0,
    );
    expect(agents.map((a) => a.agentId)).toEqual(['a-1']);
    const byRow = (row: number) => errors.filter((e) => e.row === row).map((e) => e.column);
    expect(byRow(2).sort()).toEqual(['capacity_daily', 'licensed_auto', 'work_days']);
    expect(byRow(3).sort()).toEqual(['notify', 'specialties', 'work_end']);
    expect(errors.find((e) => e.row === 3 && e.column === 'notify')!.message).toBe('email needs email');
    expect(errors.find((e) => e.row === 4)).toEqual({ row: 4, column: 'agent_id', message: 'repeats row 1' });
    expect(byRow(5)).toEqual(['time_zone']);
    for (const error of errors) expect(error.message.length).toBeGreaterThan(0);
  });

  test('a misspelt column fails the whole file rather than losing a setting', () => {
    const text = `${HEADER},capcity_daily\n${AGENT_CSV_COLUMNS.map(() => '').join(',')},5`;
    expect(parseAgentCsv(text, 0)).toEqual({
      agents: [],
      errors: [{ row: 0, column: 'capcity_daily', message: 'is not a known column' }],
    });
  });

  test('ALL licenses every state', () => {
    const { agents } = parseAgentCsv(csv([{ ...GOOD, licensed_auto: 'ALL', licensed_home: '' }]), 0);
    expect(agents[0]!.licences.auto).toHaveLength(51);
  });

  test('work days', () => {
    expect(parseWorkDays('mon-fri')).toEqual([1, 2, 3, 4, 5]);
    expect(parseWorkDays('Sat-Sun, wed')).toEqual([3, 6, 7]);
    expect(parseWorkDays('1-3')).toEqual([1, 2, 3]);
    expect(parseWorkDays('fri-mon')).toBeNull();
    expect(parseWorkDays('funday')).toBeNull();
  });
});
