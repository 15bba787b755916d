import type { NodeMessage } from 'node-red';
import { ApiAnswer, ApiCall, payloadParams } from '../core/api/client';
import { OutputSetting, ShapedDeps, shapedCall } from '../core/api/shaped-call';
import { Readings, readingsChanged } from '../core/api/readings';
import type { ApiErrorBody } from '../core/shared/errors';

/** A message the netatmo-api node takes in and sends out (both paths: the plain answer and the shaped one). */
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

/**
 * The `netatmo-api` node's shaped path (history in pages, points for a chart, readings), kept apart from
 * the node's one-call path: the node hands a message here when `isShaped` says so.
 */

export interface ShapedNodeContext {
  method: 'auto' | 'GET' | 'POST';
  fixed?: Record<string, unknown>;
  output: OutputSetting;
  onlyChanged: boolean;
  deps: ShapedDeps;
  /** Green status after a success ("200 getmeasure", with the requests when more than one). */
  succeed(text: string): void;
  fail(m: ApiMessage, call: ApiCall | undefined, err: unknown, done: (err?: Error) => void, answered?: boolean): void;
  /** With partialAsError: the error for an answer with per-module failures (body.errors). */
  partial?: (endpoint: string, errors: unknown[]) => Error;
}

export function shapedInput(
  ctx: ShapedNodeContext,
): (m: ApiMessage, endpoint: unknown, send: (m: NodeMessage) => void, done: (err?: Error) => void) => void {
  /** The readings last sent, for "only when changed". */
  let lastReadings: Readings | undefined;
  return (m, endpoint, send, done) => {
    let params: Record<string, unknown> | undefined;
    try {
      params = payloadParams(m.payload); // the one rule for msg.payload: an object (any realm) or its JSON text
    } catch (err) {
      ctx.fail(m, undefined, err, done);
      return;
    }
    shapedCall(endpoint, ctx.method, [ctx.fixed, params], ctx.output, ctx.deps)
      .then((res) => {
        const a: ApiAnswer = res.answer;
        m.netatmo = { endpoint: res.endpoint, status: a.status, time_server: a.time_server, errors: a.errors, requests: res.requests };
        if (ctx.partial && a.errors.length) return ctx.fail(m, undefined, ctx.partial(res.endpoint, a.errors), done, true);
        const pages = res.requests > 1 ? ` (${res.requests})` : '';
        ctx.succeed(`${a.statusCode} ${res.endpoint}${pages}`);
        if (res.readings && ctx.onlyChanged) {
          const changed = readingsChanged(lastReadings, res.readings);
          lastReadings = res.readings;
          if (!changed) return done();
        }
        m.payload = res.payload;
        m.statusCode = a.statusCode;
        send(m);
        done();
      })
      .catch((err) => ctx.fail(m, undefined, err, done));
  };
}
