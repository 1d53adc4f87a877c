#!/usr/bin/env node
// The tsgi command. A committed shim rather than dist/cli/tsgi.js itself: npm links
// a bin only if its file exists at install time, and dist/ is built after
// `npm install` on a fresh clone.
try {
  // A URL rather than a literal specifier: the type check runs before dist/ is built (CI) and must not resolve it.
  await import(new URL('../dist/cli/tsgi.js', import.meta.url).href);
} catch (error) {
  if (error instanceof Error && 'code' in error && error.code === 'ERR_MODULE_NOT_FOUND' && error.message.includes('dist/cli/tsgi.js')) {
    process.stderr.write('tsgi: @tsgi/framework is not built; run `npm run build` at the repository root first\n');
    process.exit(2);
  }
  throw error;
}
