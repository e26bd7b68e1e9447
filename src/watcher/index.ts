// Public surface of the background watcher.
export { AccountWatcher, DEFAULT_TIMING } from './account-watcher';
export type { AccountConfig, AccountStatusView, InvitationChange, WatcherTiming, ActionOutcome } from './account-watcher';
export { WatcherSupervisor } from './supervisor';
export { ConversationActions, type LeaveResult, type ReplyResult } from './conversation-actions';
export type { ActResult, SupervisorDeps } from './supervisor';
