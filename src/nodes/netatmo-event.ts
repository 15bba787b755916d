import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, NodeStatus } from 'node-red';
import { NetatmoError } from '../core/shared/errors';
import { Delivery, EventReceiver, Outcome } from '../core/events/receiver';
import { EventInfo, matchesFilter, parseFilter, topicOf } from '../core/events/payload';
import { Translate, translatorOf } from './i18n';
import type { AccountNode } from './runtime';
import { Hub, hubOf, registerWebhookEndpoint } from './webhook-endpoint';

interface EventConfig extends NodeDef {
  account: string;
  filter?: string;
  allowUnsigned?: boolean;
}

/** How often at most a node's status changes while events pour in. */
const STATUS_EVERY_MS = 250;

export default function (RED: NodeAPI): void {
  const tr = translatorOf(RED);
  const warned = new Set<string>();
  const warnOnce = (key: string): void => {
    if (warned.has(key)) return;
    warned.add(key);
    RED.log.warn(tr(key));
  };
  registerWebhookEndpoint(RED, warnOnce);

  function EventNodeCtor(this: Node, config: EventConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const account = RED.nodes.getNode(config.account) as AccountNode | null;
    if (!account || account.type !== 'netatmo-account') {
      node.error(tr('netatmo-event.errors.no-account'));
      node.status({ fill: 'red', shape: 'ring', text: tr('netatmo-event.status.no-account') });
      node.on('input', (_msg: NodeMessageInFlow, _send: unknown, done: (err?: Error) => void) =>
        done(new NetatmoError('NO_ACCOUNT', tr('netatmo-event.errors.no-account'))),
      );
      return;
    }
    const filter = parseFilter(config.filter);
    const hub = hubOf(account.id);
    /** Input messages (a relay, an http in node) have their own receiving end: they leave this node only. */
    const relay = new EventReceiver();

    let timer: NodeJS.Timeout | undefined;
    const showStatus = (): void => {
      timer = undefined;
      node.status(eventStatus(tr, hub, relay));
    };
    const statusSoon = (): void => {
      if (!timer) timer = setTimeout(showStatus, STATUS_EVERY_MS);
    };
    showStatus();

    const message = (body: unknown, info: EventInfo, base: NodeMessage = {}): NodeMessage =>
      Object.assign(base, { payload: body, topic: topicOf(info), netatmo: { ...info } });

    const listener = (d: Delivery): void => {
      statusSoon();
      if (d.outcome !== 'event' || !d.info || !matchesFilter(filter, d.info)) return;
      // Each node gets its own copy: a flow changing its message never changes another node's.
      node.send(message(structuredClone(d.body), d.info));
    };
    hub.listeners.add(listener);
    hub.watchers.add(statusSoon);

    node.on('input', (msg: NodeMessageInFlow, send: (m: NodeMessage) => void, done: (err?: Error) => void) => {
      const raw = rawOf(msg.payload);
      const d = relay.receive(raw, signatureOf(msg), account.credentials?.clientSecret, !!config.allowUnsigned);
      statusSoon();
      if (d.outcome === 'duplicate') return done();
      if (d.outcome !== 'event' || !d.info) return done(refusal(d.outcome));
      if (!matchesFilter(filter, d.info)) return done();
      send(message(d.body, d.info, msg));
      done();
    });

    /** Why an input message was refused, in the user's language; the message itself goes to Catch. */
    const refusal = (outcome: Outcome): NetatmoError =>
      new NetatmoError('INVALID_INPUT', tr(`netatmo-event.errors.${outcome}`), { reason: `event-${outcome}` });

    node.on('close', (_removed: boolean, done: () => void) => {
      hub.listeners.delete(listener);
      hub.watchers.delete(statusSoon);
      if (timer) clearTimeout(timer);
      timer = undefined;
      done();
    });
  }

  RED.nodes.registerType('netatmo-event', EventNodeCtor as unknown as Parameters<typeof RED.nodes.registerType>[1]);
}

/** An event node's status: the registration's failure, else the counts once something came, else how the registration stands. */
function eventStatus(tr: Translate, hub: Hub, relay: EventReceiver): NodeStatus {
  const a = hub.receiver.counters;
  const b = relay.counters;
  const events = a.events + b.events;
  const refused = a.refused + b.refused;
  const last = Math.max(a.lastEventAt ?? 0, b.lastEventAt ?? 0);
  const w = hub.webhook;
  if (w.status === 'failed') {
    const code = [w.error?.code, w.error?.api_code].filter((c) => c !== undefined).join(' ');
    return { fill: 'red', shape: 'ring', text: tr('netatmo-event.status.failed', { code }) };
  }
  if (events > 0 || refused > 0) {
    const text = tr('netatmo-event.status.counts', { events, refused, time: last ? clockTime(last) : '-' });
    return { fill: refused > 0 && events === 0 ? 'red' : w.quiet ? 'yellow' : 'green', shape: events ? 'dot' : 'ring', text };
  }
  if (w.status === 'registering') return { fill: 'yellow', shape: 'ring', text: tr('netatmo-event.status.registering') };
  if (w.status === 'registered' && w.quiet) return { fill: 'yellow', shape: 'ring', text: tr('netatmo-event.status.quiet') };
  if (w.status === 'registered') return { fill: 'blue', shape: 'ring', text: tr('netatmo-event.status.registered') };
  return { fill: 'grey', shape: 'ring', text: tr('netatmo-event.status.waiting') };
}

/** The body as it came: a Buffer or a string is kept byte for byte; an object was parsed already (its signature cannot match). */
function rawOf(payload: unknown): Buffer {
  if (Buffer.isBuffer(payload)) return payload;
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  try {
    return Buffer.from(JSON.stringify(payload ?? null), 'utf8');
  } catch {
    return Buffer.alloc(0);
  }
}

/** The `x-netatmo-secret` header where a relay or an http in node puts it: msg.headers, or msg.req.headers. */
function signatureOf(msg: NodeMessageInFlow): unknown {
  const m = msg as { headers?: unknown; req?: { headers?: unknown } };
  for (const headers of [m.headers, m.req?.headers]) {
    if (!headers || typeof headers !== 'object') continue;
    for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === 'x-netatmo-secret') return v;
  }
  return undefined;
}

function clockTime(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}
