/**
 * One server process for http.bench.ts: the seed routes on the framework
 * (served by the gateway's reference server) or on fastify. Prints
 * "listening <port>" when ready.
 */
import nunjucks from 'nunjucks';
import { serve } from '@tsgi/gateway';
import { App } from '@tsgi/framework';

const kind = process.argv[2];
const templates = new URL('./templates/', import.meta.url);

if (kind === 'framework') {
  const app = new App({ templatesFolder: templates });
  app.get('/', () => '<p>Hello, World!</p>');
  app.get('/post/<int:post_id>', ({ params }) => `Post ${params.post_id}`);
  app.get('/hello/<name>', (ctx) => ctx.renderTemplate('hello.html', { name: ctx.params.name }));
  app.get('/api/json', () => ({ message: 'Hello, World!' }));
  const running = await serve(app, { port: 0 });
  console.log(`listening ${running.port}`);
} else if (kind === 'fastify') {
  const { default: Fastify } = await import('fastify');
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(templates.pathname), { autoescape: true });
  const app = Fastify({ logger: false });
  app.get('/', (_req, reply) => void reply.type('text/html; charset=utf-8').send('<p>Hello, World!</p>'));
  app.get<{ Params: { post_id: string } }>('/post/:post_id', (req, reply) => {
    if (!/^\d+$/.test(req.params.post_id)) return void reply.code(404).send('not found');
    reply.type('text/html; charset=utf-8').send(`Post ${Number(req.params.post_id)}`);
  });
  app.get<{ Params: { name: string } }>('/hello/:name', (req, reply) => void reply.type('text/html; charset=utf-8').send(env.render('hello.html', { name: req.params.name })));
  app.get('/api/json', () => ({ message: 'Hello, World!' }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  console.log(`listening ${typeof address === 'object' && address ? address.port : 0}`);
} else {
  console.error('usage: http-server.ts framework|fastify');
  process.exit(2);
}
