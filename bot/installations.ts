// The installation records (src/store/installation-repository.ts) as the Teams side uses them: the store keeps the
// conversation reference opaque; here it is botbuilder's.
import type { ConversationReference } from 'botbuilder';
import { type Installation as StoredInstallation, InstallationRepository } from '../src/store';

export type { ConnectionNotice } from '../src/store';

/** What the bot stores to post proactively: the reference of the user's personal chat. */
export type TeamsReference = Partial<ConversationReference>;

export type Installation = StoredInstallation<TeamsReference>;

export class TeamsInstallations extends InstallationRepository<TeamsReference> {}
