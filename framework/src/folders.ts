import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SetupError } from './errors.js';

/** An absolute folder path from a path, a `file:` URL string or a URL object (relative paths from the cwd). */
export function resolveFolder(folder: string | URL, option: string): string {
  if (folder instanceof URL) return fileURLToPath(folder);
  if (typeof folder === 'string' && folder !== '') return folder.startsWith('file:') ? fileURLToPath(folder) : resolve(folder);
  throw new SetupError('FW_ERR_SETUP', `${option} must be a path or file URL, got ${JSON.stringify(folder)}`);
}
