// Proactive posts and card updates to Teams, shaped for the platform's limits: one conversation's messages go one at
// a time with a minimum spacing (Teams allows about 7 per second per conversation), and throttling or transient
// failures (429, 412, 502, 503, 504, resets) are retried with backoff that honours Retry-After.
import { type Activity, type CloudAdapter, type ConversationParameters, type ConversationReference, TurnContext } from 'botbuilder';
import { AuthenticationConstants } from 'botframework-connector';
import { backoffDelay, BackoffPolicy, parseRetryAfter, sleep } from '../src/ucwa/backoff';
import type { Logger } from '../src/logger';

export interface SenderOptions {
  /** The bot's app id ('' locally). */
  appId: string;
  /** Minimum time between two sends to one conversation. */
  minIntervalMs?: number;
  /**
   * Sends per second across all conversations. Default 50, the per-app-per-tenant limit in Teams' current rate-limit
   * page (older versions said 30); a 429 above it is retried for that conversation alone.
   */
  globalPerSecond?: number;
  maxAttempts?: number;
  backoff?: BackoffPolicy;
  random?: () => number;
}

/** Teams says the bot may not write to this conversation any more (removed, blocked, conversation gone). */
export class DeliveryBlockedError extends Error {
  override readonly name = 'DeliveryBlockedError';
  constructor(readonly status: number, readonly code: string | undefined) {
    super(`Teams refused delivery (${status}${code ? ` ${code}` : ''})`);
  }
}

/** The sender was closed (the bot is shutting down): nothing was sent; the notification stays pending. */
export class SenderClosedError extends Error {
  override readonly name = 'SenderClosedError';
  constructor() {
    super('the Teams sender is closed');
  }
}

/** The activity to update no longer exists (deleted by the user or expired). */
export class ActivityGoneError extends Error {
  override readonly name = 'ActivityGoneError';
}

interface ErrorShape {
  statusCode?: number;
  code?: string;
  response?: { headers?: { get?(name: string): string | undefined } | Record<string, string> };
  body?: { error?: { code?: string } };
}

const RETRYABLE = new Set([412, 429, 500, 502, 503, 504]);

function statusOf(err: unknown): number | undefined {
  const s = (err as ErrorShape)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

function retryAfterOf(err: unknown): number | undefined {
  const headers = (err as ErrorShape)?.response?.headers;
  return parseRetryAfter(typeof headers?.get === 'function' ? headers.get('retry-after') : (headers as Record<string, string> | undefined)?.['retry-after']);
}

function errorCodeOf(err: unknown): string | undefined {
  const e = err as ErrorShape & { message?: string };
  return e?.body?.error?.code ?? (typeof e?.code === 'string' ? e.code : undefined);
}

/**
 * The connector client's HTTP pipeline (@azure/core-rest-pipeline) retries 429, 5xx and resets three times on its own.
 * Under this sender's retries that multiplied the requests (up to 4 x 6 for one card) and hid throttling from the
 * app-wide budget, so the pipeline's retry policy is taken out: this sender is the one retry layer. The client is
 * made afresh for every turn, so only proactive sends are affected. If botbuilder's internals change shape, this
 * does nothing and the two layers simply stack again.
 */
function withoutSdkRetries(connectorClient: unknown): void {
  const pipeline = (connectorClient as { client?: { pipeline?: { removePolicy?(options: { name: string }): unknown } } } | undefined)?.client?.pipeline;
  pipeline?.removePolicy?.({ name: 'defaultRetryPolicy' });
}

export class ProactiveSender {
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly lastSend = new Map<string, number>();
  private readonly minIntervalMs: number;
  private readonly globalIntervalMs: number;
  /** The earliest time the next send of any conversation may start. */
  private nextGlobalSlot = 0;
  private readonly maxAttempts: number;
  private readonly backoff: BackoffPolicy;
  private readonly closing = new AbortController();

  constructor(
    private readonly adapter: CloudAdapter,
    private readonly options: SenderOptions,
    private readonly log: Logger,
  ) {
    this.minIntervalMs = options.minIntervalMs ?? 200;
    this.globalIntervalMs = 1000 / (options.globalPerSecond ?? 50);
    this.maxAttempts = options.maxAttempts ?? 6;
    this.backoff = options.backoff ?? { baseMs: 1_000, maxMs: 30_000 };
  }

  /**
   * Stops sending: waits (spacing, budget, backoff) end at once and every send not yet on the wire fails with
   * SenderClosedError. A request already on the wire is left to finish.
   */
  close(): void {
    this.closing.abort();
  }

  /**
   * Asks Teams for the personal chat with the user of `reference` again (Teams answered 404 ConversationNotFound for
   * the stored one). Returns the new chat's reference, or undefined when Teams refuses (the app is gone).
   */
  async recreatePersonalConversation(reference: Partial<ConversationReference>): Promise<Partial<ConversationReference> | undefined> {
    const tenantId = reference.conversation?.tenantId;
    const parameters = {
      isGroup: false,
      bot: reference.bot,
      members: reference.user ? [reference.user] : [],
      tenantId,
      channelData: tenantId ? { tenant: { id: tenantId } } : undefined,
    } as ConversationParameters;
    try {
      return await this.serial(reference, async () => {
        let fresh: Partial<ConversationReference> | undefined;
        await this.adapter.createConversationAsync(this.options.appId, reference.channelId ?? 'msteams', reference.serviceUrl ?? '', AuthenticationConstants.ToChannelFromBotOAuthScope, parameters, async (context) => {
          fresh = TurnContext.getConversationReference(context.activity);
        });
        return fresh;
      });
    } catch (err) {
      this.log.warn('Teams would not create the personal chat again', { status: statusOf(err), code: errorCodeOf(err) });
      return undefined;
    }
  }

  /** Posts an activity; returns its id. */
  post(reference: Partial<ConversationReference>, activity: Partial<Activity>): Promise<string> {
    return this.serial(reference, async () => {
      let id = '';
      await this.inConversation(reference, async (context) => {
        const sent = await context.sendActivity(activity);
        id = sent?.id ?? '';
      });
      return id;
    });
  }

  /** Replaces the activity `activityId` (a card) with a new version. */
  update(reference: Partial<ConversationReference>, activityId: string, activity: Partial<Activity>): Promise<void> {
    return this.serial(reference, async () => {
      await this.inConversation(reference, async (context) => {
        await context.updateActivity({ ...activity, id: activityId, conversation: reference.conversation, type: activity.type ?? 'message' });
      });
    }, true);
  }

  /**
   * Runs `logic` in a proactive turn and rethrows what it threw. The adapter's onTurnError catches every error of a
   * turn and does not rethrow it (BotAdapter.runMiddleware), so without this a 429, 403 or 404 from Teams looked
   * like success: no retry, no DeliveryBlockedError, and an empty activity id stored as the card's id.
   */
  private async inConversation(reference: Partial<ConversationReference>, logic: (context: TurnContext) => Promise<void>): Promise<void> {
    let failure: { error: unknown } | undefined;
    await this.adapter.continueConversationAsync(this.options.appId, reference, async (context) => {
      withoutSdkRetries(context.turnState.get(this.adapter.ConnectorClientKey));
      try {
        await logic(context);
      } catch (error) {
        failure = { error };
      }
    });
    if (failure) throw failure.error;
  }

  /** One send at a time per conversation, spaced, with retries. */
  private serial<T>(reference: Partial<ConversationReference>, send: () => Promise<T>, isUpdate = false): Promise<T> {
    const key = reference.conversation?.id ?? '';
    const signal = this.closing.signal;
    const pause = (ms: number) => sleep(ms, signal).catch(() => undefined);
    const run = async (): Promise<T> => {
      for (let attempt = 0; ; attempt++) {
        const wait = (this.lastSend.get(key) ?? 0) + this.minIntervalMs - Date.now();
        if (wait > 0) await pause(wait);
        // Then a slot in the app-wide budget: slots are handed out in order, so conversations share it fairly.
        const slot = Math.max(Date.now(), this.nextGlobalSlot);
        this.nextGlobalSlot = slot + this.globalIntervalMs;
        if (slot > Date.now()) await pause(slot - Date.now());
        if (signal.aborted) throw new SenderClosedError();
        this.lastSend.set(key, Date.now());
        try {
          return await send();
        } catch (err) {
          const status = statusOf(err);
          const code = errorCodeOf(err);
          if (isUpdate && status === 404) throw new ActivityGoneError(`the card to update is gone (${code ?? 404})`);
          if (status === 403 || status === 404 || (status === 400 && code === 'MemberNotFoundInConversation')) throw new DeliveryBlockedError(status, code);
          const transient = status === undefined ? /ECONNRESET|ETIMEDOUT|ECONNREFUSED|EAI_AGAIN|socket hang up/i.test(String((err as Error)?.message)) : RETRYABLE.has(status);
          if (!transient || attempt + 1 >= this.maxAttempts) throw err;
          const delay = backoffDelay(this.backoff, attempt, retryAfterOf(err), this.options.random);
          this.log.warn('Teams send failed; retrying', { status, code, attempt: attempt + 1, delayMs: delay });
          await pause(delay);
        }
      }
    };
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous.then(run, run);
    const tail = next.catch(() => undefined);
    this.chains.set(key, tail);
    void tail.then(() => {
      if (this.chains.get(key) === tail) this.chains.delete(key);
    });
    return next;
  }
}
