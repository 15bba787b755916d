import type { NodeAPI } from 'node-red';
import { prepareCall } from '../core/api/client';
import type { NetatmoError } from '../core/shared/errors';
import { Delivery } from '../core/events/receiver';
import { WebhookRegistration, checkWebhookUrl } from '../core/events/registration';
import type { AccountState } from '../core/token/account-state';
import { parseRateLimits } from '../core/api/rate-budget';
import { DEFAULT_RETRY_TIMING } from '../core/shared/retry-timing';
import { AccountNode, apiClientFor, budgetOf, nodeRedSettings } from './runtime';
import { durationsMs } from '../core/shared/settings';
import { hubOf } from './webhook-endpoint';

/** How long a deploy that deletes the account or clears its URL waits for dropwebhook before closing anyway. */
const DROP_WAIT_MS = 10_000;
/** Registered this long without any event: the status says a ban is possible. */
const QUIET_MS = 60 * 60_000;

export interface WebhookHandle {
  /** Stops retries; on `removed` (or a URL cleared since), drops the webhook at Netatmo first. */
  close(removed: boolean): Promise<void>;
}

/** The URL each account registered, across redeploys: a deploy that clears it knows what to drop. */
const registered = new Map<string, string>();

/** The registration of an account, its calls sent with the account's token, through its rate budget. */
function registrationFor(RED: NodeAPI, account: AccountNode, signal: AbortSignal): WebhookRegistration {
  const settings = nodeRedSettings(RED);
  const { retryBaseMs, retryMaxMs } = durationsMs(settings);
  const client = apiClientFor(RED, account);
  return new WebhookRegistration({
    quietMs: QUIET_MS,
    timing: {
      ...DEFAULT_RETRY_TIMING,
      baseMs: retryBaseMs ?? DEFAULT_RETRY_TIMING.baseMs,
      maxMs: retryMaxMs ?? DEFAULT_RETRY_TIMING.maxMs,
    },
    call: (endpoint, params) =>
      client.call(prepareCall(`/api/${endpoint}`, 'POST', params), {
        tokens: account.manager,
        budget: budgetOf(account.id, parseRateLimits(settings.apiLimits)),
        maxWaitMs: 30_000,
        signal,
      }),
  });
}

/** The typed URL, or why it cannot be registered (logged on the account, in the user's language). */
function typedWebhookUrl(account: AccountNode, typed: string | undefined): { url: string; refused?: NetatmoError } {
  try {
    return { url: checkWebhookUrl(typed) };
  } catch (err) {
    const refused = account.localize(err);
    account.error(refused.message);
    return { url: '', refused };
  }
}

/**
 * The account's side of the webhook: registers its Webhook URL once it has a login (addwebhook, through
 * its token and the rate budget its api nodes share), drops it when the URL is cleared or the account
 * deleted, and tells the event nodes (through the account's hub) how it stands.
 */
export function startWebhook(RED: NodeAPI, account: AccountNode, typedUrl: string | undefined): WebhookHandle {
  const hub = hubOf(account.id);
  const closing = new AbortController();
  const reg = registrationFor(RED, account, closing.signal);
  let quietTimer: NodeJS.Timeout | undefined;
  const publish = (): void => {
    hub.webhook = reg.state;
    for (const watch of hub.watchers) watch();
    // Registered and still no event when the quiet time is up: say so then (a ban is possible).
    if (quietTimer) clearTimeout(quietTimer);
    quietTimer = undefined;
    const since = hub.webhook.registered_at;
    if (hub.webhook.status === 'registered' && !hub.webhook.quiet && since !== undefined)
      quietTimer = setTimeout(publish, Math.max(0, since + QUIET_MS - Date.now()) + 1000);
  };
  reg.on('state', publish);
  const onDelivery = (d: Delivery): void => {
    if (d.outcome !== 'event') return;
    // Already active: only the time moves (read when asked), no state change to tell every node of.
    if (hub.webhook.status === 'active') hub.webhook.last_event_at = hub.receiver.counters.lastEventAt;
    else reg.eventSeen();
  };
  hub.listeners.add(onDelivery);

  const { url, refused } = typedWebhookUrl(account, typedUrl);
  const previous = registered.get(account.id);
  let onState: ((s: AccountState) => void) | undefined;
  if (refused) {
    reg.adopt({ status: 'failed', error: { code: refused.code, message: refused.message } });
  } else if (url && previous === url && (hub.webhook.status === 'registered' || hub.webhook.status === 'active')) {
    reg.adopt(hub.webhook); // a redeploy with the same URL: Netatmo still has it
  } else if (url) {
    onState = (s: AccountState): void => {
      if (!s.authorized || !onState) return;
      account.manager.removeListener('state', onState);
      onState = undefined;
      registered.set(account.id, url);
      reg.register(url);
    };
    account.manager.on('state', onState);
    onState(account.manager.state);
  } else if (previous !== undefined) {
    // The URL was cleared: drop what the previous deploy registered.
    registered.delete(account.id);
    reg.adopt({ status: 'registered', url: previous });
    void reg.drop().then(publish);
  } else {
    publish();
  }

  return {
    async close(removed: boolean): Promise<void> {
      if (onState) account.manager.removeListener('state', onState);
      hub.listeners.delete(onDelivery);
      reg.stop();
      if (quietTimer) clearTimeout(quietTimer);
      quietTimer = undefined;
      if (removed && reg.state.status !== 'off') {
        registered.delete(account.id);
        let timer: NodeJS.Timeout | undefined;
        const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, DROP_WAIT_MS)));
        await Promise.race([reg.drop(), waited]);
        clearTimeout(timer);
        hub.webhook = { status: 'off' };
        for (const watch of hub.watchers) watch();
      }
      closing.abort();
    },
  };
}
