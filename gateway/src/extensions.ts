/**
 * Extension keys (SPEC.md section 8) that an app or framework sets for the
 * server, rather than the other way round.
 */

/**
 * The rule the request matched, as written in the app (`/post/<int:post_id>`,
 * Express's `/post/:id`), never the concrete path: the appserver labels its
 * request metrics and spans with it. Absent when no rule matched.
 */
export const ROUTE_KEY = 'tsgi.route';
