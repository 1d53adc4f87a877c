import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { describeImportFailure, parseAppSpec } from '@tsgi/gateway';
import { CliError } from '../errors.js';

export interface LoadedSpec {
  /** The exported value (`app`, then `default`, unless the spec names one). */
  app: unknown;
  /** Absolute path of the module. */
  file: string;
}

/**
 * Imports `path/to/app.ts:app` as tsgi-appserver does (same spec, same
 * one-line import failure). A `.ts` module loads through Node's own type
 * stripping (Node >= 22.18 or 23.6), or a loader given to node (`--import tsx`).
 */
export async function loadAppSpec(spec: string, cwd: string): Promise<LoadedSpec> {
  const { file, exportName } = parseAppSpec(spec, cwd);
  if (!existsSync(file)) throw new CliError('FW_ERR_CLI_USAGE', `app module not found: ${file} (from "${spec}")`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new CliError('FW_ERR_CLI_APP_LOAD', describeImportFailure(file, err), { cause: err });
  }
  const names = exportName ? [exportName] : ['app', 'default'];
  const name = names.find((n) => mod[n] !== undefined && mod[n] !== null);
  if (name === undefined) {
    throw new CliError('FW_ERR_CLI_USAGE', `${file} has no export "${names.join('" or "')}" (exports: ${Object.keys(mod).join(', ') || 'none'})`);
  }
  return { app: mod[name], file };
}
