import type { NextFunction, Request, Response } from 'express';
import type { NodeAPI } from 'node-red';
import { Delivery, EventReceiver, MAX_BODY_BYTES } from '../core/events/receiver';
import type { WebhookState } from '../core/events/registration';
import type { AccountNode } from './runtime';

/**
 * The account's webhook endpoint: `POST <httpNodeRoot>/netatmo-tokens/webhook/<account id>`.
 *
 * The signature covers the body's raw bytes, so they must reach us unparsed. With httpAdminRoot and
 * httpNodeRoot both `/` (Node-RED's default) every request first crosses the admin app, whose JSON
 * parser would consume a JSON body. So, as Node-RED's own `http in` node does for its "raw body" routes,
 * a small middleware at the top of the root app's stack reads our paths' bodies (at most 64 KiB) and
 * marks them read (`_body`, `skipRawBodyParser`), which every parser after it respects.
 */

export const WEBHOOK_PATH = '/netatmo-tokens/webhook';
/** Our path at the end of any prefix (httpNodeRoot, a proxy's): matched from the root app. */
const OUR_PATH = /\/netatmo-tokens\/webhook\/[A-Za-z0-9._-]{1,128}\/?$/;

type RawRequest = Request & { netatmoRaw?: Buffer; _body?: boolean; skipRawBodyParser?: boolean };

/** What every receiver of one account shares: the receiving end (counters, dedup) and who listens. */
export interface Hub {
  receiver: EventReceiver;
  listeners: Set<(d: Delivery) => void>;
  /** The registration at Netatmo, as the account last reported it; `watchers` are told of each change. */
  webhook: WebhookState;
  watchers: Set<() => void>;
}

/** Per account id, kept across redeploys (the counters and the dedup memory stay with the account). */
const hubs = new Map<string, Hub>();
export function hubOf(accountId: string): Hub {
  let hub = hubs.get(accountId);
  if (!hub)
    hubs.set(accountId, (hub = { receiver: new EventReceiver(), listeners: new Set(), webhook: { status: 'off' }, watchers: new Set() }));
  return hub;
}

/** The registration for the editor: its status and times; of an error, our code and Netatmo's number only (no outside text). */
export function webhookBody(accountId: string): Record<string, unknown> {
  const w = hubOf(accountId).webhook;
  const c = hubOf(accountId).receiver.counters;
  return {
    status: w.status,
    url: w.url ?? null,
    registered_at: w.registered_at ?? null,
    last_event_at: w.last_event_at ?? c.lastEventAt ?? null,
    retry_at: w.retry_at ?? null,
    quiet: !!w.quiet,
    error: w.error ? { code: w.error.code, api_code: w.error.api_code ?? null } : null,
    events: c.events,
    refused: c.refused,
  };
}

/** Tells every listener of the account, after the answer has gone. */
function publish(hub: Hub, delivery: Delivery): void {
  setImmediate(() => {
    for (const listener of hub.listeners) listener(delivery);
  });
}

/** Reads a body of at most MAX_BODY_BYTES; `undefined` once a 413 has been answered (the rest is not read). */
function readRaw(req: Request, res: Response, done: (raw: Buffer | undefined) => void): void {
  const declared = Number(req.headers['content-length']);
  const tooLarge = (): void => {
    // Plain Node.js calls: first in the root app's stack, this runs before Express extends req and res.
    res.statusCode = 413;
    res.setHeader('Connection', 'close');
    res.end();
    req.resume(); // discard what is still coming
    done(undefined);
  };
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) return tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const onData = (chunk: Buffer): void => {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    else if (!finished) {
      finished = true;
      req.removeListener('data', onData);
      tooLarge();
    }
  };
  req.on('data', onData);
  req.once('end', () => {
    if (!finished) {
      finished = true;
      done(Buffer.concat(chunks, size));
    }
  });
  req.once('error', () => {
    if (!finished) {
      finished = true;
      done(undefined);
    }
  });
}

/** The request's path without its query (req.path is Express's, not there yet at the top of the stack). */
const pathOf = (req: Request): string => (req.url ?? '').split('?')[0];

/** The middleware placed first on the root app: our POSTs' bodies, raw, before any parser. */
function captureRaw(req: Request, res: Response, next: NextFunction): void {
  const r = req as RawRequest;
  if (req.method !== 'POST' || r._body || req.readableEnded || !OUR_PATH.test(pathOf(req))) return next();
  readRaw(req, res, (raw) => {
    if (!raw) {
      const hub = hubFor(req);
      if (hub) publish(hub, hub.receiver.count('too-large'));
      return;
    }
    r.netatmoRaw = raw;
    r._body = true; // body-parser's mark: "already read"
    r.skipRawBodyParser = true; // Node-RED's http in node's mark
    next();
  });
}

/** The hub of the account a request names (to count a refusal before routing). */
function hubFor(req: Request): Hub | undefined {
  const id = /\/webhook\/([A-Za-z0-9._-]{1,128})\/?$/.exec(pathOf(req))?.[1];
  return id && hubs.has(id) ? hubs.get(id) : undefined;
}

type App = { use: (fn: unknown) => void; parent?: App; _router?: { stack: Array<{ handle: unknown }> } };
const installed = new WeakSet<object>();

/** Puts captureRaw at the top of the root app's stack, once per app (the http in node moves its own the same way). */
function installCapture(httpNode: App): void {
  let root = httpNode;
  while (root.parent) root = root.parent;
  if (installed.has(root)) return;
  installed.add(root);
  root.use(captureRaw);
  const stack = root._router?.stack;
  const i = stack ? stack.findIndex((layer) => layer.handle === captureRaw) : -1;
  if (stack && i > 0) stack.unshift(stack.splice(i, 1)[0]);
}

/**
 * Installs the endpoint on RED.httpNode (once per app). The answer goes out before any listener runs:
 * a slow flow never makes Netatmo count a failure.
 */
export function registerWebhookEndpoint(RED: NodeAPI, warnOnce: (key: string) => void): void {
  const httpNode = RED.httpNode as unknown as App & { post: (path: string, fn: unknown) => void };
  if (!httpNode || installed.has(httpNode)) return;
  installed.add(httpNode);
  installCapture(httpNode);
  httpNode.post(`${WEBHOOK_PATH}/:id`, (req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store');
    const id = String(req.params.id);
    const account = RED.nodes.getNode(id) as AccountNode | null;
    if (!account || account.type !== 'netatmo-account') return void res.status(404).end();
    const secret = account.credentials?.clientSecret;
    if (!secret) return void res.status(503).end();
    const answer = (raw: Buffer | undefined): void => {
      const hub = hubOf(id);
      if (!raw) return publish(hub, hub.receiver.count('too-large'));
      const delivery = hub.receiver.receive(raw, req.headers['x-netatmo-secret'], secret);
      res.status(delivery.status).end();
      publish(hub, delivery);
    };
    const r = req as RawRequest;
    if (r.netatmoRaw) answer(r.netatmoRaw);
    else if (!r._body && !req.readableEnded) readRaw(req, res, answer);
    else {
      // Another middleware parsed the body first: its bytes are gone, no signature can be checked.
      warnOnce('netatmo-event.log.body-consumed');
      res.status(500).end();
    }
  });
}
