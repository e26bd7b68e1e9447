// The supervisor over every watched account: start and stop watchers, report their status, fan their invitation
// changes into one stream, and carry out Accept/Decline with the eTag-guarded state move that makes a double click,
// a retry by Teams or a second bot instance harmless.
import type { Logger } from '../logger';
import type { HttpTransport } from '../ucwa/http';
import { type InvitationInput, InvitationRecord, isInvitationId, Repositories } from '../store';
import { ConversationActions } from './conversation-actions';
import { AccountConfig, AccountStatusView, AccountWatcher, type ActionOutcome, InvitationChange, WatcherTiming } from './account-watcher';

export type ActResult =
  /** UCWA took the action; the record is `accepting`/`declining` until events say how it ended. */
  | { kind: 'done'; record: InvitationRecord }
  /** Someone else (another click, another instance) already acted, or the invitation moved on: nothing was called. */
  | { kind: 'alreadyHandled'; record: InvitationRecord }
  /** The invitation ended before the action reached UCWA; the record says why. */
  | { kind: 'unavailable'; record: InvitationRecord }
  /** This action is not possible for this invitation (e.g. a call without a phone number to ring). */
  | { kind: 'notOffered'; record: InvitationRecord }
  /** UCWA could not be reached; the record is back to pending so the user can try again. */
  | { kind: 'failed'; record: InvitationRecord }
  | { kind: 'notFound' };

export interface SupervisorDeps {
  transport: HttpTransport;
  repositories: Repositories;
  /**
   * What the watchers write through (default: `repositories`). With several instances these are fenced: a write
   * for an account this instance no longer owns is refused. Clicks use `repositories`: any instance can take one.
   */
  watcherRepositories?: Repositories;
  logger: Logger;
  timing?: Partial<WatcherTiming>;
  random?: () => number;
  /** When this process started (default: when the supervisor was made); see WatcherDeps.startedAt. */
  startedAt?: Date;
}

type ChangeListener = (change: InvitationChange) => void;
type StatusListener = (status: AccountStatusView) => void;

export class WatcherSupervisor {
  private readonly watchers = new Map<string, AccountWatcher>();
  private readonly changeListeners = new Set<ChangeListener>();
  private readonly statusListeners = new Set<StatusListener>();
  /** One supervisor per process: a click moved out of pending before this was made belongs to an earlier process. */
  private readonly startedAt: Date;
  /** Reply and Leave in the accepted conversations, through each account's running watcher. */
  readonly conversations: ConversationActions;

  constructor(private readonly deps: SupervisorDeps) {
    this.startedAt = deps.startedAt ?? new Date();
    this.conversations = new ConversationActions(deps.repositories, (accountId) => this.watchers.get(accountId)?.messaging, deps.logger);
  }

  /** Invitation changes of every account, after they were persisted. Returns an unsubscribe function. */
  onChange(listener: ChangeListener): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  onStatus(listener: StatusListener): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  start(config: AccountConfig): AccountWatcher {
    const existing = this.watchers.get(config.accountId);
    if (existing) return existing;
    const watcher = new AccountWatcher(config, {
      ...this.deps,
      repositories: this.deps.watcherRepositories ?? this.deps.repositories,
      startedAt: this.startedAt,
      onChange: (c) => this.changeListeners.forEach((l) => safeCall(() => l(c), this.deps.logger)),
      onStatus: (s) => this.statusListeners.forEach((l) => safeCall(() => l(s), this.deps.logger)),
    });
    this.watchers.set(config.accountId, watcher);
    watcher.start();
    return watcher;
  }

  async stop(accountId: string): Promise<void> {
    const w = this.watchers.get(accountId);
    if (!w) return;
    this.watchers.delete(accountId);
    await w.stop();
  }

  /**
   * Stops watching at once without signing out (another instance now owns the account): the UCWA application and
   * the stored event position stay, so the new owner continues them.
   */
  async handOver(accountId: string): Promise<void> {
    const w = this.watchers.get(accountId);
    if (!w) return;
    this.watchers.delete(accountId);
    await w.kill();
  }

  /** The ids of the accounts watched here. */
  watchedAccounts(): string[] {
    return [...this.watchers.keys()];
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.watchers.keys()].map((id) => this.stop(id)));
  }

  /** Retries a failed account now instead of after its backoff (e.g. right after the user signed in again). */
  retryNow(accountId: string): void {
    this.watchers.get(accountId)?.retryNow();
  }

  isWatching(accountId: string): boolean {
    return this.watchers.has(accountId);
  }

  /** The configuration an account is watched with (undefined when it is not watched). */
  config(accountId: string): AccountConfig | undefined {
    return this.watchers.get(accountId)?.config;
  }

  status(accountId: string): AccountStatusView | undefined {
    return this.watchers.get(accountId)?.currentStatus;
  }

  statuses(): AccountStatusView[] {
    return [...this.watchers.values()].map((w) => w.currentStatus);
  }

  /**
   * Accept or decline an invitation. Only one caller can move it out of `pending`; everyone else gets
   * `alreadyHandled` and UCWA is not called a second time.
   */
  async act(invitationId: string, verb: 'accept' | 'decline'): Promise<ActResult> {
    if (!isInvitationId(invitationId)) return { kind: 'notFound' };
    const repo = this.deps.repositories.invitations;
    const record = await repo.get(invitationId);
    if (!record) return { kind: 'notFound' };
    const watcher = this.watchers.get(record.accountId);
    const moved = await repo.apply(invitationId, { kind: 'click', verb });
    if (!moved.ok) return moved.record ? { kind: 'alreadyHandled', record: moved.record } : { kind: 'notFound' };
    const outcome: ActionOutcome = watcher ? await watcher.perform(moved.record, verb) : { ok: false, why: 'notConnected' };
    const answered = await repo.apply(invitationId, clickOutcomeOf(outcome));
    const after = answered.record ?? moved.record;
    if (outcome.ok) return { kind: 'done', record: moved.record };
    if (outcome.why === 'notOffered') return { kind: 'notOffered', record: after };
    if (outcome.why === 'notConnected') return { kind: 'failed', record: after };
    return { kind: 'unavailable', record: after };
  }
}

/** What the pool's answer to a click means for the invitation (the state machine decides what follows). */
function clickOutcomeOf(outcome: ActionOutcome): InvitationInput {
  if (outcome.ok) return { kind: 'clickOutcome', outcome: 'ok' };
  if (outcome.why !== 'refused') return { kind: 'clickOutcome', outcome: outcome.why };
  // Our application is gone: nothing more can arrive. Only the invitation is gone (404/409/410): it ended before the
  // answer, and its completed event (e.g. the caller cancelled) is usually still on its way.
  if (outcome.status === 410 || outcome.reason?.subcode === 'ApplicationNotFound') return { kind: 'clickOutcome', outcome: 'applicationGone' };
  if (outcome.status === 404 || outcome.status === 409) return { kind: 'clickOutcome', outcome: 'invitationEnded' };
  const serverReason = outcome.reason ? { code: outcome.reason.code, subcode: outcome.reason.subcode, message: outcome.reason.message } : undefined;
  return { kind: 'clickOutcome', outcome: 'refused', serverReason };
}

function safeCall(fn: () => void, logger: Logger): void {
  try {
    fn();
  } catch (err) {
    logger.error('an invitation listener failed', { error: err as Error });
  }
}
