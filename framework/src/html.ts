const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&#34;',
  "'": '&#39;',
};
const HTML_SPECIAL = /[&<>"']/g;
const HAS_SPECIAL = /[&<>"']/;

/** HTML-escapes text exactly as MarkupSafe does (Jinja2's and Werkzeug's escaping). */
export function escapeHtml(text: string): string {
  return HAS_SPECIAL.test(text) ? text.replace(HTML_SPECIAL, (ch) => HTML_ESCAPES[ch]!) : text;
}
