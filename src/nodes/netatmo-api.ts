import { setMaxListeners } from 'node:events';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, NodeStatus } from 'node-red';
import { endpoints } from '../core/api/catalogue';
import { ApiAnswer, ApiCall, MethodSetting, TokenSource, isPlainObject, payloadParams, prepareCall } from '../core/api/client';
import { NetatmoError, asNetatmoError } from '../core/shared/errors';
import { needsUser } from '../core/token/account-state';
import { RateWindow, parseRateLimits } from '../core/api/rate-budget';
import { Translate, translatorOf } from './i18n';
import { AccountNode, apiClientFor, budgetOf, clearBudgets, maxWaitMs, nodeRedSettings, showAgainOnStart } from './runtime';
import { isShaped, outputSetting } from '../core/api/shaped-call';
import { ApiMessage, ShapedNodeContext, shapedInput } from './api-shaped';
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

export default function (RED: NodeAPI): void {
  const tr = translatorOf(RED);
  const settings = nodeRedSettings(RED);
  const limits = parseRateLimits(settings.apiLimits);
  clearBudgets();
  const ids: IdsDeps = { budgetOf: (accountId) => budgetOf(accountId, limits), cache: new IdsCache() };
  const ctx: ApiModuleContext = { RED, tr, limits, ids };

  function ApiNodeCtor(this: Node, config: ApiConfig): void {
    RED.nodes.createNode(this, config);
    const account = RED.nodes.getNode(config.account) as AccountNode | null;
    if (!account || account.type !== 'netatmo-account') return withoutAccount(ctx, this);
    startApiNode(ctx, this, account, config);
  }

  RED.nodes.registerType('netatmo-api', ApiNodeCtor as unknown as Parameters<typeof RED.nodes.registerType>[1]);

  // The editor's endpoint picker: the same catalogue the runtime checks messages against.
  RED.httpAdmin.get('/netatmo-api/endpoints', RED.auth.needsPermission('netatmo-api.read'), (_req, res) => {
    res.set('Cache-Control', 'no-store');
    res.json({ endpoints: endpoints() });
  });
  registerIdsRoute(RED, ids);
}

/** What every api node of the loaded module shares. */
interface ApiModuleContext {
  RED: NodeAPI;
  tr: Translate;
  limits: readonly RateWindow[];
  ids: IdsDeps;
}

type Done = (err?: Error) => void;
type Fail = ShapedNodeContext['fail'];

/** No account (missing or not an account): one error, a red status, and each message to Catch. */
function withoutAccount({ RED, tr }: ApiModuleContext, node: Node): void {
  node.error(tr('netatmo-api.errors.no-account'));
  const noAccount: NodeStatus = { fill: 'red', shape: 'ring', text: tr('netatmo-api.status.no-account') };
  node.status(noAccount);
  showAgainOnStart(RED, node, () => node.status(noAccount));
  // No call can be made: each message goes to Catch, as for the token node, instead of vanishing.
  node.on('input', (_msg: NodeMessageInFlow, _send: unknown, done: Done) =>
    done(new NetatmoError('NO_ACCOUNT', tr('netatmo-api.errors.no-account'))),
  );
}

/** The node with its account: its settings read, its status shown, then its input and close handlers. */
function startApiNode(ctx: ApiModuleContext, node: Node, account: AccountNode, config: ApiConfig): void {
  const { RED, tr } = ctx;
  const tokens: TokenSource = account.manager;
  const budget = budgetOf(account.id, ctx.limits);
  const method: MethodSetting = config.method === 'GET' || config.method === 'POST' ? config.method : 'auto';
  const waitMs = maxWaitMs(config.maxWait);
  const client = apiClientFor(RED, account);
  const closing = new AbortController();
  setMaxListeners(0, closing.signal); // one listener per waiting message

  const { fixed, configError } = fixedParams(config.params, tr);
  if (configError) node.error(configError.message);

  const status = new ApiStatus(node, account, tr);
  const callApi = (call: ApiCall): Promise<ApiAnswer> =>
    client.call(call, { tokens, budget, maxWaitMs: waitMs, onWait: status.onWait, onWaitEnd: status.onWaitEnd, signal: closing.signal });
  const fail = failOf(account, status);

  const output = outputSetting(config.output);
  const shaped = shapedInput({
    method,
    fixed,
    output,
    onlyChanged: config.onlyChanged === true,
    deps: { call: callApi, now: Date.now, names: namesFor(RED, account, ctx.ids) },
    succeed: (text) => status.succeed(text),
    fail,
    partial: config.partialAsError ? (endpoint, errors) => partialFailure({ endpoint } as ApiCall, errors) : undefined,
  });
  const oneCall = oneCallInput({ method, fixed, configError, partialAsError: config.partialAsError, callApi, status, fail });

  node.on('input', (msg: NodeMessageInFlow, out: (m: NodeMessage) => void, done: Done) => {
    const m = msg as ApiMessage;
    if (!configError && isShaped(config.endpoint || m.endpoint, output)) return shaped(m, config.endpoint || m.endpoint, out, done);
    oneCall(m, config.endpoint || m.endpoint, out, done);
  });

  node.on('close', (_removed: boolean, done: () => void) => {
    closing.abort();
    account.deregister(node);
    done();
  });
}

/** The node's fixed parameters (an object, or its JSON text); anything else is a configuration error. */
function fixedParams(params: ApiConfig['params'], tr: Translate): { fixed?: Record<string, unknown>; configError?: NetatmoError } {
  try {
    const p = typeof params === 'string' && params.trim() !== '' ? JSON.parse(params) : params;
    if (p !== undefined && p !== null && p !== '' && !isPlainObject(p)) throw new Error('not an object');
    return { fixed: p || undefined };
  } catch {
    return { configError: new NetatmoError('INVALID_INPUT', tr('netatmo-api.errors.bad-params')) };
  }
}

/**
 * The last call's status; while messages wait for the rate budget, how many; the account's own when it
 * needs the user (login refused or missing). An earlier message's success does not hide those waiting.
 */
class ApiStatus {
  last: NodeStatus | undefined;
  private waiting = 0;

  constructor(
    private readonly node: Node,
    private readonly account: AccountNode,
    private readonly tr: Translate,
  ) {
    account.register(node, (state) => {
      // Authorized again: a red "REAUTHORIZE" from before would now mislead.
      if (state.authorized && (this.last?.text === 'REAUTHORIZE' || this.last?.text === 'NOT_AUTHORIZED')) this.last = undefined;
      this.show();
    });
  }

  show(): void {
    const state = this.account.manager.state;
    if (needsUser(state)) this.node.status(this.account.statusOf(state));
    else if (this.waiting > 0)
      this.node.status({ fill: 'yellow', shape: 'ring', text: this.tr('netatmo-api.status.waiting', { count: this.waiting }) });
    else this.node.status(this.last ?? this.account.statusOf(state));
  }

  readonly onWait = (): void => {
    this.waiting++;
    this.show();
  };

  readonly onWaitEnd = (): void => {
    this.waiting = Math.max(0, this.waiting - 1);
    this.show();
  };

  succeed(text: string): void {
    this.last = { fill: 'green', shape: 'dot', text };
    this.show();
  }

  failed(code: string): void {
    this.last = { fill: 'red', shape: 'dot', text: code };
    this.show();
  }
}

/** The one error path: red status with the code, Netatmo's own error kept on the message, done(err) in the user's language. */
function failOf(account: AccountNode, status: ApiStatus): Fail {
  return (m, call, err, done, answered = false) => {
    const e = account.localize(asNetatmoError(err, 'NETWORK')); // the user's language, every other field kept
    status.failed(e.code);
    if (e.cause) m.netatmo = { ...(answered ? m.netatmo : { endpoint: call?.endpoint }), error: e.cause };
    // The status of an API answer only (the account's failures come without one: see ApiClient.call).
    if (e.status !== undefined) m.statusCode = e.status;
    else delete m.statusCode;
    done(e);
  };
}

/** The one-call path: one request, its answer on the message as Netatmo sent it. */
function oneCallInput(o: {
  method: MethodSetting;
  fixed?: Record<string, unknown>;
  configError?: NetatmoError;
  partialAsError?: boolean;
  callApi: (call: ApiCall) => Promise<ApiAnswer>;
  status: ApiStatus;
  fail: Fail;
}): (m: ApiMessage, endpoint: unknown, out: (m: NodeMessage) => void, done: Done) => void {
  return (m, endpoint, out, done) => {
    let call: ApiCall;
    try {
      if (o.configError) throw o.configError;
      call = prepareCall(endpoint, o.method, o.fixed, payloadParams(m.payload));
    } catch (err) {
      o.fail(m, undefined, err, done);
      return;
    }
    o.callApi(call)
      .then((answer: ApiAnswer) => {
        m.payload = answer.payload;
        m.statusCode = answer.statusCode;
        m.netatmo = { endpoint: call.endpoint, status: answer.status, time_server: answer.time_server, errors: answer.errors };
        if (answer.time_exec !== undefined) m.netatmo.time_exec = answer.time_exec;
        if (o.partialAsError && answer.errors.length) {
          o.fail(m, call, partialFailure(call, answer.errors), done, true);
          return;
        }
        o.status.succeed(`${answer.statusCode} ${call.endpoint}`);
        out(m);
        done();
      })
      .catch((err) => o.fail(m, call, err, done));
  };
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
