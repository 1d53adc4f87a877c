import { isIP } from 'node:net';
import type { AppserverConfig } from '@tsgi/appserver';
import { ForwardedTrust } from '@tsgi/gateway';
import { DEFAULT_HEAD_LIMITS } from '@tsgi/http1';
import type { ProxyConfig } from '@tsgi/proxy';
import { selects, type Rendered, type RenderedTier } from './k8s-render.js';

/** What the checks found: one line per violation, and the short summary printed when there is none. */
export interface Verdict {
  violations: string[];
  summary: string[];
}

type Proxy = Readonly<ProxyConfig>;
type App = Readonly<AppserverConfig>;

const seconds = (ms: number): string => `${ms / 1000}s`;

/**
 * The pairs of settings that must agree across the two tiers (issue 31), each checked on the configs as
 * each program's own loader reads them; `k8s` adds the checks that need the pods (grace periods, images,
 * NetworkPolicies). Every upstream group of the proxy is taken to front this appserver.
 */
export function checkStack(proxy: Proxy, app: App, k8s?: Rendered): Verdict {
  const out: Verdict = { violations: [], summary: [] };
  keepAlive(proxy, app, out);
  limits(proxy, app, out);
  forwarded(proxy, app, k8s, out);
  if (k8s !== undefined) {
    drain(k8s.app, app.gracefulTimeout * 1000, 'TSGI_GRACEFUL_TIMEOUT / --graceful-timeout', out);
    drain(k8s.proxy, proxy.timeouts.drain, 'timeouts.drain', out);
    images(k8s, out);
  }
  return out;
}

/** The keep-alive race (nodejs/node#20256): a pooled connection the appserver closes while the proxy sends on it is a 502. */
function keepAlive(proxy: Proxy, app: App, out: Verdict): void {
  const appMs = app.keepAlive * 1000;
  for (const [name, group] of Object.entries(proxy.upstreams)) {
    if (group.pool.maxIdle === 0) continue;
    if (group.pool.idleTimeout >= appMs) {
      out.violations.push(
        `upstreams.${name}.pool.idleTimeout ${seconds(group.pool.idleTimeout)} is not below the appserver's keep-alive ${app.keepAlive}s: ` +
          'the proxy reuses connections the appserver is closing (intermittent 502s); make it shorter than --keep-alive',
      );
    }
  }
  const idle = Object.values(proxy.upstreams).map((g) => g.pool.idleTimeout);
  out.summary.push(`pool idle ${idle.map(seconds).join('/')} < keep-alive ${app.keepAlive}s`);
}

/**
 * The edge refuses first: a head or body the appserver would refuse must not be accepted and forwarded by the
 * proxy, so the proxy's limits may equal the appserver's, never exceed them (0: no limit, on either side).
 */
function limits(proxy: Proxy, app: App, out: Verdict): void {
  const pairs: [string, number, string, number][] = [
    ['limits.maxRequestLine', proxy.limits.maxRequestLine, '--limit-request-line', app.limitRequestLine],
    ['limits.maxFieldBytes', proxy.limits.maxFieldBytes, '--limit-request-field-size', app.limitRequestFieldSize],
    ['limits.maxHeaders', proxy.limits.maxHeaders, '--limit-request-fields', app.limitRequestFields],
    ['limits.maxHeaderBytes', proxy.limits.maxHeaderBytes, 'the whole-head limit', DEFAULT_HEAD_LIMITS.headBytes],
    ['limits.maxBodyBytes', proxy.limits.maxBodyBytes, '--limit-request-body', app.limitRequestBody],
  ];
  proxy.routes.forEach((r, i) => {
    if (r.maxHeaderBytes !== undefined) pairs.push([`routes[${i}].maxHeaderBytes`, r.maxHeaderBytes, 'the whole-head limit', DEFAULT_HEAD_LIMITS.headBytes]);
    if (r.maxBodyBytes !== undefined) pairs.push([`routes[${i}].maxBodyBytes`, r.maxBodyBytes, '--limit-request-body', app.limitRequestBody]);
  });
  for (const [key, edge, appKey, appLimit] of pairs) {
    if (appLimit === 0 || (edge !== 0 && edge <= appLimit)) continue;
    out.violations.push(
      `${key} ${edge === 0 ? 'unlimited' : edge} is over the appserver's ${appKey} ${appLimit}: ` +
        'the proxy accepts and forwards what the appserver refuses; lower it to at most the appserver\'s',
    );
  }
  out.summary.push('edge limits <= app limits');
}

const EVERYONE = ['0.0.0.0/0', '::/0'];

/** X-Forwarded-*: the edge keeps only trusted peers' values, the appserver believes only the edge. */
function forwarded(proxy: Proxy, app: App, k8s: Rendered | undefined, out: Verdict): void {
  const everyone = proxy.forwarded.trust.filter((t) => EVERYONE.includes(t));
  if (everyone.length > 0) {
    out.violations.push(
      `forwarded.trust ${everyone.join(', ')} keeps X-Forwarded-* from every client, and the appserver believes what the proxy sends: ` +
        'list only the load balancers in front of the proxy',
    );
  }
  const trust = new ForwardedTrust(app.forwardedAllowIps, '--forwarded-allow-ips');
  const allowed = app.forwardedAllowIps.join(',');
  for (const [name, group] of Object.entries(proxy.upstreams)) {
    for (const { address } of group.servers) {
      if (address.startsWith('unix:')) continue;
      const host = address.slice(0, address.lastIndexOf(':')).replace(/^\[|\]$/g, '');
      // A loopback upstream is reached from loopback; any other from an address of this host or pod.
      const from = host === 'localhost' ? ['127.0.0.1', '::1'] : isLoopback(host) ? [host] : null;
      const believed = from === null ? app.forwardedAllowIps.some((e) => e === '*' || !isLoopback(e.split('/')[0] ?? '')) : from.some((ip) => trust.trusts(ip));
      if (!believed) {
        out.violations.push(
          `the appserver's --forwarded-allow-ips ${allowed} does not include the proxy's address toward ${address} (upstreams.${name}): ` +
            'it ignores the X-Forwarded-Proto the proxy sets',
        );
      }
    }
  }
  if (app.forwardedAllowIps.includes('*')) {
    if (k8s === undefined) {
      out.summary.push("forwarded-allow-ips '*' (only the proxy must reach the app port: not checked without --k8s)");
      return;
    }
    const fence = fencingPolicy(k8s);
    if (fence === null) {
      out.violations.push(
        `the appserver trusts X-Forwarded-* from every peer (--forwarded-allow-ips '*') but no NetworkPolicy admits only the proxy pods to ${k8s.app.deployment}'s app port: ` +
          'add one (k8s/base/app-networkpolicy.yaml) or narrow --forwarded-allow-ips',
      );
      return;
    }
    out.summary.push(`forwarded-allow-ips '*' fenced by NetworkPolicy ${fence}`);
    return;
  }
  out.summary.push(`forwarded-allow-ips ${allowed} admits the proxy`);
}

function isLoopback(ip: string): boolean {
  if (isIP(ip) === 4) return ip.startsWith('127.');
  return ip === '::1';
}

/**
 * The NetworkPolicy that lets only proxy pods reach the app port, or null. NetworkPolicies add up, so every
 * rule of every policy selecting the app pods that opens the app port must name proxy pods only.
 */
function fencingPolicy(k8s: Rendered): string | null {
  const appPort = portOf(k8s.app, Number(/:(\d+)$/.exec(k8s.app.env.TSGI_BIND ?? '')?.[1] ?? 8000));
  const policies = k8s.networkPolicies.filter((p) => p.ingressType && selects(p.podSelector, k8s.app.labels));
  let fence: string | null = null;
  for (const p of policies) {
    for (const rule of p.ingress ?? []) {
      const opens = rule.ports === undefined || rule.ports.length === 0 || rule.ports.some((x) => x.port === undefined || x.port === appPort.name || x.port === appPort.number);
      if (!opens) continue;
      const proxiesOnly = (rule.from?.length ?? 0) > 0 && rule.from!.every((peer) => peer.namespaceSelector === undefined && peer.ipBlock === undefined && peer.podSelector?.matchLabels !== undefined && selects(peer.podSelector.matchLabels, k8s.proxy.labels) && !selects(peer.podSelector.matchLabels, k8s.app.labels));
      if (!proxiesOnly) return null;
      fence = p.name;
    }
  }
  // Policies selecting the pods but no rule for the port: the port is closed to all, the proxy included.
  return fence;
}

function portOf(tier: RenderedTier, number: number): { name: string | undefined; number: number } {
  return { name: tier.ports.find((p) => p.containerPort === number)?.name, number };
}

/** The kubelet sends SIGKILL at terminationGracePeriodSeconds: the preStop sleep and the drain must both fit before it. */
function drain(tier: RenderedTier, drainMs: number, setting: string, out: Verdict): void {
  const total = tier.preStopSeconds + drainMs / 1000;
  if (total >= tier.gracePeriodSeconds) {
    out.violations.push(
      `Deployment ${tier.deployment}: preStop ${tier.preStopSeconds}s + drain ${seconds(drainMs)} (${setting}) = ${total}s is not below terminationGracePeriodSeconds ${tier.gracePeriodSeconds}: ` +
        'the kubelet kills the pod before its in-flight requests finish',
    );
  }
  out.summary.push(`${tier.deployment} preStop ${tier.preStopSeconds}s + drain ${seconds(drainMs)} < grace ${tier.gracePeriodSeconds}s`);
}

/** The production overlay ships `registry.example.invalid/...`: applied unchanged, every pull fails. */
function images(k8s: Rendered, out: Verdict): void {
  for (const tier of [k8s.app, k8s.proxy]) {
    const registry = tier.image?.split('/')[0] ?? '';
    if (registry.endsWith('.invalid')) {
      out.violations.push(
        `Deployment ${tier.deployment}: image ${tier.image} is a placeholder: point it at your registry (kustomize edit set image ...)`,
      );
    }
  }
}
