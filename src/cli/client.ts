/** The OAuth client of the command line: it tells NA_DEBUG what it sends and receives (shortened), and counts token requests. */
import { asNetatmoError } from '../core/shared/errors';
import { OAuthClient, TokenSet } from '../core/token/oauth';
import { redact } from '../core/shared/redact';
import type { Io } from './io';

/** The lifetime Netatmo gave a pair, in seconds (the manual's `etoken`). */
export const expiresIn = (t: TokenSet): number => Math.round((t.expires_at - t.obtained_at) / 1000);

/** An OAuthClient that tells NA_DEBUG what it sends (shortened), and counts token requests. */
export class CliClient extends OAuthClient {
  requests = 0;
  constructor(
    p: { clientId: string; clientSecret: string; apiBase: string },
    private readonly io: Io,
  ) {
    super(p);
    io.redactor.add(p.clientSecret);
    io.debug(`client_id=${p.clientId} client_secret=${redact(p.clientSecret)} token endpoint ${this.apiBase}/oauth2/token`);
  }

  override async exchangeCode(code: string, redirectUri: string, scope: string): Promise<TokenSet> {
    this.requests++;
    this.io.debug(
      `POST ${this.apiBase}/oauth2/token grant_type=authorization_code code=${redact(code)} redirect_uri=${redirectUri} scope=${scope}`,
    );
    return this.answered(super.exchangeCode(code, redirectUri, scope));
  }

  override async refresh(refreshToken: string): Promise<TokenSet> {
    this.requests++;
    this.io.debug(`POST ${this.apiBase}/oauth2/token grant_type=refresh_token refresh_token=${redact(refreshToken)}`);
    return this.answered(super.refresh(refreshToken));
  }

  private async answered(p: Promise<TokenSet>): Promise<TokenSet> {
    try {
      const t = await p;
      this.io.redactor.add(t.access_token, t.refresh_token);
      this.io.debug(
        `answer: HTTP 200 access_token=${redact(t.access_token)} refresh_token=${redact(t.refresh_token)} expires_in=${expiresIn(t)} scope=${t.scope.join(' ')}`,
      );
      return t;
    } catch (err) {
      const e = asNetatmoError(err);
      this.io.debug(`answer: ${e.status ? `HTTP ${e.status}` : 'none'} ${e.code}${e.oauthError ? ` (${e.oauthError})` : ''}: ${e.message}`);
      throw e;
    }
  }
}
