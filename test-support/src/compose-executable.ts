import * as compose from 'docker-compose';

/** How docker-compose (the npm driver) runs Compose: the v2 plugin or v1's standalone `docker-compose`. */
export type ComposeExecutable = compose.IDockerComposeOptions['executable'];

let executable: Promise<ComposeExecutable | null> | undefined;

/** `docker compose` (v2) when present, else Compose v1's `docker-compose` (Debian 12 ships 1.29), else null. */
export function composeExecutable(): Promise<ComposeExecutable | null> {
  executable ??= (async () => {
    for (const candidate of [{ executablePath: 'docker' }, { standalone: true as const }]) {
      try {
        await compose.version({ executable: candidate });
        return candidate;
      } catch {
        // Not this one.
      }
    }
    return null;
  })();
  return executable;
}
