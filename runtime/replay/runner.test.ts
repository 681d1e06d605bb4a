import pino from 'pino';
import { assignProcessor } from '../../processors/assign/processor';
import { DEFAULT_ROUTING_CONFIG } from '../../processors/match/routing-config';
import { matchProcessor } from '../../processors/match/processor';
import { EmbeddedTransport } from '../transports/embedded';
import { BuiltInSchemaRegistry } from '../registry';
import { platformCatalog } from '../../topics/platform';
import { ReplayRefusedError, ReplayRunner } from './runner';

test('match and assign are refused: their state is the only record of routings and offers', async () => {
  const transport = new EmbeddedTransport({ file: ':memory:' });
  try {
    const runner = new ReplayRunner({
      transport,
      registry: new BuiltInSchemaRegistry(transport.schemaLog()),
      appId: 'app',
      catalog: platformCatalog(),
      stages: [matchProcessor(DEFAULT_ROUTING_CONFIG), assignProcessor(DEFAULT_ROUTING_CONFIG)] as never[],
      log: pino({ level: 'silent' }),
    });
    await expect(runner.plan('match', { kind: 'earliest' })).rejects.toThrow(ReplayRefusedError);
    await expect(runner.plan('assign', { kind: 'earliest' })).rejects.toThrow(
      /assign cannot be replayed: .*offer every lead again/,
    );
  } finally {
    await transport.close();
  }
});
