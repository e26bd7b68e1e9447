// The invitations of one account as the event channel reports them: each batch is turned into invitation records
// and pending cards and persisted before the batch is acknowledged; after a resync or resume, or when the application
// dies, the invitations that can no longer be answered are ended so no card keeps offering a dead Accept.
import type { UcwaApplication } from '../ucwa/application';
import { UcwaHttpError } from '../ucwa/errors';
import type { EventBatch } from '../ucwa/event-channel';
import { InvitationEventReader } from '../ucwa/invitation';
import type { UcwaSession } from '../ucwa/session';
import type { Logger } from '../logger';
import type { InvitationRecord, InvitationState, PersistedInvitation, Repositories } from '../store';
import type { InvitationChange } from './account-watcher';
import { toUpsert } from './invitation-mapping';

const OPEN_STATES = ['pending', 'accepting', 'declining', 'inLobby'] as const;

export class InvitationBook {
  private readonly reader = new InvitationEventReader();
  /** Records reconcile() ended as 'failed' whose real outcome may still arrive; final ('ended') if the application dies. */
  private readonly provisional = new Set<string>();

  constructor(
    private readonly accountId: string,
    private readonly session: UcwaSession,
    private readonly repositories: Repositories,
    private readonly log: Logger,
    private readonly onChange: (change: InvitationChange) => void,
  ) {}

  /** Persists one event batch's invitations (and their pending cards); true when the batch carried any event. */
  async record(batch: EventBatch): Promise<boolean> {
    const flat = batch.events.senders.flatMap((s) => s.events.map((event) => ({ senderHref: s.href ? new URL(s.href, batch.url).toString() : undefined, event })));
    const updates = this.reader.read(flat, batch.url);
    const persisted: PersistedInvitation[] = updates.length
      ? await this.repositories.persistEventBatch({ invitations: updates.map((u) => toUpsert(this.accountId, u)) })
      : [];
    // `persisted` has one entry per distinct invitation (first-seen order) and `updates` one per event, so updates[i]
    // could be another invitation's: report each changed record with the latest update of its own invitation.
    const latest = new Map(updates.map((u) => [u.invitation.href, u]));
    for (const p of persisted) {
      if (p.record.state !== 'failed') this.provisional.delete(p.record.id);
      const update = latest.get(p.record.invitationHref);
      if (p.changed && update) this.onChange({ accountId: this.accountId, update, record: p.record });
    }
    return flat.length > 0;
  }

  /** After resync/resume: events may have been missed, so open invitations whose conversation is gone are ended. */
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
    const { resource } = await this.session.getResource(conversations, { base: application.links.self });
    const active = new Set(resource.embeddedAll('conversation').map((c) => new URL(c.href ?? '', conversations).toString()));
    if (kind === 'resume') this.reader.retainOnly(active);
    for (const record of await this.repositories.invitations.listOpenForAccount(this.accountId)) {
      const conv = await this.conversationOf(record);
      // 'failed', not 'ended': the server still knows this invitation, and a resync re-delivers the unacknowledged
      // batch that carries its real outcome; the store lets a later event refine 'failed', never 'ended'.
      if (conv && !active.has(conv) && (await this.endInvitation(record, 'The invitation ended while the Skype connection was interrupted.', 'failed'))) this.provisional.add(record.id);
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

  /** Ends what is still open (all, or all but the invitations under `keepUnder`, the live application). */
  async endOrphaned(message: string, keepUnder?: string): Promise<void> {
    // A provisional 'failed' of a dead application will never learn its real outcome: it ends like the open ones.
    for (const id of [...this.provisional]) {
      const record = await this.repositories.invitations.get(id);
      if (record && keepUnder && record.invitationHref.startsWith(`${keepUnder}/`)) continue;
      this.provisional.delete(id);
      if (record?.state === 'failed' && record.outcomeReason?.code === 'ConnectionLost') await this.endInvitation(record, message, 'ended', ['failed']);
    }
    for (const record of await this.repositories.invitations.listOpenForAccount(this.accountId)) {
      if (keepUnder && record.invitationHref.startsWith(`${keepUnder}/`)) continue;
      await this.endInvitation(record, message);
    }
  }

  private async endInvitation(record: InvitationRecord, message: string, state: 'ended' | 'failed' = 'ended', from: readonly InvitationState[] = OPEN_STATES): Promise<boolean> {
    const result = await this.repositories.invitations.transition(record.id, from, state, { outcomeReason: { code: 'ConnectionLost', message } });
    if (!result.ok || !result.record) return false;
    await this.repositories.notifications.enqueue(record.id, result.record.teamsActivityId ? 'update' : 'post');
    this.onChange({
      accountId: this.accountId,
      update: { event: 'completed', complete: false, invitation: { href: record.invitationHref, kind: record.kind, direction: 'Incoming', importance: record.importance, from: record.from, availableModalities: record.availableModalities, actions: {}, receivedAt: new Date(record.receivedAt) }, outcome: { kind: 'failed', reason: { code: 'ConnectionLost', message } } },
      record: result.record,
    });
    return true;
  }
}
