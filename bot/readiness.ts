// What /readyz reports: ready while the bot is running and its store accepts a write. Skype connections are
// reported, not required: a pool outage is not something a restart of this instance would cure, and taking the bot
// out of rotation would also silence its chat answers. A store that refuses writes is different: nothing can be
// recorded, so no invitation reaches Teams, and the platform should know.
import type { StoreProbeResult } from '../src/store';
import type { WatcherSupervisor } from '../src/watcher';
import type { Readiness } from './server';

export type BotPhase = 'starting' | 'running' | 'stopping';

export class BotReadiness {
  phase: BotPhase = 'starting';

  constructor(
    private readonly store: { check(): Promise<StoreProbeResult> },
    private readonly supervisor: Pick<WatcherSupervisor, 'statuses'>,
    /** What this instance owns of the shared accounts, e.g. "21/64 partitions, 340 accounts (host-123)". */
    private readonly ownership?: () => string,
  ) {}

  async check(): Promise<Readiness> {
    const statuses = this.supervisor.statuses();
    const watcher = `${this.phase}; ${statuses.filter((s) => s.state === 'connected').length}/${statuses.length} connected`;
    const ownership: Record<string, string> = this.ownership ? { ownership: this.ownership() } : {};
    if (this.phase !== 'running') return { ready: false, checks: { watcher, ...ownership } };
    // Only the outcome is reported: the store's error text can name its account or path.
    const storage = await this.store.check();
    return { ready: storage === 'ok', checks: { storage, watcher, ...ownership } };
  }
}
