import { SetupError } from './errors.js';
import { Scaffold, type RouteRecord } from './scaffold.js';

export interface BlueprintOptions {
  /** Path prefix of every route, e.g. `/admin` (may be overridden at registration). */
  urlPrefix?: string;
}

/**
 * A group of routes, hooks and error handlers registered on an app under a
 * prefix (Flask's `Blueprint`). Endpoints become `<name>.<endpoint>`; its
 * hooks and error handlers apply only to requests routed to its endpoints.
 * Routes added after registration reach every app it is registered on.
 * Instances are functions only by inheritance; calling one is an error.
 */
export class Blueprint extends Scaffold {
  declare readonly name: string;
  readonly urlPrefix: string;
  /** @internal */
  readonly records: RouteRecord[] = [];
  private readonly listeners: Array<(record: RouteRecord) => void> = [];

  constructor(name: string, options: BlueprintOptions = {}) {
    super();
    if (typeof name !== 'string' || name === '' || name.includes('.')) throw new SetupError('FW_ERR_SETUP', `blueprint name must be a non-empty string without '.', got ${JSON.stringify(name)}`);
    Object.defineProperty(this, 'name', { value: name, enumerable: true });
    this.urlPrefix = normalizePrefix(options.urlPrefix ?? '');
  }

  protected addRoute(record: RouteRecord): void {
    this.records.push(record);
    for (const listener of this.listeners) listener(record);
  }

  /** @internal Called by App.registerBlueprint: replays existing routes and follows new ones. */
  attach(listener: (record: RouteRecord) => void): void {
    this.listeners.push(listener);
    for (const record of this.records) listener(record);
  }
}

/** '' or '/x' without a trailing slash. */
export function normalizePrefix(prefix: string): string {
  if (prefix === '' || prefix === '/') return '';
  if (!prefix.startsWith('/')) throw new SetupError('FW_ERR_SETUP', `url prefix must start with '/', got ${JSON.stringify(prefix)}`);
  return prefix.replace(/\/+$/, '');
}

/** Joins a prefix and a rule as Flask does: '/admin' + '/' is '/admin/'. */
export function joinRule(prefix: string, rule: string): string {
  if (prefix === '') return rule;
  return `${prefix}/${rule.replace(/^\/+/, '')}`;
}
