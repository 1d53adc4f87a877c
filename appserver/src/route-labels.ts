/** The `route` label of a request no rule matched, or of an app that names no routes. */
export const UNMATCHED_ROUTE = '';
/** The `route` label of every route seen after the cap was reached. */
export const OVERFLOW_ROUTE = '<other>';
/** Distinct `route` values one worker reports; a framework app has one per rule, far fewer than this. */
export const MAX_ROUTE_LABELS = 100;

/**
 * Bounds the `route` label: an app that puts raw paths (`/post/17`) where a
 * rule belongs (`/post/<int:post_id>`) would otherwise grow a series per URL.
 * The first MAX_ROUTE_LABELS distinct values pass; later ones report as
 * OVERFLOW_ROUTE.
 */
export class RouteLabels {
  private readonly seen = new Set<string>();

  constructor(private readonly max = MAX_ROUTE_LABELS) {}

  /** The label for an app-reported route (anything but a string counts as unmatched). */
  label(route: unknown): string {
    if (typeof route !== 'string' || route === UNMATCHED_ROUTE) return UNMATCHED_ROUTE;
    if (this.seen.has(route)) return route;
    if (this.seen.size >= this.max) return OVERFLOW_ROUTE;
    this.seen.add(route);
    return route;
  }
}
