// The invitations of one account as the event channel reports them: each batch is turned into invitation records
// and pending cards and persisted before the batch is acknowledged; after a resync or resume, or when the application
// dies, the invitations that can no longer be answered are ended so no card keeps offering a dead Accept; and a click
// that a previous process moved to accepting/declining but never delivered to the pool is opened again.
import type { UcwaApplication } from '../ucwa/application';
import { isAbortError, UcwaHttpError, UcwaOriginError } from '../ucwa/errors';
import type { EventBatch } from '../ucwa/event-channel';
import { classify } from '../ucwa/failure-policy';
import { InvitationActions, InvitationEventReader, InvitationUpdate, offeredActions, Outcome } from '../ucwa/invitation';
import type { UcwaResource } from '../ucwa/resource';
import type { UcwaSession } from '../ucwa/session';
import type { Logger } from '../logger';
import { type InvitationInput, type InvitationRecord, type InvitationState, isOpenState, type PersistedInvitation, type Repositories } from '../store';
import type { InvitationChange } from './account-watcher';
import { toUpsert } from './invitation-mapping';
import { type ConversationBatchResult, ConversationTracker } from './conversation-relay';

/** The states of a click between the eTag-guarded move and the pool's answer (see WatcherSupervisor.act). */
type ActingState = 'accepting' | 'declining';

/** Why a noted click is not reopened, by what the pool said. */
const LEFT_AS_IT_IS: Record<'movedOn' | 'gone' | 'unusable', string> = {
  movedOn: 'an interrupted click reached Skype (or the invitation moved on); its events tell the outcome',
  gone: 'the invitation of an interrupted click is gone; left to the end handling',
  unusable: 'the invitation of an interrupted click is not on the pool; left as it is',
};

function isActing(state: InvitationState): state is ActingState {
  return state === 'accepting' || state === 'declining';
}

/** What the pool says about an invitation whose click may have been lost. */
type PoolView =
  /** Still ringing with its action links: the click never reached the pool. */
  | { kind: 'stillOffered'; actions: InvitationActions }
  /** No action offered any more: the click landed, or the invitation went on; its events tell how. */
  | { kind: 'movedOn' }
  /** 404/410: the invitation (or its application) is gone; the end/orphan handling owns it. */
  | { kind: 'gone' }
  /** Its href is not on the pool: it can never be asked. */
  | { kind: 'unusable' }
  /** No answer (5xx, network, sign-in): ask again later. */
  | { kind: 'unknown' };

export class InvitationBook {
  private readonly reader = new InvitationEventReader();
  private relearned = false;
  /** Clicks a previous process left accepting/declining (id -> that state), to check with the pool once connected. */
  private readonly interrupted = new Map<string, ActingState>();
  private readonly conversations: ConversationTracker;

  constructor(
    private readonly accountId: string,
    private readonly session: UcwaSession,
    private readonly repositories: Repositories,
    private readonly log: Logger,
    private readonly onChange: (change: InvitationChange) => void,
  ) {
    this.conversations = new ConversationTracker(accountId, repositories);
  }

  /** Persists one event batch's invitations (and their pending cards); true when the batch carried any event. */
  async record(batch: EventBatch): Promise<boolean> {
    await this.relearnConversations();
    const flat = batch.events.senders.flatMap((s) => s.events.map((event) => ({ senderHref: s.href ? new URL(s.href, batch.url).toString() : undefined, senderRel: s.rel, event })));
    const updates = this.reader.read(flat, batch.url);
    const conversation = await this.conversations.read(flat, batch.url, updates);
    const anyConversation = (conversation.batch.messages?.length ?? 0) + (conversation.batch.conversations?.length ?? 0) > 0;
    const persisted: PersistedInvitation[] = updates.length || anyConversation
      ? await this.repositories.persistEventBatch({ invitations: updates.map((u) => toUpsert(this.accountId, u)), conversations: conversation.batch })
      : [];
    // `persisted` has one entry per distinct invitation (first-seen order) and `updates` one per event, so updates[i]
    // could be another invitation's: report each changed record with the latest update of its own invitation.
    const latest = new Map(updates.map((u) => [u.invitation.href, u]));
    for (const p of persisted) {
      const update = latest.get(p.record.invitationHref);
      if (p.changed && update) this.onChange({ accountId: this.accountId, update, record: p.record });
    }
    await this.settleConversations(conversation);
    return flat.length > 0;
  }

  /**
   * What follows from the stored conversation changes, still before the batch is acknowledged (a crash re-delivers
   * and these moves repeat harmlessly): ended conversations move their invitation (and card), replies get their outcome.
   */
  private async settleConversations(result: ConversationBatchResult): Promise<void> {
    for (const href of result.ended) {
      const conversation = await this.repositories.messages.conversation(this.accountId, href);
      const record = conversation && (await this.repositories.invitations.get(conversation.invitationId));
      if (record) await this.apply(record, { kind: 'conversationEnded', by: conversation.endedBy ?? 'remote' }, 'completed');
    }
    for (const outcome of result.replyOutcomes) {
      await this.repositories.messages.setReplyState(outcome.replyId, outcome.delivered ? 'delivered' : 'failed', outcome.failure);
    }
  }

  /**
   * Once, before the first batch of this watcher: the conversations of invitations still open in the store (an
   * accepted meeting may be waiting in its lobby), so that their lobby events are recognised after a restart.
   */
  private async relearnConversations(): Promise<void> {
    if (this.relearned) return;
    for (const record of await this.repositories.invitations.listOpenForAccount(this.accountId)) {
      if (record.ucwaConversationHref) this.reader.remember(record.ucwaConversationHref, record.invitationHref, record.kind);
    }
    this.relearned = true;
  }

  async reconcile(kind: 'resync' | 'resume', application: UcwaApplication | undefined): Promise<void> {
    this.log.info(`event channel ${kind}: reconciling open invitations`);
    // After a resync the hrefs stay valid, and the conversation map is still needed to recognise the lobby of an
    // invitation that started before it. After a resume the server may have closed conversations: forget those, but
    // keep the ones still active, whose invitations stay open below and can still be accepted into a lobby.
    const conversations = application?.links.conversations;
    if (!conversations) {
      if (kind === 'resume') this.reader.reset();
      return;
    }
    const resource = await this.readConversations(conversations, application.links.self);
    if (!resource) {
      if (kind === 'resume') this.reader.reset();
      return;
    }
    const active = new Set(resource.embeddedAll('conversation').map((c) => new URL(c.href ?? '', conversations).toString()));
    if (kind === 'resume') this.reader.retainOnly(active);
    for (const record of await this.repositories.invitations.listOpenForAccount(this.accountId)) {
      if (!isOpenState(record.state)) continue;
      const conv = await this.conversationOf(record);
      // Provisional (the state machine's `conversationGone`): a resync re-delivers the unacknowledged batch, whose
      // event may still tell the real outcome, the user having joined included.
      if (conv && !active.has(conv)) await this.apply(record, { kind: 'conversationGone' }, 'completed');
    }
  }

  /**
   * The active conversations, or undefined when the list is missing (a plain 404: failure-policy gives it up). Then
   * nothing tells which invitations ended, so none is ended here: their own events tell. Other failures are the
   * event channel's to handle (the batch and this reconciliation come again).
   */
  private async readConversations(href: string, base: string): Promise<UcwaResource | undefined> {
    try {
      return (await this.session.getResource(href, { base })).resource;
    } catch (err) {
      if (isAbortError(err) || classify(err as Error, 'secondaryResource').kind !== 'giveUp') throw err;
      this.log.warn('the conversations list could not be read; open invitations are left to their events', { error: err as Error });
      return undefined;
    }
  }

  private async conversationOf(record: InvitationRecord): Promise<string | undefined> {
    try {
      const { resource, url } = await this.session.getResource(record.invitationHref);
      const href = resource.linkHref('conversation');
      return href ? new URL(href, url).toString() : undefined;
    } catch (err) {
      if (err instanceof UcwaHttpError && err.status === 404) return 'gone';
      return undefined;
    }
  }

  /**
   * Ends what is still open, and makes final what was only provisional (all, or all but the invitations under
   * `keepUnder`, the live application): nothing more can arrive for them.
   */
  async endOrphaned(cause: 'applicationLost' | 'applicationReplaced', keepUnder?: string): Promise<void> {
    for (const record of await this.repositories.invitations.listOpenForAccount(this.accountId)) {
      if (keepUnder && record.invitationHref.startsWith(`${keepUnder}/`)) continue;
      await this.apply(record, { kind: 'orphaned', cause }, 'completed');
    }
  }

  /** One move by the state machine (record and card in one write), reported to the change listeners. */
  private async apply(record: InvitationRecord, input: InvitationInput, event: 'updated' | 'completed'): Promise<InvitationRecord | undefined> {
    const result = await this.repositories.invitations.apply(record.id, input);
    if (!result.ok || !result.changed) return undefined;
    this.onChange({ accountId: this.accountId, update: ownUpdate(result.record, event), record: result.record });
    return result.record;
  }

  // ------------------------------------------------------------------------------------- interrupted clicks

  /**
   * Notes this account's records still accepting/declining from before `startedAt` (when this process started):
   * no click of this process can be working on them, so their POST may have died with an earlier process. Call it
   * before the first event batch, which would otherwise be the last writer of a record.
   */
  async noteInterruptedActions(startedAt: Date): Promise<void> {
    for (const record of await this.repositories.invitations.listOpenForAccount(this.accountId)) {
      // Strictly before: a click of this very process in the same millisecond must never be taken for a lost one.
      if (isActing(record.state) && Date.parse(record.updatedAt) < startedAt.getTime()) this.interrupted.set(record.id, record.state);
    }
  }

  get hasInterruptedActions(): boolean {
    return this.interrupted.size > 0;
  }

  /**
   * Asks the pool about each noted click (the session only calls hrefs on the pool's origins). A click that never
   * reached the pool goes back to pending, with its card queued, so the user can press again; whatever else the pool
   * says is left to the events and the end handling. Returns how many must be asked again (no answer this time).
   */
  async recoverInterruptedActions(signal?: AbortSignal): Promise<number> {
    for (const [id, acting] of [...this.interrupted]) {
      const record = await this.repositories.invitations.get(id);
      // An event or the end handling moved it meanwhile: that says more than the pool could.
      if (record?.state !== acting) {
        this.interrupted.delete(id);
        continue;
      }
      const view = await this.poolView(record, signal);
      if (view.kind === 'unknown') continue;
      this.interrupted.delete(id);
      if (view.kind === 'stillOffered') await this.reopen(record, acting, view.actions);
      else this.log.info(LEFT_AS_IT_IS[view.kind], { invitation: id, state: acting });
    }
    return this.interrupted.size;
  }

  private async poolView(record: InvitationRecord, signal?: AbortSignal): Promise<PoolView> {
    try {
      const { resource, url } = await this.session.getResource(record.invitationHref, { signal });
      const actions = offeredActions(resource, url);
      return actions.accept || actions.decline || actions.acceptWithPhoneAudio ? { kind: 'stillOffered', actions } : { kind: 'movedOn' };
    } catch (err) {
      if (isAbortError(err)) throw err;
      if (err instanceof UcwaHttpError && (err.status === 404 || err.status === 410)) return { kind: 'gone' };
      if (err instanceof UcwaOriginError) return { kind: 'unusable' };
      this.log.warn('could not check an interrupted click with Skype; will ask again', { invitation: record.id, error: err as Error });
      return { kind: 'unknown' };
    }
  }

  /** Back to pending, by the state machine: if anything moved the record meanwhile, that stands. */
  private async reopen(record: InvitationRecord, acting: ActingState, offered: InvitationActions): Promise<void> {
    if (!(await this.apply(record, { kind: 'recovered', finding: 'stillOffered', actions: offered }, 'updated'))) return;
    this.log.info('an interrupted click never reached Skype; the invitation can be answered again', { invitation: record.id, state: acting });
  }
}

/** How a move the bot made itself (no UCWA event carried it) reaches the change listeners. */
function ownUpdate(record: InvitationRecord, event: 'updated' | 'completed'): InvitationUpdate {
  // The bot's own endings are failures as far as UCWA outcomes go; the code names the machine's reason.
  const outcome: Outcome | undefined = event === 'completed' ? { kind: 'failed', reason: { code: record.reason ?? 'reported' } } : undefined;
  return {
    event,
    complete: false,
    invitation: { href: record.invitationHref, kind: record.kind, direction: 'Incoming', importance: record.importance, from: record.from, availableModalities: record.availableModalities, actions: {}, receivedAt: new Date(record.receivedAt) },
    outcome,
  };
}
