#!/usr/bin/env node
import { Command } from 'commander';
import { registerAgents } from './agents';
import { registerBench } from './bench';
import { registerDemo } from './demo';
import { registerDnc } from './dnc';
import { registerGenerate } from './generate';
import { registerGraph } from './graph';
import { registerIngest } from './ingest';
import { registerModel } from './model';
import { registerPayouts } from './payouts';
import { registerReplay } from './replay';
import { registerReport } from './report';
import { registerReturns } from './returns';
import { registerRetention } from './retention';
import { registerPrivacy } from './privacy';
import { registerSchemas } from './schemas';
import { registerSimilar } from './similar';
import { registerSimulate } from './simulate';
import { registerStart } from './start';
import { registerTokens } from './tokens';
import { registerTopics } from './topics';
import { registerTopology } from './topology';
import { registerUpgrade } from './upgrade';
import { registerVendors } from './vendors';

const program = new Command()
  .name('leadflow')
  .description('leadflow: an insurance lead platform as a stream-processing pipeline')
  .showHelpAfterError();

registerStart(program);
registerDemo(program);
registerGenerate(program);
registerGraph(program);
registerDnc(program);
registerVendors(program);
registerTokens(program);
registerIngest(program);
registerReplay(program);
registerReport(program);
registerReturns(program);
registerRetention(program);
registerPrivacy(program);
registerTopics(program);
registerTopology(program);
registerUpgrade(program);
registerBench(program);
registerSchemas(program);
registerModel(program);
registerSimilar(program);
registerAgents(program);
registerSimulate(program);
registerPayouts(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`leadflow: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
