import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve, sep } from 'node:path';

/** Folders whose changes never reload: dependencies and version control. */
const IGNORED_DIRS = new Set(['node_modules', '.git']);
/** Editors' scratch files (vim's swap and write test, emacs locks and backups). */
const SCRATCH = /(^\.#|~$|\.sw[a-p]x?$|^4913$)/;

/** After the last change of a burst (an editor writes, renames, touches): one reload. */
export const RELOAD_DEBOUNCE_MS = 250;

export interface ReloadWatch {
  close(): void;
}

function ignored(relative: string): boolean {
  const parts = relative.split(sep);
  if (parts.some((p) => IGNORED_DIRS.has(p))) return true;
  return SCRATCH.test(parts[parts.length - 1] ?? '');
}

/**
 * `--reload`: watches `appDir` recursively plus `extraFiles`, and calls
 * `onChange(files)` once per burst of changes, `RELOAD_DEBOUNCE_MS` after the
 * last one. A watch that cannot start throws (the master reports it before
 * any worker exists); a later watch error goes to `onError`.
 */
export function watchForReload(
  appDir: string,
  extraFiles: readonly string[],
  cwd: string,
  onChange: (files: string[]) => void,
  onError: (err: Error) => void,
): ReloadWatch {
  const changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const note = (file: string): void => {
    changed.add(file);
    clearTimeout(timer);
    timer = setTimeout(() => {
      const files = [...changed];
      changed.clear();
      onChange(files);
    }, RELOAD_DEBOUNCE_MS);
    timer.unref();
  };
  const watchers: FSWatcher[] = [];
  watchers.push(
    watch(appDir, { recursive: true, persistent: false }, (_event, name) => {
      if (name === null || ignored(name)) return;
      note(resolve(appDir, name));
    }),
  );
  for (const extra of extraFiles) {
    const file = resolve(cwd, extra);
    // The folder, not the file: an editor that saves by rename replaces the inode a file watch follows.
    watchers.push(
      watch(dirname(file), { persistent: false }, (_event, name) => {
        if (name === basename(file)) note(file);
      }),
    );
  }
  for (const w of watchers) w.on('error', onError);
  return {
    close() {
      clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
