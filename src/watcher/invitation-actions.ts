// Accept and decline of one account's invitations: the UCWA POST on the link cached from the `started` event, and
// what its failure means for the click (failure-policy.ts decides; this only words it for the supervisor).
import { UcwaHttpError, UcwaOriginError } from '../ucwa/errors';
import { classify } from '../ucwa/failure-policy';
import type { UcwaSession } from '../ucwa/session';
import type { Logger } from '../logger';
import { InvitationRecord, isTerminalState } from '../store';

export type ActionOutcome =
  | { ok: true }
  | { ok: false; why: 'notOffered' | 'notConnected' | 'refused'; status?: number; reason?: { code: string; subcode?: string; message?: string } };

export class InvitationActionPerformer {
  constructor(
    private readonly session: UcwaSession,
    private readonly log: Logger,
    /** With a phone number, calls can be accepted by ringing it (acceptWithPhoneAudio). */
    private readonly phoneNumber: string | undefined,
  ) {}

  async perform(record: InvitationRecord, verb: 'accept' | 'decline', declineReason = 'Local'): Promise<ActionOutcome> {
    if (isTerminalState(record.state)) return { ok: false, why: 'refused' };
    const href = this.linkFor(record, verb);
    if (!href) return { ok: false, why: 'notOffered' };
    try {
      await this.session.post(href, verb === 'decline' ? { json: { reason: declineReason } } : {});
      return { ok: true };
    } catch (err) {
      return this.outcomeOf(err as Error, verb);
    }
  }

  private linkFor(record: InvitationRecord, verb: 'accept' | 'decline'): string | undefined {
    if (verb === 'decline') return record.actions.decline;
    if (record.kind === 'audioVideo') return this.phoneNumber ? record.actions.acceptWithPhoneAudio : undefined;
    return record.actions.accept;
  }

  private outcomeOf(err: Error, verb: 'accept' | 'decline'): ActionOutcome {
    const action = classify(err, 'action');
    // An answer from the pool (the invitation ended, or the application is gone): the supervisor reads which.
    if (err instanceof UcwaHttpError && (action.kind === 'giveUp' || action.kind === 'recreateApplication')) {
      return { ok: false, why: 'refused', status: err.status, reason: err.reason };
    }
    if (err instanceof UcwaOriginError) {
      // The cached link leads outside the pool: it never will work, so it is not offered (no "try again").
      this.log.error(`${verb} refused: the invitation's link is not on the pool`, { error: err });
      return { ok: false, why: 'notOffered' };
    }
    // No answer, a busy pool, a refused sign-in: the user may press again.
    this.log.warn(`${verb} failed`, { error: err, action: action.kind });
    return { ok: false, why: 'notConnected' };
  }
}
