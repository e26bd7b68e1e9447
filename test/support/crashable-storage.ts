// The storage of a bot process that can crash, for restart tests over one SQLite file (shared by the watcher tests).
import type { StoreItems } from 'botbuilder';
import { KEY_PREFIXES } from '../../src/store';
import type { ScanStorage, SqliteStorage } from '../../src/store';

/**
 * The storage of a process that can crash: `crash()` makes every later write fail, as nothing more reaches the
 * file after the process died; `crashOnInvitationWrite` crashes at the next write of invitation records, before it
 * lands, and runs a hook (which stops the watcher).
 */
export class CrashableStorage implements ScanStorage {
  private dead = false;
  private onInvitationWrite?: () => void;
  constructor(readonly inner: SqliteStorage) {}
  crash(): void {
    this.dead = true;
  }
  crashOnInvitationWrite(hook: () => void): void {
    this.onInvitationWrite = hook;
  }
  read(keys: string[]): Promise<StoreItems> {
    return this.inner.read(keys);
  }
  async write(changes: StoreItems): Promise<void> {
    const hook = this.onInvitationWrite;
    if (hook && Object.keys(changes).some((k) => k.startsWith(KEY_PREFIXES.invitation))) {
      this.onInvitationWrite = undefined;
      this.dead = true;
      hook();
    }
    if (this.dead) throw new Error('the process is gone (injected crash)');
    return this.inner.write(changes);
  }
  delete(keys: string[]): Promise<void> {
    return this.inner.delete(keys);
  }
  keysWithPrefix(prefix: string): Promise<string[]> {
    return this.inner.keysWithPrefix(prefix);
  }
}
