/**
 * Process exit codes, as gunicorn's: a worker that cannot boot exits 3, one
 * that cannot load the app exits 4, and on either the master halts instead of
 * respawning forever. The master itself exits 2 on a usage error and 5 when
 * its own loop failed.
 */
export const EXIT = Object.freeze({
  OK: 0,
  /** Unexpected master failure. */
  FAILURE: 1,
  /** Bad flag, bad value, bad config file, app module or export not found. */
  USAGE: 2,
  /** A worker failed to boot (could not bind, crashed before ready). */
  WORKER_BOOT_ERROR: 3,
  /** A worker could not load the app (the module threw while importing). */
  APP_LOAD_ERROR: 4,
  /** The master loop failed (a hook threw, a fork failed); its workers were stopped first. */
  MASTER_CRASH: 5,
});
