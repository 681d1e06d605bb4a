import { commitPolicy, ConfigError, describeConfig, loadConfig, retentionSettings } from './index';

describe('configuration', () => {
  test('defaults give the embedded platform with nothing set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      LEADFLOW_TRANSPORT: 'embedded',
      LEADFLOW_DATA_DIR: './.leadflow',
      PORT: 8080,
      KAFKA_BROKERS: ['127.0.0.1:9092'],
    });
    expect(config.SCHEMA_REGISTRY_URL).toBeUndefined();
  });

  test('reads and converts values', () => {
    const config = loadConfig({
      LEADFLOW_TRANSPORT: 'kafka',
      PORT: '9000',
      KAFKA_BROKERS: 'k1:9092, k2:9093',
      DATABASE_URL: 'postgres://u:p@db:5432/leadflow',
    });
    expect(config.PORT).toBe(9000);
    expect(config.KAFKA_BROKERS).toEqual(['k1:9092', 'k2:9093']);
    expect(config.KAFKA_SESSION_TIMEOUT_MS).toBe(10_000);
    expect(loadConfig({ KAFKA_SESSION_TIMEOUT_MS: '30000' }).KAFKA_SESSION_TIMEOUT_MS).toBe(30_000);
  });

  test.each([
    ['LEADFLOW_TRANSPORT', 'rabbit'],
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['KAFKA_BROKERS', 'no-port'],
    ['DATABASE_URL', 'mysql://x/y'],
    ['REDIS_URL', 'not a url'],
    ['NEO4J_URL', 'http://neo4j:7474'],
    ['LEADFLOW_COMMIT_LINGER_MS', '-1'],
    ['LEADFLOW_COMMIT_INTERVAL_MS', 'soon'],
    ['KAFKA_SESSION_TIMEOUT_MS', '1000'],
    ['KAFKA_INSTANCE_ID', 'pod 1'],
    ['RETENTION_RAW_LEADS_DAYS', '0'],
    ['RETENTION_REJECTED_LEADS_DAYS', 'ninety'],
    ['RETENTION_TRAINING_DAYS', '1.5'],
    ['RETENTION_TRAINING_DAYS', '3651'],
  ])('a bad %s (%s) fails with a message naming the variable', (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
    try {
      loadConfig({ [variable]: value });
    } catch (error) {
      expect((error as ConfigError).problems.map((p) => p.variable)).toEqual([variable]);
      expect((error as Error).message).toContain(variable);
    }
  });

  test('the commit policy keeps the runtime defaults unless set', () => {
    expect(commitPolicy(loadConfig({}))).toEqual({ lingerMs: undefined, commitIntervalMs: undefined });
    expect(
      commitPolicy(loadConfig({ LEADFLOW_COMMIT_LINGER_MS: '0', LEADFLOW_COMMIT_INTERVAL_MS: '250' })),
    ).toEqual({ lingerMs: 0, commitIntervalMs: 250 });
  });

  test('retention per data class is read in days; unset classes keep the catalogue default', () => {
    expect(retentionSettings(loadConfig({}))).toEqual({
      rawLeads: undefined,
      rejectedLeads: undefined,
      training: undefined,
    });
    expect(
      retentionSettings(
        loadConfig({
          RETENTION_RAW_LEADS_DAYS: '30',
          RETENTION_REJECTED_LEADS_DAYS: '7',
          RETENTION_TRAINING_DAYS: '730',
        }),
      ),
    ).toEqual({ rawLeads: 30, rejectedLeads: 7, training: 730 });
    expect(() => loadConfig({ RETENTION_REJECTED_LEADS_DAYS: 'ninety' })).toThrow(
      'RETENTION_REJECTED_LEADS_DAYS: must be a whole number of days',
    );
    expect(() => loadConfig({ RETENTION_RAW_LEADS_DAYS: '0' })).toThrow(
      'RETENTION_RAW_LEADS_DAYS: must be at least 1 day',
    );
  });

  test('empty strings count as unset', () => {
    expect(loadConfig({ PORT: '' }).PORT).toBe(8080);
  });

  test('describeConfig masks secrets and passwords in URLs', () => {
    const shown = describeConfig(
      loadConfig({ OPENAI_API_KEY: 'sk-secret', DATABASE_URL: 'postgres://lead:hunter2@db:5432/leadflow' }),
    );
    expect(shown.OPENAI_API_KEY).toBe('***');
    expect(shown.DATABASE_URL).toBe('postgres://lead:***@db:5432/leadflow');
    expect(JSON.stringify(shown)).not.toContain('hunter2');
    expect(JSON.stringify(shown)).not.toContain('sk-secret');
  });
});
