import type { Blueprint } from './blueprint.js';
import type { Handler } from './types.js';

/** @internal A registered endpoint. */
export interface View {
  handler: Handler<never>;
  identity: unknown;
  /** The blueprints of the endpoint, innermost first (empty for app routes). */
  blueprints: readonly Blueprint[];
  /** The registered name of the innermost blueprint (`parent.child`; differs from `blueprint.name` for a second registration). */
  blueprintName: string | undefined;
}
