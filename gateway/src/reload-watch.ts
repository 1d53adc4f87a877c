import { readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { errorCode } from '@tsgi/errors';

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
 * The development reloaders' watcher (tsgi-appserver --reload, `tsgi run`):
 * watches `appDir` and its sub-folders plus `extraFiles`, and calls
 * `onChange(files)` once per burst of changes, `RELOAD_DEBOUNCE_MS` after the
 * last one. One non-recursive watch per folder (inotify on Linux), folders
 * created later included, so node_modules and .git are never watched at all
 * (Node's recursive mode would watch every folder under them). A watch that cannot start throws
 * (the caller reports it before serving); a later error goes to `onError`.
 * The watches keep the process alive until `close()`.
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
  const watchers = new Map<string, FSWatcher>();
  const add = (key: string, dir: string, listener: (name: string) => void): void => {
    const w = watch(dir, (_event, name) => {
      if (name !== null) listener(name);
    });
    w.on('error', (err) => {
      w.close();
      watchers.delete(key);
      // A watched sub-folder that was removed is no error; anything else is.
      if (errorCode(err) !== 'ENOENT' && errorCode(err) !== 'EPERM') onError(err);
    });
    watchers.set(key, w);
  };
  const watchTree = (dir: string): void => {
    if (watchers.has(dir)) return;
    add(dir, dir, (name) => {
      const file = join(dir, name);
      if (ignored(relative(appDir, file))) return;
      try {
        // A folder created (or moved in) after the start is watched too.
        if (statSync(file).isDirectory()) watchTree(file);
      } catch {
        // Removed again, or a deletion: still a change.
      }
      note(file);
    });
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory() && !IGNORED_DIRS.has(entry.name)) {
        try {
          watchTree(join(dir, entry.name));
        } catch (err) {
          if (dir === appDir && errorCode(err) !== 'ENOENT') throw err;
        }
      }
    }
  };
  watchTree(appDir);
  for (const extra of extraFiles) {
    const file = resolve(cwd, extra);
    // The folder, not the file: an editor that saves by rename replaces the inode a file watch follows.
    add(`extra:${file}`, dirname(file), (name) => {
      if (name === basename(file)) note(file);
    });
  }
  return {
    close() {
      clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}
