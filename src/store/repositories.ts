// One call that builds every repository over one storage, for the composition root.
import { AccountSessionRepository } from './account-session-repository';
import type { RepositoryOptions } from './clock';
import { type EventBatch, type PersistedInvitation, persistEventBatch } from './event-batch';
import { InvitationRepository } from './invitation-repository';
import { MessageRepository } from './message-repository';
import { NotificationQueue, QueueSignal } from './notification-queue';
import type { ScanStorage } from './storage';

export interface Repositories {
  invitations: InvitationRepository;
  notifications: NotificationQueue;
  accounts: AccountSessionRepository;
  /** Conversations of accepted invitations, their relayed messages and replies. */
  messages: MessageRepository;
  /** persistEventBatch bound to the same storage and options. */
  persistEventBatch(batch: EventBatch): Promise<PersistedInvitation[]>;
}

export function createRepositories(storage: ScanStorage, options: RepositoryOptions = {}): Repositories {
  // Every writer that queues a card tells the one signal; the queue's subscribers hear of all of them.
  const queued = new QueueSignal();
  return {
    invitations: new InvitationRepository(storage, options, queued),
    notifications: new NotificationQueue(storage, options, queued),
    accounts: new AccountSessionRepository(storage, options),
    messages: new MessageRepository(storage, options),
    persistEventBatch: (batch) => persistEventBatch(storage, batch, options, queued),
  };
}
