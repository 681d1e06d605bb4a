#!/usr/bin/env node
import { Command } from 'commander';
import { registerBench } from './bench';
import { registerDemo } from './demo';
import { registerDnc } from './dnc';
import { registerGenerate } from './generate';
import { registerSchemas } from './schemas';
import { registerStart } from './start';
import { registerTopics } from './topics';

const program = new Command()
  .name('leadflow')
  .description('leadflow: an insurance lead platform as a stream-processing pipeline')
  .showHelpAfterError();

registerStart(program);
registerDemo(program);
registerGenerate(program);
registerDnc(program);
registerTopics(program);
registerBench(program);
registerSchemas(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`leadflow: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
