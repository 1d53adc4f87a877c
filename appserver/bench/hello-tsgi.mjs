// The trivial app, TSGI flavour: 200 "Hello, World!" text/plain.
const body = new TextEncoder().encode('Hello, World!');
export const app = (_environ, startResponse) => {
  startResponse('200 OK', [['Content-Type', 'text/plain'], ['Content-Length', String(body.length)]]);
  return [body];
};
