// Keeps Teams in step with the store: drains pending notifications, posting an invitation's card once and updating
// that same card afterwards. The activity id is stored on the invitation record, so one invitation is one card.
//
// Teams cannot be asked whether a POST arrived, so the one gap is a process that stops while a POST is in flight:
// the card may be in the chat without its id stored. A post is therefore noted on the record before it starts
// (cardPostStartedAt); the next process posts once more and says so, and the copy it cannot know of refreshes itself
// for the invitee (the card's `refresh`). A post that completed is never repeated by this process: its id is kept in
// memory until the store takes it, and nothing is posted while the store refuses to note the post.
import { Activity, Attachment, type ConversationReference, MessageFactory } from 'botbuilder';
import type { Logger } from '../src/logger';
import { callPhoneNumber, type InvitationRecord, type PendingNotification, type Repositories, storedAccountId, StoreUnavailableError } from '../src/store';
import type { TeamsInstallations } from './installations';
import { ActivityGoneError, DeliveryBlockedError, ProactiveSender, SenderClosedError } from './proactive-sender';
import { DrainLoop } from './drain-loop';

export interface NotifierDeps {
  repositories: Repositories;
  installations: TeamsInstallations;
  sender: ProactiveSender;
  /**
   * The invitation card for a record, as it should look now: times in the user's zone when known, refreshing itself
   * for the invitee (their Teams user id) whenever it is shown, with the phone number stored for calls.
   */
  renderCard(record: InvitationRecord, view: { timeZone?: string; inviteeTeamsId?: string; phoneNumber?: string }): Attachment;
  /** One line for the Teams notification feed. */
  summary(record: InvitationRecord): string;
  log: Logger;
  /**
   * Accounts whose cards are delivered at the same time. Each account's cards go in queue order, one after the
   * other; different accounts do not wait for each other, so a Retry-After that Teams gives one conversation holds
   * back only that conversation (the sender still keeps the per-conversation spacing and the app-wide budget).
   * Default 64.
   */
  parallelAccounts?: number;
}

export class CardNotifier {
  private readonly loop: DrainLoop;
  /** Cards posted whose activity id the store has not taken yet (it failed to write): never posted again. */
  private readonly postedNotStored = new Map<string, { activityId: string; conversationId: string }>();

  constructor(private readonly deps: NotifierDeps) {
    // Reading the queue failed (storage hiccup): the timer or the next change tries again.
    this.loop = new DrainLoop(() => this.drainOnce(), (error) => this.deps.log.error('could not read the pending card notifications', { error }));
  }

  /** Something changed: drain soon. Calls while a drain runs fold into one more pass. */
  kick(): Promise<void> {
    return this.loop.kick();
  }

  /** Also drain on a timer, so a failed send is retried and nothing waits for the next event. */
  start(intervalMs = 5_000): void {
    this.loop.start(intervalMs);
  }

  /**
   * Stops draining. Sends still waiting (spacing, throttling backoff) are dropped and stay pending in the store for
   * the next start; a request already on the wire gets up to `graceMs` to finish, so that its card id is stored.
   */
  async stop(graceMs = 3_000): Promise<void> {
    const inFlight = this.loop.stop();
    this.deps.sender.close();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([inFlight, grace]);
    clearTimeout(timer);
  }

  private async drainOnce(): Promise<void> {
    const pending = await this.deps.repositories.notifications.pending();
    const lanes = [...lanesByAccount(pending).values()];
    let next = 0;
    // A fixed number of workers, each taking the next account's lane when it finishes one.
    const worker = async (): Promise<void> => {
      while (next < lanes.length && !this.loop.stopped) await this.deliverLane(lanes[next++]);
    };
    const workers = Math.max(1, Math.min(this.deps.parallelAccounts ?? 64, lanes.length));
    await Promise.all(Array.from({ length: workers }, worker));
  }

  /** One account's notifications, in queue order; a closed sender ends the lane (the rest stays pending). */
  private async deliverLane(lane: PendingNotification[]): Promise<void> {
    for (const n of lane) {
      if (this.loop.stopped) return;
      try {
        await this.deliver(n);
      } catch (err) {
        if (err instanceof SenderClosedError) return;
        // Left pending: the next pass tries again. A store that refuses writes is reported by StoreHealth.
        this.deps.log[err instanceof StoreUnavailableError ? 'debug' : 'warn']('could not deliver an invitation card', { invitation: n.invitationId, error: err as Error });
      }
    }
  }

  private async deliver(n: PendingNotification): Promise<void> {
    const { repositories, installations, sender } = this.deps;
    const done = () => repositories.notifications.complete(n.invitationId, n.createdAt);
    const record = await repositories.invitations.get(n.invitationId);
    if (!record) return void (await done());
    const accountId = storedAccountId(record.accountId);
    const installation = await installations.get(accountId);
    if (!installation?.active) {
      this.deps.log.info('invitation for a user without an active installation; card not sent', { invitation: record.id });
      return void (await done());
    }
    const view = { timeZone: installation.timeZone, inviteeTeamsId: installation.reference.user?.id, phoneNumber: callPhoneNumber(installation) };
    const activity: Partial<Activity> = { ...MessageFactory.attachment(this.deps.renderCard(record, view)), summary: this.deps.summary(record) };
    const activityId = record.teamsActivityId ?? (await this.storeEarlierPost(record));
    try {
      if (activityId) {
        try {
          await sender.update(installation.reference, activityId, activity);
        } catch (err) {
          if (!(err instanceof ActivityGoneError)) throw err;
          // The user deleted the card: post it again so the invitation stays visible.
          await this.postAndStore(record, installation.reference, activity);
        }
      } else {
        await this.postAndStore(record, installation.reference, activity);
      }
    } catch (err) {
      if (!(err instanceof DeliveryBlockedError)) throw err;
      const conversation = installation.reference.conversation?.id;
      if (err.code === 'ConversationNotFound' && !installation.recreated) {
        // Teams lost the chat (seen with stored references): ask for the 1:1 chat again, once, and deliver there.
        const fresh = await sender.recreatePersonalConversation(installation.reference);
        if (fresh && (await installations.replaceLostConversation(accountId, conversation, fresh))) {
          this.deps.log.info('Teams lost the chat with the user; created it again', { user: record.accountId });
          this.loop.passAgain();
          return;
        }
      }
      if (!(await installations.deactivateConversation(accountId, conversation))) {
        // The user reinstalled meanwhile: deliver again, to the new conversation.
        this.deps.log.info('Teams refused delivery to a conversation the user has left; trying the current one', { user: record.accountId, status: err.status });
        return;
      }
      this.deps.log.warn('Teams refused delivery; installation marked inactive', { user: record.accountId, status: err.status, code: err.code });
    }
    await done();
  }

  /** The id of a card this process posted but could not store: stored now (or the pass fails and tries again). */
  private async storeEarlierPost(record: InvitationRecord): Promise<string | undefined> {
    const posted = this.postedNotStored.get(record.id);
    if (!posted) return undefined;
    await this.deps.repositories.invitations.setTeamsActivity(record.id, posted.activityId, posted.conversationId);
    this.postedNotStored.delete(record.id);
    return posted.activityId;
  }

  /** Notes the post on the record, posts, and stores the new activity id. */
  private async postAndStore(record: InvitationRecord, reference: Partial<ConversationReference>, activity: Partial<Activity>): Promise<void> {
    const { invitations } = this.deps.repositories;
    // Nothing is posted unless the store can note it: a store that refuses writes would otherwise get one new copy
    // of the card per pass, none of them stored.
    const marked = await invitations.markCardPosting(record.id);
    if (!marked) return;
    if (marked.earlierPostStartedAt) {
      this.deps.log.info('an earlier post of this card may have reached Teams before the bot stopped; posting it once more (that copy refreshes itself)', {
        invitation: record.id,
        earlierPostStartedAt: marked.earlierPostStartedAt,
      });
    }
    const activityId = await this.deps.sender.post(reference, activity);
    const conversationId = reference.conversation?.id ?? '';
    this.postedNotStored.set(record.id, { activityId, conversationId });
    await invitations.setTeamsActivity(record.id, activityId, conversationId);
    this.postedNotStored.delete(record.id);
  }
}

/**
 * Groups notifications by account, keeping queue order within each and ordering the groups by their oldest
 * notification. Invitation ids start with the account's key (invitationIdFor), so no record has to be read first.
 */
function lanesByAccount(pending: readonly PendingNotification[]): Map<string, PendingNotification[]> {
  const lanes = new Map<string, PendingNotification[]>();
  for (const n of pending) {
    const dot = n.invitationId.indexOf('.');
    const account = dot > 0 ? n.invitationId.slice(0, dot) : n.invitationId;
    const lane = lanes.get(account);
    if (lane) lane.push(n);
    else lanes.set(account, [n]);
  }
  return lanes;
}
