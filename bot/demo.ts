// The local demo: a UCWA simulator with demo users in this process, every demo user linked to the Teams user with the
// same UPN (Agents Playground's default users), and the `demo` command that sends one invitation of each kind.
import { demoUsers, DEMO_PASSWORD, UcwaSimulator } from '../src/simulator';
import { type AccountId, accountIdOf, sipAddressOf } from '../src/store';
import type { LinkedAccount } from './accounts';
import type { DemoHooks } from './invitation-bot';

interface DemoInvitation {
  kind: 'onlineMeeting' | 'messaging' | 'audioVideo';
  from: { name: string; uri: string; sourceNetwork: string };
  onBehalfOf?: { name: string; uri: string };
  subject: string;
  importance: 'Normal' | 'Urgent' | 'Emergency';
  message?: string;
  lobby?: boolean;
  /** The simulated organizer admits the user from the lobby this many seconds after Accept. */
  admitAfterSeconds?: number;
  answerWindowSeconds: number;
}

// Realistic senders from the same fictional company as the playground's users, plus one federated partner.
const SCRIPT: DemoInvitation[] = [
  {
    kind: 'onlineMeeting',
    from: { name: 'Megan Bowen', uri: 'sip:meganb@example.com', sourceNetwork: 'SameEnterprise' },
    onBehalfOf: { name: 'Lidia Holloway', uri: 'sip:lidiah@example.com' },
    subject: 'Q3 budget review — please join now',
    importance: 'Urgent',
    message: 'We are starting the budget review, can you join? We need your numbers for slide 4.',
    lobby: true,
    // A newcomer sees the lobby, then "Joined", without driving the simulator's admin API.
    admitAfterSeconds: 5,
    answerWindowSeconds: 600,
  },
  {
    kind: 'messaging',
    from: { name: 'Adele Vance', uri: 'sip:adelev@example.com', sourceNetwork: 'SameEnterprise' },
    subject: 'Contoso proposal',
    importance: 'Normal',
    message: 'Hi! Do you have 5 minutes for a quick question about the Contoso proposal?',
    answerWindowSeconds: 600,
  },
  {
    kind: 'audioVideo',
    from: { name: 'Pradeep Gupta (Fabrikam)', uri: 'sip:pradeepg@fabrikam.example', sourceNetwork: 'Federated' },
    subject: 'Delivery schedule',
    // Importance is marked on every kind of card; the demo shows it on a call too.
    importance: 'Urgent',
    answerWindowSeconds: 600,
  },
];

export class DemoEnvironment implements DemoHooks {
  private constructor(readonly simulator: UcwaSimulator) {}

  static async start(port = 0): Promise<DemoEnvironment> {
    return new DemoEnvironment(await new UcwaSimulator({ port }).start());
  }

  /** Every demo user is linked to the Teams user with the same UPN. */
  accounts(): LinkedAccount[] {
    // A phone number lets the demo answer calls too (acceptWithPhoneAudio rings that phone).
    return demoUsers().flatMap((u) => {
      const teamsUser = accountIdOf(u.upn);
      const sip = sipAddressOf(u.sip);
      return teamsUser && sip ? [{ teamsUser, sip, username: u.upn, password: DEMO_PASSWORD, phoneNumber: '+1 425 555 0100' }] : [];
    });
  }

  async sendDemoInvitations(_aadObjectId: AccountId, upn: string | undefined, announce: (count: number) => Promise<void>): Promise<number> {
    const to = upn ?? 'alexw@example.com';
    if (!(await this.accountAvailable(to))) return 0;
    await announce(SCRIPT.length);
    let sent = 0;
    for (const inv of SCRIPT) {
      const res = await fetch(`${this.simulator.origin}/_sim/invitations`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ ...inv, to }),
      });
      const body = (await res.json()) as { deliveredTo?: string[] };
      if (res.status === 201 && (body.deliveredTo?.length ?? 0) > 0) sent++;
    }
    return sent;
  }

  /** Whether the watcher's application for this user is ready to receive invitations. */
  private async accountAvailable(upn: string): Promise<boolean> {
    const res = await fetch(`${this.simulator.origin}/_sim/applications?user=${encodeURIComponent(upn)}`);
    const apps = (await res.json()) as Array<{ madeAvailable?: boolean }>;
    return apps.some((a) => a.madeAvailable === true);
  }

  stop(): Promise<void> {
    return this.simulator.stop();
  }
}
