import type { Command } from 'commander';
import { openAiServices } from '../app/ai-services';
import { compileTopology, topologyStages } from '../app/topology';
import { fusedPlan } from '../runtime/fusion';
import { upgradeToFused } from '../runtime/fusion-upgrade';
import { platformCatalog, TOPIC } from '../topics/platform';
import { RecordCodec } from '../runtime/codec';
import { blindDoNotContactList } from '../app/privacy/blind-do-not-contact';
import { action, openContext } from './context';
import { openKeyVault } from '../app/privacy/key-vault';

const OUTCOME = {
  fresh: 'nothing ran before it; nothing to move',
  needed: 'drained its stages, moved their state and offsets',
  done: 'already upgraded',
} as const;

export function registerUpgrade(program: Command): void {
  program
    .command('upgrade')
    .description(
      "move a deployment onto this version's fused processors and blind-index keys (run once, with every process stopped)",
    )
    .action(
      action(async () => {
        const { config, log, transport, registry } = openContext();
        const vault = await openKeyVault(config, transport, log);
        try {
          // The drain runs score, so with the LLM it is configured with.
          const stages = topologyStages(config, {}, { llm: openAiServices(config, undefined, log).llm });
          for (const fused of compileTopology(stages).filter((p) => fusedPlan(p))) {
            const state = await upgradeToFused({
              transport,
              registry,
              appId: config.LEADFLOW_APP_ID,
              catalog: platformCatalog(),
              fused,
              stages,
              log,
              keys: vault,
            });
            process.stdout.write(
              `${fused.name} (${fusedPlan(fused)!.stages.join(' > ')}): ${OUTCOME[state]}\n`,
            );
          }
          await transport.applyTopics([platformCatalog().get(TOPIC.doNotContact)]);
          const dncCodec = new RecordCodec(platformCatalog(), registry, {
            subjectPrefix: transport.topicPrefix,
          });
          await dncCodec.prepare([TOPIC.doNotContact]);
          const { moved } = await blindDoNotContactList(transport, dncCodec, vault.blind);
          process.stdout.write(`do-not-contact list: ${moved} entries moved to blind-index keys\n`);
        } finally {
          await vault.stop();
          await transport.close();
        }
      }),
    );
}
