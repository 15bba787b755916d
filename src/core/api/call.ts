import type { Encoding, HttpMethod } from './catalogue';

/** The two ends of one call to Netatmo's device API: what client.ts prepares and sends, what answer.ts makes of the answer. */

export interface ApiCall {
  /** The catalogue name, or the path when it is not one of ours: for status and msg.netatmo. */
  endpoint: string;
  path: string;
  method: HttpMethod;
  encoding: Encoding;
  params: Record<string, unknown>;
  /** The login needs one of these scopes (named when Netatmo answers code 13). */
  scopes: string[];
  /** Sent again after a lost answer only when false: a device change may have been applied. */
  write: boolean;
}

export interface ApiAnswer {
  statusCode: number;
  /** The answer's `body` when it has one, else the whole answer. */
  payload: unknown;
  status?: string;
  time_server?: number;
  /** Netatmo's own processing time, when the answer names it (some answers have it without time_server). */
  time_exec?: number;
  /** Per-module failures of a call that succeeded as a whole (`body.errors`), else []. */
  errors: unknown[];
}
