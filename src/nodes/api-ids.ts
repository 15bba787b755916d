import type { Request, Response } from 'express';
import type { NodeAPI } from 'node-red';
import { findEndpoint } from '../core/api/catalogue';
import { prepareCall } from '../core/api/client';
import { IdListing, IdsCache, buildListing } from '../core/api/ids';
import type { NameMap } from '../core/api/readings';
import { NetatmoError, asNetatmoError } from '../core/shared/errors';
import type { RateBudget } from '../core/api/rate-budget';
import { checkAccountId } from '../core/shared/validate';
import { sendError } from './admin-routes';
import { localize, requestLanguage, translatorOf } from './i18n';
import { crossSiteReason } from './request-guard';
import { AccountNode, apiClientFor } from './runtime';

/**
 * The api dialog's pickers: `GET <admin>/netatmo-api/<account id>/ids` lists the account's stations,
 * modules, Home Coaches, homes and rooms with their names (read-only; `netatmo-api.read` when adminAuth
 * is on). Asked with the account's token through its rate budget, at most one listing per account every
 * 5 minutes (the same listing names modules on charts and rooms in readings).
 */

/** The scopes that let homesdata list homes: the catalogue's, but for the station and the coach (listed by their own endpoints). */
const HOME_SCOPES = (findEndpoint('homesdata')?.scopes ?? []).filter((s) => s !== 'read_station' && s !== 'read_homecoach');
/** A listing waits this long at most for the budget and each answer. */
const LIST_WAIT_MS = 15_000;

export interface IdsDeps {
  budgetOf(accountId: string): (accessToken: string) => RateBudget;
  cache: IdsCache;
}

/** The endpoints the login's scopes allow, each asked once; a failure is noted, not fatal, unless all fail. */
async function fetchListing(RED: NodeAPI, account: AccountNode, deps: IdsDeps): Promise<IdListing> {
  const scopes = account.manager.state.scope?.length ? account.manager.state.scope : String(account.scope || '').split(/[\s,]+/);
  const wanted: [keyof Parameters<typeof buildListing>[0], string][] = [];
  if (scopes.includes('read_station')) wanted.push(['stations', 'getstationsdata']);
  if (scopes.includes('read_homecoach')) wanted.push(['coaches', 'gethomecoachsdata']);
  if (scopes.some((s) => HOME_SCOPES.includes(s))) wanted.push(['homes', 'homesdata']);
  const client = apiClientFor(RED, account);
  const answers: Parameters<typeof buildListing>[0] = {};
  const errors: IdListing['errors'] = [];
  let last: NetatmoError | undefined;
  for (const [key, endpoint] of wanted) {
    try {
      const a = await client.call(prepareCall(endpoint, 'auto'), {
        tokens: account.manager,
        budget: deps.budgetOf(account.id),
        maxWaitMs: LIST_WAIT_MS,
      });
      answers[key] = a.payload;
    } catch (err) {
      last = asNetatmoError(err, 'NETWORK');
      errors.push({ endpoint, code: last.code });
    }
  }
  if (last && errors.length === wanted.length) throw last;
  return buildListing(answers, errors, Date.now());
}

/** The account's listing, from the cache when fresh. */
export function listingFor(RED: NodeAPI, account: AccountNode, deps: IdsDeps): Promise<IdListing> {
  return deps.cache.get(account.id, () => fetchListing(RED, account, deps));
}

/** Names by id for charts and readings: {} when the listing cannot be had. */
export function namesFor(RED: NodeAPI, account: AccountNode, deps: IdsDeps): () => Promise<NameMap> {
  return () =>
    listingFor(RED, account, deps).then(
      (l) => l.names,
      () => ({}),
    );
}

export function registerIdsRoute(RED: NodeAPI, deps: IdsDeps): void {
  RED.httpAdmin.get('/netatmo-api/:id/ids', RED.auth.needsPermission('netatmo-api.read'), async (req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store');
    // A GET, but one that may spend the account's budget: another site's page may not make the browser send it.
    if (crossSiteReason('application/json', req.headers)) {
      res.status(403).json({ error: { code: 'CROSS_SITE', message: 'Refused: the request comes from another site.' } });
      return;
    }
    try {
      const node = RED.nodes.getNode(checkAccountId(String(req.params.id))) as AccountNode | null;
      if (!node || node.type !== 'netatmo-account') throw new NetatmoError('NO_ACCOUNT', 'The account is not deployed: deploy it first');
      res.json(await listingFor(RED, node, deps));
    } catch (err) {
      const e = localize(translatorOf(RED), err, requestLanguage(req));
      if (e.code === 'NO_ACCOUNT') res.status(404).json({ error: { code: e.code, message: e.message } });
      else sendError(res, e);
    }
  });
}
