import { SetupError } from './errors.js';
import { resolveFolder } from './folders.js';
import { Scaffold, type RouteRecord } from './scaffold.js';

export interface BlueprintOptions {
  /** Path prefix of every route, e.g. `/admin` (may be overridden at registration). */
  urlPrefix?: string;
  /** Folder of this blueprint's static files, served at `<urlPrefix><staticUrlPath>/<path:filename>` as endpoint `<name>.static`. */
  staticFolder?: string | URL;
  /** URL path of the static files below the prefix (default `/<basename of staticFolder>`). */
  staticUrlPath?: string;
  /** Templates folder searched after the app's (Flask's blueprint `template_folder`). */
  templateFolder?: string | URL;
  /** Subdomain of every route that names none (Flask's blueprint `subdomain`). */
  subdomain?: string;
}

/** A child blueprint registered on a parent (Flask's nested blueprints). */
export interface NestedBlueprint {
  blueprint: Blueprint;
  urlPrefix: string | undefined;
  name: string | undefined;
}

/**
 * A group of routes, hooks and error handlers registered on an app under a
 * prefix (Flask's `Blueprint`). Endpoints become `<name>.<endpoint>`; its
 * hooks and error handlers apply only to requests routed to its endpoints.
 * Blueprints nest (`parent.registerBlueprint(child)`: `parent.child.view`).
 * Routes added after registration reach every app it is registered on.
 * Instances are functions only by inheritance; calling one is an error.
 */
export class Blueprint extends Scaffold {
  declare readonly name: string;
  readonly urlPrefix: string;
  readonly staticFolder: string | undefined;
  readonly staticUrlPath: string | undefined;
  readonly templateFolder: string | undefined;
  readonly subdomain: string | undefined;
  /** @internal */
  readonly records: RouteRecord[] = [];
  /** @internal */
  readonly children: NestedBlueprint[] = [];
  private readonly listeners: Array<(record: RouteRecord) => void> = [];

  constructor(name: string, options: BlueprintOptions = {}) {
    super();
    if (typeof name !== 'string' || name === '' || name.includes('.')) throw new SetupError('FW_ERR_SETUP', `blueprint name must be a non-empty string without '.', got ${JSON.stringify(name)}`);
    Object.defineProperty(this, 'name', { value: name, enumerable: true });
    this.urlPrefix = normalizePrefix(options.urlPrefix ?? '');
    this.staticFolder = options.staticFolder === undefined ? undefined : resolveFolder(options.staticFolder, 'staticFolder');
    this.staticUrlPath = this.staticFolder === undefined ? undefined : normalizePrefix(options.staticUrlPath ?? `/${this.staticFolder.split('/').filter(Boolean).pop() ?? 'static'}`);
    this.templateFolder = options.templateFolder === undefined ? undefined : resolveFolder(options.templateFolder, 'templateFolder');
    this.subdomain = options.subdomain;
  }

  protected addRoute(record: RouteRecord): void {
    this.records.push(record);
    for (const listener of this.listeners) listener(record);
  }

  /** Nests a blueprint: its endpoints become `<this>.<child>.<endpoint>`, its prefix is joined to this one's. */
  registerBlueprint(child: Blueprint, options: { urlPrefix?: string; name?: string } = {}): this {
    if (child === this) throw new SetupError('FW_ERR_SETUP', `blueprint "${this.name}" cannot be registered on itself`);
    this.children.push({ blueprint: child, urlPrefix: options.urlPrefix, name: options.name });
    return this;
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
