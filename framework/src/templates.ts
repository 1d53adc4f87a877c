import { createRequire } from 'node:module';
import nunjucks from 'nunjucks';
import { messageOf } from '@tsgi/errors';
import { SetupError } from './errors.js';
import { escapeHtml } from './html.js';

export interface TemplateOptions {
  /** Folders searched in order (the app's first, then blueprints'). */
  folders: readonly string[];
  /** Re-read templates on every render (debug); production caches compiled templates. */
  noCache: boolean;
  /** JSON serialiser of the `tojson` filter (the app's provider). */
  dumps: (value: unknown, indent?: number) => string;
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

/**
 * Jinja prints Python's True, False and None as `True`, `False` and `None`;
 * nunjucks prints `true`, `false` and nothing. Wrapping the one output
 * function keeps pages identical to Flask's; undefined still prints nothing,
 * as Jinja's Undefined does. Process-wide too, so done once.
 */
function useJinjaLiterals(): void {
  const runtime = nunjucks.runtime as unknown as { suppressValue: (value: unknown, autoescape: boolean) => unknown; jinjaLiterals?: true };
  if (runtime.jinjaLiterals === true) return;
  const suppress = runtime.suppressValue;
  runtime.suppressValue = (value, autoescape) =>
    suppress(value === true ? 'True' : value === false ? 'False' : value === null ? 'None' : value, autoescape);
  runtime.jinjaLiterals = true;
}

/** Jinja's literals as globals: lower-case `true`, `false` and `none` are nunjucks literals already. */
const JINJA_LITERALS: Record<string, unknown> = { True: true, False: false, None: null };

/** Flask's select_jinja_autoescape: only these extensions (and template strings) are autoescaped. */
const ESCAPED_EXTENSIONS = ['.html', '.htm', '.xml', '.xhtml', '.svg'];

export function autoescapes(name: string): boolean {
  const lower = name.toLowerCase();
  return ESCAPED_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** A file loader that drops one trailing newline of each template, as Jinja's keep_trailing_newline=False. */
class JinjaFileLoader extends nunjucks.FileSystemLoader {
  override getSource(name: string): nunjucks.LoaderSource {
    const source = super.getSource(name) as nunjucks.LoaderSource | null;
    if (source === null) return source as unknown as nunjucks.LoaderSource;
    return { ...source, src: source.src.replace(/\r?\n$/, '') };
  }
}

type Filter = (...args: never[]) => unknown;

/**
 * Nunjucks (Jinja2's counterpart) configured as Flask configures Jinja2: two
 * environments over the same loader, filters, tests and globals: one
 * autoescaping for html/htm/xml/xhtml, one plain for everything else.
 */
export class TemplateEngine {
  private readonly escaping: nunjucks.Environment;
  private readonly plain: nunjucks.Environment;

  constructor(options: TemplateOptions) {
    useJinjaEscaping();
    useJinjaLiterals();
    const loader = new JinjaFileLoader([...options.folders], { noCache: options.noCache, watch: false });
    this.escaping = new nunjucks.Environment(loader, { autoescape: true, throwOnUndefined: false });
    this.plain = new nunjucks.Environment(loader, { autoescape: false, throwOnUndefined: false });
    const runtime = nunjucks.runtime as unknown as { SafeString: new (text: string) => unknown };
    // Flask's tojson: JSON made safe to embed in HTML and <script> (htmlsafe_json_dumps).
    this.addFilter('tojson', (value: unknown, indent?: number) => {
      const text = options.dumps(value, indent).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/'/g, '\\u0027');
      return new runtime.SafeString(text);
    });
    for (const [name, value] of Object.entries(JINJA_LITERALS)) this.addGlobal(name, value);
    // Jinja's `is true` / `is false` (nunjucks has `none`/`null` only): identity, not truthiness.
    this.addTest('true', (value: unknown) => value === true);
    this.addTest('false', (value: unknown) => value === false);
  }

  addFilter(name: string, fn: Filter): void {
    this.escaping.addFilter(name, fn as (...args: unknown[]) => unknown);
    this.plain.addFilter(name, fn as (...args: unknown[]) => unknown);
  }

  addGlobal(name: string, value: unknown): void {
    this.escaping.addGlobal(name, value);
    this.plain.addGlobal(name, value);
  }

  addTest(name: string, fn: (...args: never[]) => boolean): void {
    const add = (env: nunjucks.Environment) => (env as unknown as { addTest(name: string, fn: unknown): void }).addTest(name, fn);
    add(this.escaping);
    add(this.plain);
  }

  render(name: string, context: Record<string, unknown>): string {
    try {
      return (autoescapes(name) ? this.escaping : this.plain).render(name, context);
    } catch (error) {
      throw new SetupError('FW_ERR_TEMPLATES', `template ${JSON.stringify(name)}: ${messageOf(error)}`, { cause: error });
    }
  }

  /** Template source text, autoescaped (Flask's render_template_string). */
  renderString(source: string, context: Record<string, unknown>): string {
    try {
      return this.escaping.renderString(source, context);
    } catch (error) {
      throw new SetupError('FW_ERR_TEMPLATES', `template string: ${messageOf(error)}`, { cause: error });
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
