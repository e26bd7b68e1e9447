// What /readyz reports: ready while the bot is running and its store answers. Skype connections are reported, not
// required: a pool outage is not something a restart of this instance would cure, and taking the bot out of rotation
// would also silence its chat answers.
import type { Storage } from 'botbuilder';
import type { WatcherSupervisor } from '../src/watcher';
import type { Readiness } from './server';

export type BotPhase = 'starting' | 'running' | 'stopping';

export class BotReadiness {
  phase: BotPhase = 'starting';

  constructor(
    private readonly storage: Storage,
    private readonly supervisor: Pick<WatcherSupervisor, 'statuses'>,
  ) {}

  async check(): Promise<Readiness> {
    const statuses = this.supervisor.statuses();
    const watcher = `${this.phase}; ${statuses.filter((s) => s.state === 'connected').length}/${statuses.length} connected`;
    if (this.phase !== 'running') return { ready: false, checks: { watcher } };
    try {
      await this.storage.read(['sfb/readiness-probe']);
    } catch {
      // The error text can name the store's account or path: only the fact is reported.
      return { ready: false, checks: { storage: 'unreachable', watcher } };
    }
    return { ready: true, checks: { storage: 'ok', watcher } };
  }
}
