// The public surface of the storage layer.
export * from './errors';
export * from './storage';
export { MemoryStorage } from './memory-storage';
export { SqliteStorage, type SqliteStorageOptions } from './sqlite-storage';
// BlobStorage itself is loaded on demand by openStorage (the Azure SDK is large); import './blob-storage' to use it.
export type { BlobStorage, BlobStorageOptions } from './blob-storage';
export * from './storage-url';
export * from './records';
export { KEY_PREFIXES, storageKeys } from './keys';
export type { Clock, RepositoryOptions } from './clock';
export { mergeInvitation, type MergeResult } from './invitation-merge';
export * from './invitation-state';
export { InvitationRepository, type ApplyResult } from './invitation-repository';
export { NotificationQueue, QueueSignal, collapseNotification } from './notification-queue';
export * from './account-id';
export * from './phone-number';
export {
  callPhoneNumber,
  type ConnectionNotice,
  type ChatReferenceRecord,
  type Installation,
  type InstallationIdentity,
  type InstallationPatch,
  InstallationRepository,
} from './installation-repository';
export { AccountSessionRepository, MAX_LAST_ERROR_LENGTH } from './account-session-repository';
export { persistEventBatch, type EventBatch, type PersistedInvitation } from './event-batch';
export { createRepositories, type Repositories } from './repositories';
export * from './conversation-records';
export { MessageRepository, type ConversationBatch, type ConversationUpsert, type ReplyClaim } from './message-repository';
export { HealthReportingStorage, StoreHealth, type StoreHealthOptions } from './store-health';
export { StoreWriteProbe, type StoreProbeResult } from './write-probe';
