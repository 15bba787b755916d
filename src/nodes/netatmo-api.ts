import { setMaxListeners } from 'node:events';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, NodeStatus } from 'node-red';
import { ENDPOINTS } from '../core/api/catalogue';
import { ApiAnswer, ApiCall, MethodSetting, TokenSource, isPlainObject, payloadParams, prepareCall } from '../core/api/client';
import { ApiErrorBody, NetatmoError, asNetatmoError } from '../core/shared/errors';
import { needsUser } from '../core/token/account-state';
import { parseRateLimits } from '../core/api/rate-budget';
import { translatorOf } from './i18n';
import { AccountNode, apiClientFor, budgetOf, clearBudgets, maxWaitMs, nodeRedSettings, showAgainOnStart } from './runtime';
import { isShaped, outputSetting } from '../core/api/shaped-call';
import { shapedInput } from './api-shaped';
import { IdsCache } from '../core/api/ids';
import { IdsDeps, namesFor, registerIdsRoute } from './api-ids';

interface ApiConfig extends NodeDef {
  account: string;
  endpoint?: string;
  method?: string;
  params?: string | Record<string, unknown>;
  maxWait?: number | string;
  partialAsError?: boolean;
  /** "answer" (default), "chart" (points for ui-chart), "readings" (flat readings by name). */
  output?: string;
  /** With "readings": send nothing when no reading changed since the last message. */
  onlyChanged?: boolean;
}

export interface ApiMessage extends NodeMessage {
  endpoint?: unknown;
  statusCode?: number;
  netatmo?: {
    endpoint?: string;
    status?: string;
    time_server?: number;
    time_exec?: number;
    errors?: unknown[];
    error?: ApiErrorBody;
    requests?: number;
  };
}

export default function (RED: NodeAPI): void {
  const tr = translatorOf(RED);
  const settings = nodeRedSettings(RED);
  const limits = parseRateLimits(settings.apiLimits);
  clearBudgets();
  const ids: IdsDeps = { budgetOf: (accountId) => budgetOf(accountId, limits), cache: new IdsCache() };

  function ApiNodeCtor(this: Node, config: ApiConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const account = RED.nodes.getNode(config.account) as AccountNode | null;
    if (!account || account.type !== 'netatmo-account') {
      node.error(tr('netatmo-api.errors.no-account'));
      const noAccount: NodeStatus = { fill: 'red', shape: 'ring', text: tr('netatmo-api.status.no-account') };
      node.status(noAccount);
      showAgainOnStart(RED, node, () => node.status(noAccount));
      // No call can be made: each message goes to Catch, as for the token node, instead of vanishing.
      node.on('input', (_msg: NodeMessageInFlow, _send: unknown, done: (err?: Error) => void) =>
        done(new NetatmoError('NO_ACCOUNT', tr('netatmo-api.errors.no-account'))),
      );
      return;
    }
    const tokens: TokenSource = account.manager;
    const budget = budgetOf(account.id, limits);
    const method: MethodSetting = config.method === 'GET' || config.method === 'POST' ? config.method : 'auto';
    const waitMs = maxWaitMs(config.maxWait);
    const client = apiClientFor(RED, account);
    const closing = new AbortController();
    setMaxListeners(0, closing.signal); // one listener per waiting message

    let fixed: Record<string, unknown> | undefined;
    let configError: NetatmoError | undefined;
    try {
      const p = typeof config.params === 'string' && config.params.trim() !== '' ? JSON.parse(config.params) : config.params;
      if (p !== undefined && p !== null && p !== '' && !isPlainObject(p)) throw new Error('not an object');
      fixed = p || undefined;
    } catch {
      configError = new NetatmoError('INVALID_INPUT', tr('netatmo-api.errors.bad-params'));
      node.error(configError.message);
    }

    /**
     * The last call's status; while messages wait for the rate budget, how many; the account's own when it
     * needs the user (login refused or missing). An earlier message's success does not hide those waiting.
     */
    let last: NodeStatus | undefined;
    let waiting = 0;
    const show = (s: NodeStatus | undefined): void => {
      const state = account.manager.state;
      if (needsUser(state)) node.status(account.statusOf(state));
      else if (waiting > 0) node.status({ fill: 'yellow', shape: 'ring', text: tr('netatmo-api.status.waiting', { count: waiting }) });
      else node.status(s ?? account.statusOf(state));
    };
    const onWait = (): void => {
      waiting++;
      show(last);
    };
    const onWaitEnd = (): void => {
      waiting = Math.max(0, waiting - 1);
      show(last);
    };
    account.register(node, (state) => {
      // Authorized again: a red "REAUTHORIZE" from before would now mislead.
      if (state.authorized && (last?.text === 'REAUTHORIZE' || last?.text === 'NOT_AUTHORIZED')) last = undefined;
      show(last);
    });

    /** The one error path: red status with the code, Netatmo's own error kept on the message, done(err) in the user's language. */
    const fail = (m: ApiMessage, call: ApiCall | undefined, err: unknown, done: (err?: Error) => void, answered = false): void => {
      const e = account.localize(asNetatmoError(err, 'NETWORK')); // the user's language, every other field kept
      last = { fill: 'red', shape: 'dot', text: e.code };
      show(last);
      if (e.cause) m.netatmo = { ...(answered ? m.netatmo : { endpoint: call?.endpoint }), error: e.cause };
      // The status of an API answer only (the account's failures come without one: see ApiClient.call).
      if (e.status !== undefined) m.statusCode = e.status;
      else delete m.statusCode;
      done(e);
    };

    const output = outputSetting(config.output);
    const shaped = shapedInput({
      method,
      fixed,
      output,
      onlyChanged: config.onlyChanged === true,
      deps: {
        call: (call) => client.call(call, { tokens, budget, maxWaitMs: waitMs, onWait, onWaitEnd, signal: closing.signal }),
        now: Date.now,
        names: namesFor(RED, account, ids),
      },
      succeed: (text) => show((last = { fill: 'green', shape: 'dot', text })),
      fail,
      partial: config.partialAsError ? (endpoint, errors) => partialFailure({ endpoint } as ApiCall, errors) : undefined,
    });

    node.on('input', (msg: NodeMessageInFlow, send: (m: NodeMessage) => void, done: (err?: Error) => void) => {
      const m = msg as ApiMessage;
      if (!configError && isShaped(config.endpoint || m.endpoint, output)) return shaped(m, config.endpoint || m.endpoint, send, done);
      let call: ApiCall;
      try {
        if (configError) throw configError;
        call = prepareCall(config.endpoint || m.endpoint, method, fixed, payloadParams(m.payload));
      } catch (err) {
        fail(m, undefined, err, done);
        return;
      }
      client
        .call(call, { tokens, budget, maxWaitMs: waitMs, onWait, onWaitEnd, signal: closing.signal })
        .then((answer: ApiAnswer) => {
          m.payload = answer.payload;
          m.statusCode = answer.statusCode;
          m.netatmo = { endpoint: call.endpoint, status: answer.status, time_server: answer.time_server, errors: answer.errors };
          if (answer.time_exec !== undefined) m.netatmo.time_exec = answer.time_exec;
          if (config.partialAsError && answer.errors.length) {
            fail(m, call, partialFailure(call, answer.errors), done, true);
            return;
          }
          last = { fill: 'green', shape: 'dot', text: `${answer.statusCode} ${call.endpoint}` };
          show(last);
          send(m);
          done();
        })
        .catch((err) => fail(m, call, err, done));
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closing.abort();
      account.deregister(node);
      done();
    });
  }

  RED.nodes.registerType('netatmo-api', ApiNodeCtor as unknown as Parameters<typeof RED.nodes.registerType>[1]);

  // The editor's endpoint picker: the same catalogue the runtime checks messages against.
  RED.httpAdmin.get('/netatmo-api/endpoints', RED.auth.needsPermission('netatmo-api.read'), (_req, res) => {
    res.set('Cache-Control', 'no-store');
    res.json({ endpoints: ENDPOINTS });
  });
  registerIdsRoute(RED, ids);
}

/**
 * HTTP 200 with `body.errors` (an unreachable module, setstate's "Already on"...), sent to Catch when the
 * node asks for it. Its cause is Netatmo's own `{code, message}` of the first failed item.
 */
export function partialFailure(call: ApiCall, errors: unknown[]): NetatmoError {
  const first = errors[0] as { code?: unknown; id?: unknown; message?: unknown };
  const code = Number(first?.code);
  const module = typeof first?.id === 'string' ? first.id.slice(0, 40) : undefined;
  const id = module !== undefined ? ` (${module})` : '';
  const said = typeof first?.message === 'string' ? first.message.replace(/[^\x20-\x7e\u00a0-\uffff]/g, ' ').slice(0, 200) : '';
  const params = { endpoint: call.endpoint, count: errors.length, code: String(code) };
  return new NetatmoError('API_ERROR', `${call.endpoint} failed for ${errors.length} module(s): code ${code}${id}`, {
    status: 200,
    apiError: { code: Number.isInteger(code) ? code : 0, message: said },
    ...(module !== undefined ? { reason: 'partial-module', params: { ...params, module } } : { reason: 'partial', params }),
  });
}
