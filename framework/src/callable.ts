import type { Environ, ResponseBody, StartResponse } from '@tsgi/gateway';

/** The TSGI call signature an `App` instance has. */
export type TsgiCall = (environ: Environ, startResponse: StartResponse) => ResponseBody | Promise<ResponseBody>;

const SET_CALL = Symbol('tsgi.setCall');

/**
 * A class whose instances are functions: the constructor returns an arrow
 * function carrying the subclass prototype, so `app(environ, startResponse)`
 * works and `app.route(...)` too. The call goes straight to the target set
 * with `setCall`, never through a prototype lookup on the hot path.
 */
export abstract class Callable {
  constructor() {
    let target: TsgiCall = () => {
      throw new TypeError(`${new.target.name} is not a TSGI app`);
    };
    const self = (environ: Environ, startResponse: StartResponse): ResponseBody | Promise<ResponseBody> => target(environ, startResponse);
    Object.setPrototypeOf(self, new.target.prototype);
    Object.defineProperty(self, SET_CALL, {
      value: (call: TsgiCall) => {
        target = call;
      },
    });
    return self as unknown as Callable;
  }

  /** Sets what calling the instance does. */
  protected setCall(call: TsgiCall): void {
    (this as unknown as { [SET_CALL]: (call: TsgiCall) => void })[SET_CALL](call);
  }
}
