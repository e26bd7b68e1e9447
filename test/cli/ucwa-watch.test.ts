// ucwa-watch, the administrator's probe, as a real process against the simulator: JSON lines for the session, the
// invitation and the action; one clear line and a non-zero exit on bad arguments or a refused sign-in.
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { UcwaSimulator } from '../../src/simulator';
import { eventually } from '../support/ports';

const CLI = path.resolve(__dirname, '../../src/cli/ucwa-watch.js');

interface Run {
  child: ChildProcess;
  lines(): Array<Record<string, unknown>>;
  stderr(): string;
  exit: Promise<number | null>;
}

function run(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    lines: () => out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
    stderr: () => err,
    exit,
  };
}

describe('ucwa-watch (the probe) against the simulator', function () {
  this.timeout(30_000);
  let sim: UcwaSimulator;
  const base = () => ['--discovery', sim.discoveryUrl, '--sip', 'sip:alexw@example.com', '--username', 'alexw@example.com', '--password-env', 'SFB_PW'];

  before(async () => {
    sim = await new UcwaSimulator({ timeScale: 0.01 }).start();
  });
  after(async () => sim.stop());

  /** Signed in, and its event channel waiting at the pool: an invitation sent now is delivered at once. */
  async function connected(p: Run): Promise<void> {
    await eventually('connected', () => (p.lines().some((l) => l.type === 'session' && l.state === 'connected') ? true : undefined));
    await eventually('the event channel to be parked', async () => {
      const apps = (await (await fetch(`${sim.origin}/_sim/applications?user=alexw@example.com`)).json()) as Array<{ madeAvailable: boolean; parked: boolean }>;
      return apps.some((a) => a.madeAvailable && a.parked) ? true : undefined;
    });
  }

  for (const xml of [false, true]) {
    it(`signs in, prints the invitation and accepts it with --accept${xml ? ' (XML)' : ''}`, async () => {
      const p = run([...base(), '--accept', ...(xml ? ['--xml'] : [])], { SFB_PW: 'demo' });
      try {
        await connected(p);
        const res = await fetch(`${sim.origin}/_sim/invitations`, {
          method: 'POST',
          body: JSON.stringify({ to: 'alexw@example.com', kind: 'messaging', subject: 'Probe check', importance: 'Urgent', from: { name: 'Megan Bowen', uri: 'sip:meganb@example.com' }, answerWindowSeconds: 10000 }),
        });
        const { id } = (await res.json()) as { id: string };
        const started = await eventually('the started line', () => p.lines().find((l) => l.type === 'invitation' && l.event === 'started'));
        assert.equal(started.kind, 'messaging');
        assert.equal(started.subject, 'Probe check');
        assert.equal(started.importance, 'Urgent');
        assert.deepEqual(started.from, { name: 'Megan Bowen', uri: 'sip:meganb@example.com' });
        assert.equal(started.state, 'pending');
        const action = await eventually('the action line', () => p.lines().find((l) => l.type === 'action'));
        assert.equal(action.action, 'accept');
        assert.equal(action.ok, true);
        const done = await eventually('the completed line', () => p.lines().find((l) => l.type === 'invitation' && l.event === 'completed'));
        assert.equal(done.outcome, 'connected');
        assert.equal(done.state, 'connected');
        const simState = (await (await fetch(`${sim.origin}/_sim/invitations/${id}`)).json()) as { clientAction: string };
        assert.equal(simState.clientAction, 'accept');
      } finally {
        p.child.kill('SIGINT');
      }
      assert.equal(await p.exit, 0);
      assert.doesNotMatch(p.stderr(), /cwt=/);
    });
  }

  const invite = async (spec: Record<string, unknown>): Promise<string> => {
    const res = await fetch(`${sim.origin}/_sim/invitations`, {
      method: 'POST',
      body: JSON.stringify({ to: 'alexw@example.com', from: { name: 'Megan Bowen', uri: 'sip:meganb@example.com' }, answerWindowSeconds: 10000, ...spec }),
    });
    return ((await res.json()) as { id: string }).id;
  };
  const simInvitation = async (id: string) => (await (await fetch(`${sim.origin}/_sim/invitations/${id}`)).json()) as { clientAction: string; declineReason?: string };

  it('prints each later message of an accepted IM as a message line, not the first message again', async () => {
    const p = run([...base(), '--accept'], { SFB_PW: 'demo' });
    try {
      await connected(p);
      const id = await invite({ kind: 'messaging', subject: 'Numbers', message: 'Hi Alex' });
      await eventually('the completed line', () => p.lines().find((l) => l.type === 'invitation' && l.event === 'completed'));
      const said = await fetch(`${sim.origin}/_sim/invitations/${id}/messages`, { method: 'POST', body: JSON.stringify({ text: 'can you send me the numbers?' }) });
      assert.equal(said.status, 200);
      const line = await eventually('the message line', () => p.lines().find((l) => l.type === 'message'));
      assert.equal(line.text, 'can you send me the numbers?');
      assert.equal(line.from, 'Megan Bowen');
      assert.equal(p.lines().filter((l) => l.type === 'message').length, 1, 'the first message is not printed again');
    } finally {
      p.child.kill('SIGINT');
    }
    assert.equal(await p.exit, 0);
  });

  it('--reply TEXT: accepts the IM, sends the text, leaves', async () => {
    const p = run([...base(), '--reply', 'In a meeting, call you back'], { SFB_PW: 'demo' });
    try {
      await connected(p);
      const id = await invite({ kind: 'messaging', subject: 'Quick one' });
      const leave = await eventually('the leave line', () => p.lines().find((l) => l.type === 'action' && l.action === 'leave'));
      assert.equal(leave.ok, true);
      assert.equal(p.lines().find((l) => l.type === 'action' && l.action === 'reply')?.ok, true);
      const transcript = (await (await fetch(`${sim.origin}/_sim/invitations/${id}/messages`)).json()) as Array<{ by: string; text: string }>;
      assert.deepEqual(transcript.filter((t) => t.by === 'client').map((t) => t.text), ['In a meeting, call you back']);
      assert.equal((await simInvitation(id) as unknown as { state: string }).state, 'ended');
    } finally {
      p.child.kill('SIGINT');
    }
    assert.equal(await p.exit, 0);
  });

  it('--decline: declines with reason Local; prints the action and the completed line with outcome declined', async () => {
    const p = run([...base(), '--decline'], { SFB_PW: 'demo' });
    try {
      await connected(p);
      const id = await invite({ kind: 'messaging', subject: 'Decline me' });
      const action = await eventually('the action line', () => p.lines().find((l) => l.type === 'action'));
      assert.equal(action.action, 'decline');
      assert.equal(action.ok, true);
      // Why the record is in its state (the state machine's reason), not the pool's words.
      assert.equal(action.reason, 'clicked');
      const done = await eventually('the completed line', () => p.lines().find((l) => l.type === 'invitation' && l.event === 'completed'));
      assert.equal(done.outcome, 'declined');
      assert.equal(done.state, 'declined');
      const s = await simInvitation(id);
      assert.equal(s.clientAction, 'decline');
      assert.equal(s.declineReason, 'Local');
    } finally {
      p.child.kill('SIGINT');
    }
    assert.equal(await p.exit, 0);
  });

  it('a meeting with a lobby: started, then an updated line while waiting (inLobby), then completed connected after admit', async () => {
    const p = run([...base(), '--accept'], { SFB_PW: 'demo' });
    try {
      await connected(p);
      const id = await invite({ kind: 'onlineMeeting', subject: 'Lobby check', lobby: true });
      const waiting = await eventually('the lobby line', () => p.lines().find((l) => l.type === 'invitation' && l.state === 'inLobby'));
      assert.equal(waiting.event, 'updated', 'only started, updated and completed are printed');
      await fetch(`${sim.origin}/_sim/invitations/${id}/admit`, { method: 'POST' });
      const done = await eventually('the completed line', () => p.lines().find((l) => l.type === 'invitation' && l.event === 'completed'));
      assert.equal(done.outcome, 'connected');
      const events = p.lines().filter((l) => l.type === 'invitation').map((l) => l.event);
      assert.deepEqual([...new Set(events)].sort(), ['completed', 'started', 'updated']);
    } finally {
      p.child.kill('SIGINT');
    }
    assert.equal(await p.exit, 0);
  });

  it('a refused sign-in exits 1 with one clear line and no password', async () => {
    const p = run(base(), { SFB_PW: 'Wrong-Pa55word' });
    assert.equal(await p.exit, 1);
    const errLines = p.stderr().trim().split('\n');
    assert.equal(errLines.length, 1, p.stderr());
    assert.match(errLines[0], /sign-in failed.*invalid_grant/);
    assert.ok(!p.stderr().includes('Wrong-Pa55word'));
    assert.ok(p.lines().some((l) => l.type === 'session' && l.state === 'authFailed'));
  });

  const bad: Array<[string, string[], Record<string, string>, RegExp]> = [
    ['no discovery', ['--sip', 'sip:a@b.c', '--username', 'a', '--password-env', 'X'], { X: 'y' }, /--discovery and --domain/],
    ['a bad SIP address', ['--discovery', 'https://lyncdiscover.example.com', '--sip', 'alice', '--username', 'a', '--password-env', 'X'], { X: 'y' }, /--sip/],
    ['an unset password variable', ['--discovery', 'https://lyncdiscover.example.com', '--sip', 'sip:a@b.c', '--username', 'a', '--password-env', 'NOPE'], {}, /NOPE/],
    ['--accept with --decline', ['--discovery', 'https://lyncdiscover.example.com', '--sip', 'sip:a@b.c', '--username', 'a', '--password-env', 'X', '--accept', '--decline'], { X: 'y' }, /exclude/],
    ['an unknown option', ['--frobnicate'], {}, /frobnicate/],
  ];
  it('--help prints the usage and exits 0', async () => {
    const p = run(['--help']);
    assert.equal(await p.exit, 0);
    assert.match(p.stderr(), /usage: ucwa-watch/);
  });

  for (const [what, args, env, message] of bad) {
    it(`exits 2 with one clear line for ${what}`, async () => {
      const p = run(args, env);
      assert.equal(await p.exit, 2);
      const errLines = p.stderr().trim().split('\n');
      assert.equal(errLines.length, 1, p.stderr());
      assert.match(errLines[0], message);
      assert.match(errLines[0], /^ucwa-watch: /);
      assert.equal(p.lines().length, 0);
    });
  }
});
