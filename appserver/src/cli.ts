#!/usr/bin/env node
import { main } from './main.js';

// Started by a supervisor with an IPC channel (npm start): when that process dies
// the channel closes, and the server drains exactly as on SIGTERM.
if (process.channel) {
  process.channel.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}

process.exit(await main());
