import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, NodeStatus } from 'node-red';
import { NetatmoError } from '../core/shared/errors';
import type { TokenSet } from '../core/token/oauth';
import { translatorOf } from './i18n';
import { AccountNode, maxWaitMs, showAgainOnStart } from './runtime';

interface TokenConfig extends NodeDef {
  account: string;
  interval?: number | string;
  /** Seconds a message may wait for a token while the account retries a failed refresh (0: not at all). */
  maxWait?: number | string;
}

export interface TokenMessage extends NodeMessage {
  access_token?: string;
  headers?: Record<string, unknown>;
  netatmo?: { expires_at: number; scope: string[] };
}

/** Puts the token where an `http request` node and a flow look for it. */
export function withToken(msg: TokenMessage, t: TokenSet): TokenMessage {
  const headers: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(msg.headers ?? {})) if (k.toLowerCase() !== 'authorization') headers[k] = v;
  headers.Authorization = `Bearer ${t.access_token}`;
  msg.access_token = t.access_token;
  msg.headers = headers;
  msg.netatmo = { expires_at: t.expires_at, scope: t.scope.slice() }; // a copy: flows may change theirs
  return msg;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

/** setInterval's limit: a longer interval would fire at once, every millisecond. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export default function (RED: NodeAPI): void {
  const tr = translatorOf(RED);
  function TokenNodeCtor(this: Node, config: TokenConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const account = RED.nodes.getNode(config.account) as AccountNode | null;
    if (!account || account.type !== 'netatmo-account') {
      node.error(tr('netatmo-token.errors.no-account'));
      const noAccount: NodeStatus = { fill: 'red', shape: 'ring', text: tr('netatmo-token.status.no-account') };
      node.status(noAccount);
      showAgainOnStart(RED, node, () => node.status(noAccount));
      // No token can be had: each message goes to Catch, as the contract says, instead of vanishing.
      node.on('input', (_msg: NodeMessageInFlow, _send: unknown, done: (err?: Error) => void) =>
        done(new NetatmoError('NO_ACCOUNT', tr('netatmo-token.errors.no-account'))),
      );
      return;
    }
    const manager = account.manager;
    const waitMs = maxWaitMs(config.maxWait);
    account.register(node);

    /**
     * The one error path: a typed error with a stable code. The status shows the account's state
     * (grey not authorized, yellow retrying, red re-authorization needed...); a bad message, red.
     */
    const report = (err: unknown): NetatmoError => {
      const e = account.localize(err);
      node.status(e.code === 'INVALID_INPUT' ? { fill: 'red', shape: 'dot', text: e.code } : account.statusOf(manager.state));
      return e;
    };

    node.on('input', (msg: NodeMessageInFlow, send: (m: NodeMessage) => void, done: (err?: Error) => void) => {
      const m = msg as TokenMessage;
      if (m.headers !== undefined && !isPlainObject(m.headers)) {
        done(report(new NetatmoError('INVALID_INPUT', tr('netatmo-token.errors.bad-headers'))));
        return;
      }
      const cached = manager.fresh();
      if (cached) {
        send(withToken(m, cached));
        done();
        return;
      }
      manager
        .getToken({ maxWaitMs: waitMs })
        .then((t) => {
          send(withToken(m, t));
          done();
        })
        .catch((err) => done(report(err)));
    });

    const seconds = Number(config.interval) || 0;
    let timer: NodeJS.Timeout | undefined;
    if (seconds > 0) {
      timer = setInterval(
        () => {
          manager
            .getToken()
            .then((t) => node.send(withToken({ payload: t.access_token, _msgid: RED.util.generateId() }, t)))
            .catch((err) => node.error(report(err), { _msgid: RED.util.generateId(), payload: undefined }));
        },
        Math.min(seconds * 1000, MAX_TIMER_MS),
      );
    }

    node.on('close', (_removed: boolean, done: () => void) => {
      if (timer) clearInterval(timer);
      account.deregister(node);
      done();
    });
  }

  RED.nodes.registerType('netatmo-token', TokenNodeCtor as unknown as Parameters<typeof RED.nodes.registerType>[1]);
}
