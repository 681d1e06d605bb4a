import fs from 'node:fs';
import type { Command } from 'commander';
import { parseAgentCsv } from '../processors/match/agent-csv';
import { AGENT_STATUSES, type Agent, type AgentStatus } from '../schemas/routing-records';
import { RecordCodec } from '../runtime/codec';
import { platformCatalog, TOPIC } from '../topics/platform';
import { action, type CliContext, openContext } from './context';
import { printTable } from './topics';

async function agentsCodec(context: CliContext) {
  const catalog = platformCatalog();
  await context.transport.applyTopics([catalog.get(TOPIC.agents)]);
  const codec = new RecordCodec(catalog, context.registry, { subjectPrefix: context.transport.topicPrefix });
  await codec.prepare([TOPIC.agents]);
  return codec;
}

/** The current profile of every agent: the latest record per key of the compacted topic. */
async function currentAgents(context: CliContext, codec: RecordCodec): Promise<Map<string, Agent>> {
  const agents = new Map<string, Agent>();
  for (const raw of await context.transport.read(TOPIC.agents)) {
    const { key, value } = await codec.decode<Agent | null>(raw);
    if (value === null) agents.delete(key);
    else agents.set(key, value);
  }
  return agents;
}

function summary(agent: Agent): string[] {
  const lines = Object.entries(agent.licences).map(([line, states]) => `${line}:${states!.length}`);
  const { workingHours: hours } = agent;
  return [
    agent.agentId,
    agent.name,
    agent.routingGroup,
    agent.status,
    lines.join(' '),
    `${agent.capacity.daily}/${agent.capacity.concurrent}`,
    `${hours.days.join('')} ${hours.start}-${hours.end} ${hours.timeZone}${agent.queueOutsideHours ? ' +queue' : ''}`,
    agent.vipTier ?? '',
  ];
}

export function registerAgents(program: Command): void {
  const agents = program.command('agents').description('maintain agent routing profiles (topic agents)');

  agents
    .command('import')
    .description('add or replace agents from a CSV file (one agent per row; errors are reported per row)')
    .argument('<file>', 'CSV with a header row; see docs/routing.md for the columns')
    .option('--dry-run', 'validate only, publish nothing')
    .option('--json', 'print a JSON report')
    .action(
      action(async (file: string, options: { dryRun?: boolean; json?: boolean }) => {
        const text = fs.readFileSync(file, 'utf8');
        const { agents: valid, errors } = parseAgentCsv(text, Date.now());
        if (!options.dryRun && valid.length > 0) {
          const context = openContext();
          const codec = await agentsCodec(context);
          await context.transport.produce(
            valid.map((agent) => codec.encode(TOPIC.agents, agent.agentId, agent)),
          );
          await context.transport.close();
        }
        const report = { imported: options.dryRun ? 0 : valid.length, valid: valid.length, errors };
        if (options.json) {
          process.stdout.write(`${JSON.stringify(report)}\n`);
        } else {
          for (const e of errors) process.stdout.write(`row ${e.row}: ${e.column}: ${e.message}\n`);
          process.stdout.write(
            `${options.dryRun ? 'checked' : 'imported'} ${valid.length} agent(s); ${errors.length} error(s)\n`,
          );
        }
        if (errors.length > 0) process.exitCode = 1;
      }),
    );

  agents
    .command('list')
    .description('show the current agents')
    .option('--group <name>', 'only this routing group')
    .option('--json', 'print JSON')
    .action(
      action(async (options: { group?: string; json?: boolean }) => {
        const context = openContext();
        const codec = await agentsCodec(context);
        const all = [...(await currentAgents(context, codec)).values()]
          .filter((a) => !options.group || a.routingGroup === options.group)
          .sort((a, b) => a.agentId.localeCompare(b.agentId));
        if (options.json) process.stdout.write(`${JSON.stringify(all)}\n`);
        else
          printTable(
            ['AGENT', 'NAME', 'GROUP', 'STATUS', 'LINES:STATES', 'DAY/CONC', 'HOURS', 'VIP'],
            all.map(summary),
          );
        await context.transport.close();
      }),
    );

  agents
    .command('set-status')
    .description('activate, pause or deactivate agents (paused agents get no new offers)')
    .argument('<status>', AGENT_STATUSES.join(' | '))
    .argument('<agentIds...>', 'agent ids')
    .action(
      action(async (status: string, agentIds: string[]) => {
        if (!(AGENT_STATUSES as readonly string[]).includes(status)) {
          throw new Error(`status must be one of ${AGENT_STATUSES.join(', ')}, got "${status}"`);
        }
        const context = openContext();
        try {
          const codec = await agentsCodec(context);
          const current = await currentAgents(context, codec);
          const missing = agentIds.filter((id) => !current.has(id));
          if (missing.length > 0) throw new Error(`unknown agent(s): ${missing.join(', ')}`);
          const now = Date.now();
          await context.transport.produce(
            agentIds.map((id) =>
              codec.encode(TOPIC.agents, id, {
                ...current.get(id)!,
                status: status as AgentStatus,
                updatedAt: now,
                source: 'cli',
              }),
            ),
          );
          for (const id of agentIds) process.stdout.write(`${id}: ${status}\n`);
        } finally {
          await context.transport.close();
        }
      }),
    );
}
