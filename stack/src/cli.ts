#!/usr/bin/env node
import { StackError } from './errors.js';
import { helpText, loadOptions } from './options.js';
import { runStack } from './stack.js';

/** `tsgi-stack`: options (one line and exit 2 on any problem), then the supervised stack until a signal or a halt. */
async function main(): Promise<number> {
  let options: ReturnType<typeof loadOptions>;
  try {
    options = loadOptions(process.argv.slice(2), process.env, process.stdout.isTTY === true);
  } catch (err) {
    if (err instanceof StackError) {
      process.stderr.write(`tsgi-stack: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (options.help) {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }
  try {
    return await runStack(options);
  } catch (err) {
    if (err instanceof StackError) {
      process.stderr.write(`tsgi-stack: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

process.exit(await main());
