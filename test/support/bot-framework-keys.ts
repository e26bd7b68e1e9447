// A stand-in for the Bot Framework's token signing over real HTTP: an OpenID configuration and a JWKS with an RSA key
// generated at start, and RS256 channel tokens signed with it, as the Bot Framework Service signs what it sends to
// a bot (issuer https://api.botframework.com, audience = the bot's app id, the serviceurl claim). The bot is pointed
// here with botbuilder's ToBotFromChannelOpenIdMetadataUrl. Tokens signed with a second key under the same key id
// stand for forgeries.
import { generateKeyPairSync, KeyObject, randomUUID, sign } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const CHANNEL_ISSUER = 'https://api.botframework.com';

export interface ChannelTokenOptions {
  audience: string;
  serviceUrl: string;
  /** Seconds from now; negative for a token that has already expired. Default one hour. */
  expiresIn?: number;
  /** Sign with a key the JWKS does not publish (same key id): a forged token. */
  forged?: boolean;
  issuer?: string;
}

export class BotFrameworkKeys {
  readonly keyId = randomUUID();
  private readonly trusted = generateKeyPairSync('rsa', { modulusLength: 2048 });
  private readonly forger = generateKeyPairSync('rsa', { modulusLength: 2048 });
  /** How often the bot fetched the configuration and the keys. */
  readonly fetches: string[] = [];

  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<BotFrameworkKeys> {
    const server = http.createServer();
    const keys = new BotFrameworkKeys(server);
    server.on('request', (req, res) => keys.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return keys;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The value for ToBotFromChannelOpenIdMetadataUrl. */
  get metadataUrl(): string {
    return `${this.url}/v1/.well-known/openidconfiguration`;
  }

  channelToken(options: ChannelTokenOptions): string {
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = options.expiresIn ?? 3600;
    const claims = {
      iss: options.issuer ?? CHANNEL_ISSUER,
      aud: options.audience,
      serviceurl: options.serviceUrl,
      nbf: Math.min(now, now + expiresIn) - 300,
      iat: Math.min(now, now + expiresIn) - 300,
      exp: now + expiresIn,
    };
    return this.sign(claims, options.forged ? this.forger.privateKey : this.trusted.privateKey);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  private sign(claims: Record<string, unknown>, key: KeyObject): string {
    const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const signed = `${enc({ alg: 'RS256', typ: 'JWT', kid: this.keyId })}.${enc(claims)}`;
    return `${signed}.${sign('sha256', Buffer.from(signed), key).toString('base64url')}`;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '/').split('?', 1)[0];
    this.fetches.push(path);
    const json = (body: unknown) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (path === '/v1/.well-known/openidconfiguration') {
      return json({
        issuer: CHANNEL_ISSUER,
        authorization_endpoint: `${this.url}/v1/authorize`,
        jwks_uri: `${this.url}/v1/.well-known/keys`,
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
      });
    }
    if (path === '/v1/.well-known/keys') {
      const jwk = this.trusted.publicKey.export({ format: 'jwk' });
      return json({ keys: [{ kty: 'RSA', use: 'sig', kid: this.keyId, n: jwk.n, e: jwk.e, endorsements: ['msteams'] }] });
    }
    res.writeHead(404);
    res.end();
  }
}
