import { ApiAnswer, ApiCall, MethodSetting, isPlainObject, prepareCall } from './client';
import { NetatmoError } from '../shared/errors';
import { chartPoints } from './chart';
import { fetchHistory, isMeasureEndpoint, planHistory } from './history';
import { NameMap, Readings, isReadingEndpoint, readingsOf } from './readings';

/**
 * What the `netatmo-api` node sends beyond Netatmo's raw answer: a history of any length in pages
 * (getmeasure, getroommeasure), points for a chart, readings at a glance. Built on the client's one-call
 * story (`call`: token, rate budget, retries), so every page waits its turn. No Node-RED here.
 */

export type OutputSetting = 'answer' | 'chart' | 'readings';

export function outputSetting(v: unknown): OutputSetting {
  return v === 'chart' || v === 'readings' ? v : 'answer';
}

export interface ShapedDeps {
  /** One request through the account (token, budget, retries). */
  call(call: ApiCall): Promise<ApiAnswer>;
  now(): number;
  /** Names of modules and rooms by id (the account's picker cache), for labels; {} when unknown. */
  names?(): Promise<NameMap>;
}

export interface ShapedResult {
  endpoint: string;
  payload: unknown;
  /** The last answer (status, time_server, errors). */
  answer: ApiAnswer;
  /** Requests sent for this message. */
  requests: number;
  readings?: Readings;
}

/** Whether this message takes the shaped path (a history endpoint, or an output other than the answer). */
export function isShaped(endpoint: unknown, output: OutputSetting): boolean {
  return output !== 'answer' || isMeasureEndpoint(endpoint);
}

function invalid(message: string, reason: string, params?: Record<string, string | number>): NetatmoError {
  return new NetatmoError('INVALID_INPUT', message, { reason, params });
}

/** The parameter sets merged (the message wins), as prepareCall merges them, before our own keys are read. */
function merged(paramSets: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const set of paramSets) {
    if (set === undefined || set === null || set === '') continue;
    if (!isPlainObject(set)) throw invalid('Parameters must be an object, such as {"home_id": "..."}', 'params-not-object');
    Object.assign(out, set);
  }
  return out;
}

/** Labels of a `labels` parameter ({id: name}), or the names of the account, for a chart of several modules. */
function labelOf(id: string | undefined, labels: unknown, names: NameMap): string | undefined {
  if (id === undefined) return undefined;
  const own = isPlainObject(labels) && typeof labels[id] === 'string' ? String(labels[id]).slice(0, 100) : undefined;
  return own ?? names[id] ?? id;
}

async function history(name: string, method: MethodSetting, params: Record<string, unknown>, output: OutputSetting, deps: ShapedDeps) {
  const labels = params.labels;
  delete params.labels;
  const plan = planHistory(params, deps.now());
  let answer: ApiAnswer | undefined;
  const send = async (p: Record<string, unknown>): Promise<unknown> => {
    answer = await deps.call(prepareCall(name, method, p));
    return answer.payload;
  };
  const parts = await fetchHistory(plan, send);
  const requests = parts.reduce((n, p) => n + p.requests, 0);
  const several = parts.length > 1;
  let payload: unknown;
  if (output === 'chart') {
    const names = several && deps.names ? await deps.names().catch(() => ({})) : {};
    payload = chartPoints(
      parts.map((p) => ({ label: several ? labelOf(p.module, labels, names) : undefined, body: p.body })),
      plan.params.type,
    );
  } else {
    payload = several ? Object.fromEntries(parts.map((p) => [p.module, p.body])) : parts[0].body;
  }
  return { endpoint: name, payload, answer: answer as ApiAnswer, requests };
}

/**
 * One message on the shaped path. Throws INVALID_INPUT (before any request) for an output the endpoint
 * cannot give: points only from a history, readings only from getstationsdata, gethomecoachsdata, homestatus.
 */
export async function shapedCall(
  endpoint: unknown,
  method: MethodSetting,
  paramSets: unknown[],
  output: OutputSetting,
  deps: ShapedDeps,
): Promise<ShapedResult> {
  const name = typeof endpoint === 'string' ? endpoint.trim() : '';
  if (output === 'chart' && !isMeasureEndpoint(name)) {
    throw invalid('Points for a chart come from getmeasure or getroommeasure', 'chart-endpoint', { endpoint: name.slice(0, 64) });
  }
  if (output === 'readings' && !isReadingEndpoint(name)) {
    throw invalid('Readings come from getstationsdata, gethomecoachsdata or homestatus', 'readings-endpoint', {
      endpoint: name.slice(0, 64),
    });
  }
  const params = merged(paramSets);
  if (isMeasureEndpoint(name)) return history(name, method, params, output, deps);
  const answer = await deps.call(prepareCall(name, method, params));
  if (output !== 'readings') return { endpoint: name, payload: answer.payload, answer, requests: 1 };
  // No names (none asked, or the account failed): readingsOf names by id.
  const names = name === 'homestatus' && deps.names ? await deps.names().catch(() => undefined) : undefined;
  const readings = readingsOf(name, answer.payload, names);
  return { endpoint: name, payload: readings, answer, requests: 1, readings };
}
