/**
 * Werkzeug's secure_filename: a name safe to store on a regular file system.
 * Non-ASCII is folded (NFKD, then dropped), separators become spaces, runs of
 * whitespace one `_`, anything outside `[A-Za-z0-9_.-]` is removed and leading
 * or trailing `.`/`_` stripped, so `../../etc/passwd` is `etc_passwd`. The result
 * may be empty: pick a name of your own then. Uploaded filenames reach handlers
 * as sent (`UploadedFile.filename`); this is the separate step Flask's docs ask for.
 */
export function secureFilename(filename: string): string {
  // eslint-disable-next-line no-control-regex -- keeps ASCII: U+0000-U+007F is the range kept
  const ascii = filename.normalize('NFKD').replace(/[^\x00-\x7f]/g, '');
  const spaced = ascii.replace(/\//g, ' ');
  // Python's str.split() without arguments: runs of whitespace, ends trimmed.
  // eslint-disable-next-line no-control-regex -- Python's str.split() also splits on U+001C-U+001F
  const joined = spaced.split(/[\s\x1c-\x1f]+/).filter(Boolean).join('_');
  return joined.replace(/[^A-Za-z0-9_.-]/g, '').replace(/^[._]+|[._]+$/g, '');
}
