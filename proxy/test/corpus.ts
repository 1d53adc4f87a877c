import { join } from 'node:path';
import { loadHttpFixtures, type HttpFixture } from '../../gateway/test/fixtures/http-fixtures.js';
import { root } from './helpers.js';

/**
 * The hostile-request corpus of issue #2, read in place from
 * gateway/test/fixtures/requests (never copied) by the gateway's own loader,
 * which owns the `.http` format. Only the tests share it: the proxy's
 * sources import nothing from the gateway package.
 */
export const CORPUS_DIR = join(root, 'gateway/test/fixtures/requests');

export type CorpusCase = HttpFixture;

export function loadCorpus(): CorpusCase[] {
  return loadHttpFixtures();
}
