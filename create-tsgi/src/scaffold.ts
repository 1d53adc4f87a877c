import { copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { CreateTsgiError } from './errors.js';
import type { ScaffoldOptions } from './options.js';
import { readPackedManifest } from './tarball.js';
import { ownVersion, sampleApp, TEMPLATES_DIR, type TemplateName } from './templates.js';

/** How each template's app is hosted by tsgi-appserver (`TSGI_INTERFACE` in the images). */
const INTERFACE: Record<TemplateName, string> = { framework: 'tsgi', node: 'node' };

/**
 * Template files stored under another name: npm pack leaves out `.gitignore`, and a
 * `package.json` inside the templates would look like a package to npm and other tools.
 */
const RENAMED: Record<string, string> = { _gitignore: '.gitignore', _dockerignore: '.dockerignore', '_package.json': 'package.json' };

/** What the generator wrote, relative to the target folder. */
export interface ScaffoldResult {
  readonly files: readonly string[];
  /** The @tsgi packages installed from `vendor/` (empty: from the registry). */
  readonly vendored: readonly string[];
}

/**
 * Writes a new project: templates/common, then templates/<template>, then (framework)
 * the sample app's own files, then package.json with the @tsgi dependencies pointed
 * at the registry or at `vendor/` tarballs. `__APP_NAME__` and `__APP_INTERFACE__`
 * are filled in template files, never in the sample app's.
 */
export function scaffold(options: ScaffoldOptions): ScaffoldResult {
  const files: string[] = [];
  const vars = { __APP_NAME__: options.name, __APP_INTERFACE__: INTERFACE[options.template] };
  const sample = options.template === 'framework' ? sampleApp() : { dir: '', files: [] };
  if (options.template === 'framework' && sample.dir === '') {
    throw new CreateTsgiError('CT_ERR_TEMPLATE_FILES', `create-tsgi: the sample app's files (${sample.files.join(', ')}) are missing from this create-tsgi; reinstall it`);
  }
  // Every check before the first write: a refused run leaves nothing behind.
  const templateManifest = join(TEMPLATES_DIR, options.template, '_package.json');
  const templateDeps = (JSON.parse(readFileSync(templateManifest, 'utf8')) as { dependencies: Record<string, string> }).dependencies;
  const vendored = options.tsgiPackages === undefined ? new Map<string, string>() : planVendor(options.tsgiPackages, Object.keys(templateDeps));

  mkdirSync(options.target, { recursive: true });
  for (const dir of ['common', options.template]) {
    copyTemplate(join(TEMPLATES_DIR, dir), options.target, vars, files);
  }
  for (const file of sample.files) {
    cpSync(join(sample.dir, file), join(options.target, file), { recursive: true });
    files.push(file);
  }

  const manifestFile = join(options.target, 'package.json');
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { dependencies: Record<string, string> };
  for (const [dep, spec] of Object.entries(manifest.dependencies)) {
    if (spec === '__TSGI_VERSION__') manifest.dependencies[dep] = `^${ownVersion()}`;
  }
  for (const [name, tarball] of vendored) {
    const file = basename(tarball);
    copyFileSync(tarball, join(options.target, 'vendor', file));
    files.push(`vendor/${file}`);
    manifest.dependencies[name] = `file:vendor/${file}`;
  }
  manifest.dependencies = Object.fromEntries(Object.entries(manifest.dependencies).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  return { files: files.sort(), vendored: [...vendored.keys()] };
}

function copyTemplate(from: string, to: string, vars: Record<string, string>, files: string[], root = to): void {
  let entries: string[];
  try {
    entries = readdirSync(from);
  } catch (err) {
    throw new CreateTsgiError('CT_ERR_TEMPLATE_FILES', `create-tsgi: template folder ${from} is missing; reinstall create-tsgi`, { cause: err });
  }
  mkdirSync(to, { recursive: true });
  for (const entry of entries) {
    if (entry === 'sample-app-files.json') continue;
    const source = join(from, entry);
    const dest = join(to, RENAMED[entry] ?? entry);
    if (statSync(source).isDirectory()) {
      copyTemplate(source, dest, vars, files, root);
      continue;
    }
    const text = readFileSync(source, 'utf8');
    writeFileSync(dest, Object.entries(vars).reduce((t, [key, value]) => t.replaceAll(key, value), text));
    files.push(relative(root, dest));
  }
}

/**
 * Picks the tarballs the project needs from `dir`: the template's @tsgi dependencies
 * and theirs, found by reading each tarball's package.json. Each becomes a
 * `file:vendor/<tarball>` dependency, so npm never asks a registry for an @tsgi
 * package and `docker build` finds them in the build context. Returns name → tarball.
 */
function planVendor(dir: string, templateDeps: string[]): Map<string, string> {
  const byName = new Map<string, { file: string; deps: string[] }>();
  for (const entry of readdirSync(dir).filter((f) => f.endsWith('.tgz')).sort()) {
    const manifest = readPackedManifest(join(dir, entry));
    if (manifest === null || !manifest.name.startsWith('@tsgi/')) continue;
    const seen = byName.get(manifest.name);
    if (seen) throw new CreateTsgiError('CT_ERR_PACKAGES', `create-tsgi: --tsgi-packages holds two tarballs of ${manifest.name} (${basename(seen.file)}, ${entry}); keep one`);
    byName.set(manifest.name, { file: join(dir, entry), deps: Object.keys(manifest.dependencies ?? {}).filter((d) => d.startsWith('@tsgi/')) });
  }
  const wanted = templateDeps.filter((d) => d.startsWith('@tsgi/'));
  const needed = new Map<string, string>();
  while (wanted.length > 0) {
    const name = wanted.pop()!;
    if (needed.has(name)) continue;
    const found = byName.get(name);
    if (!found) throw new CreateTsgiError('CT_ERR_PACKAGES', `create-tsgi: --tsgi-packages ${dir} has no tarball of ${name} (npm pack -w <its folder> --pack-destination ${dir})`);
    needed.set(name, found.file);
    wanted.push(...found.deps);
  }
  return new Map([...needed].sort(([a], [b]) => a.localeCompare(b)));
}
