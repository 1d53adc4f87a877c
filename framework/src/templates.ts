import { createRequire } from 'node:module';
import nunjucks from 'nunjucks';
import { SetupError } from './errors.js';
import { escapeHtml } from './html.js';

export interface TemplateOptions {
  /** Folder of templates (absolute, or relative to the working directory). */
  folder: string;
  /** Re-read templates on every render (debug); production caches compiled templates. */
  noCache: boolean;
}

let jinjaEscaping = false;

// Nunjucks escapes `"` as `&quot;` and `\` as `&#92;`; Jinja2 (MarkupSafe)
// writes `&#34;` and leaves `\`. Patching the shared escape function makes
// pages byte-identical to Flask's. It is process-wide, so it is done once.
function useJinjaEscaping(): void {
  if (jinjaEscaping) return;
  const lib = createRequire(import.meta.url)('nunjucks/src/lib.js') as { escape: (text: string) => string };
  lib.escape = escapeHtml;
  jinjaEscaping = true;
}

/** Nunjucks (Jinja2's counterpart) with autoescaping on, as Flask configures Jinja2. */
export class TemplateEngine {
  readonly env: nunjucks.Environment;

  constructor(options: TemplateOptions) {
    useJinjaEscaping();
    const loader = new nunjucks.FileSystemLoader(options.folder, { noCache: options.noCache, watch: false });
    this.env = new nunjucks.Environment(loader, { autoescape: true, throwOnUndefined: false });
  }

  render(name: string, context: Record<string, unknown>): string {
    try {
      return this.env.render(name, context);
    } catch (error) {
      throw new SetupError('FW_ERR_TEMPLATES', `template ${JSON.stringify(name)}: ${(error as Error).message}`, { cause: error });
    }
  }

  renderString(source: string, context: Record<string, unknown>): string {
    try {
      return this.env.renderString(source, context);
    } catch (error) {
      throw new SetupError('FW_ERR_TEMPLATES', `template string: ${(error as Error).message}`, { cause: error });
    }
  }
}

/** Strips nunjucks' keyword-argument marker: `url_for('x', id=1)` arrives as ('x', {id: 1, __keywords: true}). */
export function keywordArgs(args: unknown[]): Record<string, unknown> {
  const last = args[args.length - 1];
  if (last !== null && typeof last === 'object' && (last as Record<string, unknown>)['__keywords'] === true) {
    const { __keywords: _marker, ...rest } = last as Record<string, unknown>;
    return rest;
  }
  return {};
}
