// HEALTHCHECK for base images without wget (node:*-slim): exit 0 only on a 2xx
// from the URL given, within 2.5 s.
const url = process.argv[2];
if (!url) process.exit(1);
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(2500) });
  process.exit(res.ok ? 0 : 1);
} catch {
  process.exit(1);
}
