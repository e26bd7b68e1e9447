// One call that builds every repository over one storage, for the composition root.
import { AccountSessionRepository } from './account-session-repository';
import type { RepositoryOptions } from './clock';
import { type EventBatch, type PersistedInvitation, persistEventBatch } from './event-batch';
import { InvitationRepository } from './invitation-repository';
import { NotificationQueue } from './notification-queue';
import type { ScanStorage } from './storage';

export interface Repositories {
  invitations: InvitationRepository;
  notifications: NotificationQueue;
  accounts: AccountSessionRepository;
  /** persistEventBatch bound to the same storage and options. */
  persistEventBatch(batch: EventBatch): Promise<PersistedInvitation[]>;
}

export function createRepositories(storage: ScanStorage, options: RepositoryOptions = {}): Repositories {
  return {
    invitations: new InvitationRepository(storage, options),
    notifications: new NotificationQueue(storage, options),
    accounts: new AccountSessionRepository(storage, options),
    persistEventBatch: (batch) => persistEventBatch(storage, batch, options),
  };
}
