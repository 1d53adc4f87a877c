import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The templates `--template` accepts; the first is the default. */
export const TEMPLATE_NAMES = ['framework', 'node'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

// src/ and dist/ sit side by side in the package, so one `../` serves both.
const PACKAGE_ROOT = new URL('../', import.meta.url);

/** Files every project gets (Dockerfile, Compose, k8s/, k6/, README), then each template's own folder. */
export const TEMPLATES_DIR = fileURLToPath(new URL('templates/', PACKAGE_ROOT));

/** create-tsgi's own version: the @tsgi packages a registry install asks for are released with it. */
export function ownVersion(): string {
  return (JSON.parse(readFileSync(new URL('package.json', PACKAGE_ROOT), 'utf8')) as { version: string }).version;
}

/**
 * The framework template's app is the repository's sample-app, not a copy of it. Run
 * from the repository, create-tsgi reads ../sample-app itself; the tarball carries
 * the files in its own sample-app/ (put there by `prepack`, scripts/bundle-sample-app.mjs).
 * Which files a project gets is listed once, in templates/framework/sample-app-files.json.
 */
export function sampleApp(): { dir: string; files: string[] } {
  const listFile = fileURLToPath(new URL('templates/framework/sample-app-files.json', PACKAGE_ROOT));
  const files = JSON.parse(readFileSync(listFile, 'utf8')) as string[];
  const repo = fileURLToPath(new URL('../sample-app/', PACKAGE_ROOT));
  const inRepo = existsSync(`${repo}package.json`) && (JSON.parse(readFileSync(`${repo}package.json`, 'utf8')) as { name?: string }).name === '@tsgi/sample-app';
  const dir = inRepo ? repo : fileURLToPath(new URL('sample-app/', PACKAGE_ROOT));
  return { dir: files.every((f) => existsSync(`${dir}${f}`)) ? dir : '', files };
}
