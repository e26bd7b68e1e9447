// Leaves accepted conversations that have been quiet for the configured time (IM_IDLE_MINUTES), so that nobody on
// the Skype side keeps talking to a chat the user has long stopped reading. Checked once a minute per watched account.
import type { Logger } from '../src/logger';
import type { ConversationActions } from '../src/watcher';

export class IdleConversationSweeper {
  private timer?: NodeJS.Timeout;
  private sweeping = false;

  constructor(
    private readonly conversations: ConversationActions,
    private readonly accounts: () => string[],
    private readonly idleMs: number,
    private readonly log: Logger,
  ) {}

  start(intervalMs = 60_000): void {
    this.timer = setInterval(() => void this.sweep(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One pass over the accounts; a pass still running is not doubled. */
  async sweep(now = new Date()): Promise<number> {
    if (this.sweeping) return 0;
    this.sweeping = true;
    let left = 0;
    try {
      for (const accountId of this.accounts()) {
        try {
          left += await this.conversations.leaveIdle(accountId, this.idleMs, now);
        } catch (err) {
          this.log.warn('could not check idle conversations', { user: accountId, error: err as Error });
        }
      }
    } finally {
      this.sweeping = false;
    }
    if (left > 0) this.log.info('left idle conversations', { count: left });
    return left;
  }
}
