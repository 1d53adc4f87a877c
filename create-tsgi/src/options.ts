import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { messageOf } from '@tsgi/errors';
import { CreateTsgiError } from './errors.js';
import { TEMPLATE_NAMES, type TemplateName } from './templates.js';

/** What one create-tsgi run does, validated and frozen. */
export interface ScaffoldOptions {
  /** Absolute path of the folder to create (or an empty one to fill). */
  readonly target: string;
  /** npm package name, Kubernetes namespace and image prefix. */
  readonly name: string;
  readonly template: TemplateName;
  /** A folder of `npm pack` tarballs: copied into `vendor/` and depended on as `file:` specs. */
  readonly tsgiPackages: string | undefined;
}

export type ParsedCommand = { help: true } | { help: false; options: ScaffoldOptions };

export const USAGE = `Usage: create-tsgi <folder> [--template framework|node] [--name <name>] [--tsgi-packages <dir>]

  <folder>               where to create the project; must not exist or be empty
  --template, -t         framework (default): the Flask-style seed app on @tsgi/framework
                         node: an Express app with a WebSocket route, under tsgi-appserver --interface node
  --name                 package name, Kubernetes namespace and image prefix (default: the folder's name)
  --tsgi-packages <dir>  install the @tsgi packages from the tarballs in <dir> (npm pack output):
                         they are copied into vendor/ and depended on as file: specs (offline, and in Docker builds)
  --help, -h             this text

  npm create tsgi my-app              npx create-tsgi my-app --template node`;

/** A name that is at once an npm package name, a DNS label (Kubernetes namespace) and an image repository. */
const NAME = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$/;

/** Parses and checks the command line; throws CreateTsgiError (one line) on anything wrong. */
export function parseCommand(argv: readonly string[], cwd: string): ParsedCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        template: { type: 'string', short: 't' },
        name: { type: 'string' },
        'tsgi-packages': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new CreateTsgiError('CT_ERR_USAGE', `create-tsgi: ${messageOf(err).split('\n')[0]} (create-tsgi --help)`, { cause: err });
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true };
  if (positionals.length === 0) throw new CreateTsgiError('CT_ERR_TARGET_MISSING', 'create-tsgi: name the folder to create, e.g. `npm create tsgi my-app` (create-tsgi --help)');
  if (positionals.length > 1) throw new CreateTsgiError('CT_ERR_USAGE', `create-tsgi: one folder only, got ${positionals.map((p) => JSON.stringify(p)).join(' ')}`);

  const target = resolve(cwd, positionals[0]!);
  if (existsSync(target) && (!statSync(target).isDirectory() || readdirSync(target).length > 0)) {
    throw new CreateTsgiError('CT_ERR_TARGET_NOT_EMPTY', `create-tsgi: ${target} exists and is not empty; pick a new folder`);
  }

  const template = values.template ?? 'framework';
  if (!(TEMPLATE_NAMES as readonly string[]).includes(template)) {
    throw new CreateTsgiError('CT_ERR_TEMPLATE_UNKNOWN', `create-tsgi: --template must be one of ${TEMPLATE_NAMES.join(', ')}, got ${JSON.stringify(template)}`);
  }

  const name = values.name ?? basename(target).toLowerCase();
  if (!NAME.test(name)) {
    const from = values.name === undefined ? `the folder's name; pass --name` : '--name';
    throw new CreateTsgiError('CT_ERR_NAME_INVALID', `create-tsgi: project name must be 2-40 of a-z, 0-9 and "-", starting with a letter, got ${JSON.stringify(name)} (from ${from})`);
  }

  let tsgiPackages: string | undefined;
  if (values['tsgi-packages'] !== undefined) {
    tsgiPackages = resolve(cwd, values['tsgi-packages']);
    if (!existsSync(tsgiPackages) || !statSync(tsgiPackages).isDirectory()) {
      throw new CreateTsgiError('CT_ERR_PACKAGES', `create-tsgi: --tsgi-packages must be a folder of npm pack tarballs, got ${JSON.stringify(values['tsgi-packages'])}`);
    }
  }
  return { help: false, options: Object.freeze({ target, name, template: template as TemplateName, tsgiPackages }) };
}
