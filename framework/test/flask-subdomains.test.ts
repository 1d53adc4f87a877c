import { test } from 'node:test';
import assert from 'node:assert/strict';
import { App, Blueprint } from '@tsgi/framework';

/** Subdomain and host matching, as Flask's test_basic.py (test_subdomain_*, test_server_name_subdomain) and werkzeug's test_routing.py (host matching). */

test('subdomain matching: a fixed subdomain and the server name itself (test_subdomain_basic_support)', async () => {
  const app = new App({ serverName: 'localhost.localdomain', subdomainMatching: true });
  app.get('/', function normal_index() { return 'normal index'; });
  app.get('/', function test_index() { return 'test index'; }, { subdomain: 'test' });
  const client = app.testClient();
  assert.equal((await client.get('/', { headers: { Host: 'localhost.localdomain' } })).text, 'normal index');
  assert.equal((await client.get('/', { headers: { Host: 'test.localhost.localdomain' } })).text, 'test index');
  assert.equal((await client.get('/', { headers: { Host: 'other.localhost.localdomain' } })).status, 404);
  assert.equal((await client.get('/', { headers: { Host: 'elsewhere.example' } })).status, 404, 'a host outside the server name matches nothing');
});

test('subdomain variables join the params; ports and url_for across subdomains (test_subdomain_matching, test_subdomain_matching_with_ports)', async () => {
  const app = new App({ serverName: 'localhost.localdomain:3000', subdomainMatching: true });
  // A subdomain variable joins the params at run time; the rule '/' alone types them as empty.
  app.get('/', function index({ params }) { return `index for ${(params as Record<string, unknown>)['user'] as string}`; }, { subdomain: '<user>' });
  app.get('/home', function home(ctx) { return [ctx.urlFor('index', { user: 'bob' }), ctx.urlFor('home')].join(' '); });
  const client = app.testClient();
  assert.equal((await client.get('/', { headers: { Host: 'mitsuhiko.localhost.localdomain:3000' } })).text, 'index for mitsuhiko');
  assert.equal((await client.get('/home', { headers: { Host: 'localhost.localdomain:3000' } })).text, 'http://bob.localhost.localdomain:3000/ /home');
  assert.equal(app.urlFor('index', { user: 'amy' }), 'http://amy.localhost.localdomain:3000/');
});

test('blueprint subdomain applies to its routes (test_nesting_subdomains)', async () => {
  const app = new App({ serverName: 'example.test', subdomainMatching: true });
  const api = new Blueprint('api', { subdomain: 'api' });
  api.get('/status', function status() { return 'api ok'; });
  app.registerBlueprint(api);
  const client = app.testClient();
  assert.equal((await client.get('/status', { headers: { Host: 'api.example.test' } })).text, 'api ok');
  assert.equal((await client.get('/status', { headers: { Host: 'example.test' } })).status, 404);
});

test('host matching: host patterns with variables, plain rules on any host (test_host_matching)', async () => {
  const app = new App({ hostMatching: true });
  app.get('/', function user_home({ params }) { return `home of ${(params as Record<string, unknown>)['user'] as string}`; }, { host: '<user>.example.com' });
  app.get('/about', function about() { return 'about'; });
  app.get('/link', function link(ctx) { return ctx.urlFor('user_home', { user: 'zoe' }); });
  const client = app.testClient();
  assert.equal((await client.get('/', { headers: { Host: 'ann.example.com' } })).text, 'home of ann');
  assert.equal((await client.get('/', { headers: { Host: 'example.org' } })).status, 404);
  assert.equal((await client.get('/about', { headers: { Host: 'anything.test' } })).text, 'about');
  assert.equal((await client.get('/link', { headers: { Host: 'ann.example.com' } })).text, 'http://zoe.example.com/');
});

test('without subdomain matching, subdomain rules never match (Flask default)', async () => {
  const app = new App({ serverName: 'example.test' });
  app.get('/', function plain() { return 'plain'; });
  app.get('/api', function api() { return 'api'; }, { subdomain: 'api' });
  const client = app.testClient();
  assert.equal((await client.get('/', { headers: { Host: 'api.example.test' } })).text, 'plain');
  assert.equal((await client.get('/api', { headers: { Host: 'api.example.test' } })).status, 404);
});
