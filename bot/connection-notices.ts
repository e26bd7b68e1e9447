// Tells the user, in their chat, when the bot stops being able to watch their Skype for Business account and when
// it can again. Without this a refused password or an unreachable pool means invitations silently stop arriving,
// which is the worst way for a notification bot to fail. One message per episode: the episode is kept on the
// installation, so a restart in the middle of an outage does not say it twice.
import { MessageFactory } from 'botbuilder';
import type { Logger } from '../src/logger';
import { storedAccountId } from '../src/store';
import type { AccountStatusView, WatcherSupervisor } from '../src/watcher';
import type { ConnectionNotice, TeamsInstallations } from './installations';
import type { ProactiveSender } from './proactive-sender';

export interface ConnectionNoticesOptions {
  /** How long the account may stay unconnected (a pool outage, a network fault) before the user is told. */
  unreachableAfterMs?: number;
  /** oauth mode: a refused sign-in is answered by the sign-in card instead (SignInPrompter). */
  authFailedHandledElsewhere?: boolean;
}

export const DEFAULT_UNREACHABLE_AFTER_MS = 10 * 60_000;

export function connectionNoticeText(notice: ConnectionNotice | 'restored', sip: string, minutes = 10): string {
  switch (notice) {
    case 'authFailed':
      return `I can no longer sign in to Skype for Business as ${sip}, so new Skype invitations will not appear here. If your Skype password changed, ask whoever runs this bot to update it. I keep trying and will tell you when it works again.`;
    case 'unreachable':
      return `I have not been able to reach Skype for Business for ${minutes} minute${minutes === 1 ? '' : 's'}, so Skype invitations may not appear here. I keep trying and will tell you when it works again.`;
    case 'restored':
      return 'Connected to Skype for Business again: your invitations appear here as before.';
  }
}

export class ConnectionNotices {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly unreachableAfterMs: number;
  /** One account's notices at a time, in the order its statuses came. */
  private readonly chains = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(
    private readonly supervisor: Pick<WatcherSupervisor, 'onStatus'>,
    private readonly installations: TeamsInstallations,
    private readonly sender: ProactiveSender,
    private readonly log: Logger,
    private readonly options: ConnectionNoticesOptions = {},
  ) {
    this.unreachableAfterMs = options.unreachableAfterMs ?? DEFAULT_UNREACHABLE_AFTER_MS;
  }

  /** Starts listening to the watchers; returns the unsubscribe function. */
  start(): () => void {
    return this.supervisor.onStatus((status) => this.onStatus(status));
  }

  /** Stops the waits; resolves when the messages already being sent are done. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await this.idle();
  }

  /** Resolves when every status received so far has been dealt with. */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all(this.chains.values());
  }

  private enqueue(accountId: string, work: () => Promise<void>): void {
    if (this.stopped) return;
    const next = (this.chains.get(accountId) ?? Promise.resolve()).then(work).catch((err: Error) => this.log.warn('could not tell the user about their Skype connection', { user: accountId, error: err }));
    this.chains.set(accountId, next);
    void next.then(() => {
      if (this.chains.get(accountId) === next) this.chains.delete(accountId);
    });
  }

  /** The wait for "unreachable" is kept here, in step with the statuses; messages go out in order, per account. */
  private onStatus(status: AccountStatusView): void {
    const id = status.accountId;
    if (this.stopped) return;
    switch (status.state) {
      case 'connected':
        this.clearTimer(id);
        return this.enqueue(id, () => this.restored(status));
      case 'authFailed':
        this.clearTimer(id);
        if (!this.options.authFailedHandledElsewhere) this.enqueue(id, () => this.tell(status, 'authFailed'));
        return;
      case 'connecting':
      case 'reconnecting':
        // Retries do not restart the wait: it runs from the first moment the account was not connected.
        if (!this.timers.has(id)) {
          const timer = setTimeout(() => {
            this.timers.delete(id);
            this.enqueue(id, () => this.tell(status, 'unreachable'));
          }, this.unreachableAfterMs);
          timer.unref();
          this.timers.set(id, timer);
        }
        return;
      case 'stopped':
        this.clearTimer(id);
        return;
    }
  }

  private clearTimer(id: string): void {
    const timer = this.timers.get(id);
    if (timer) clearTimeout(timer);
    this.timers.delete(id);
  }

  private async tell(status: AccountStatusView, notice: ConnectionNotice): Promise<void> {
    const id = storedAccountId(status.accountId);
    const installation = await this.installations.get(id);
    // Already told (this episode, perhaps before a restart), or nobody to tell.
    if (!installation?.active || installation.paused || installation.connectionNotice) return;
    await this.sender.post(installation.reference, MessageFactory.text(connectionNoticeText(notice, status.sip, Math.round(this.unreachableAfterMs / 60_000))));
    await this.installations.update(id, { connectionNotice: notice });
    this.log.info('told the user their Skype connection is down', { user: status.accountId, notice });
  }

  private async restored(status: AccountStatusView): Promise<void> {
    const id = storedAccountId(status.accountId);
    const installation = await this.installations.get(id);
    if (!installation?.connectionNotice) return;
    await this.installations.update(id, { connectionNotice: undefined });
    if (!installation.active || installation.paused) return;
    await this.sender.post(installation.reference, MessageFactory.text(connectionNoticeText('restored', status.sip)));
    this.log.info('told the user their Skype connection is back', { user: status.accountId });
  }
}
