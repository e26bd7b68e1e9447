import assert from 'node:assert/strict';
import { UcwaSimulator } from '../../src/simulator';
import { MemoryStorage, createRepositories } from '../../src/store';
import { NodeHttpTransport } from '../../src/ucwa/http';
import { PasswordTokenProvider } from '../../src/ucwa/auth';
import { WatcherSupervisor, InvitationChange } from '../../src/watcher';
import { silentLogger } from '../../src/logger';

describe('watcher smoke', () => {
  it('sees an invitation and accepts it', async () => {
    const sim = await new UcwaSimulator({ timeScale: 0.01 }).start();
    const transport = new NodeHttpTransport();
    const repos = createRepositories(new MemoryStorage());
    const sup = new WatcherSupervisor({ transport, repositories: repos, logger: silentLogger, timing: { pgetTimeoutSeconds: 180 } });
    const changes: InvitationChange[] = [];
    let wake: () => void = () => undefined;
    sup.onChange((c) => { changes.push(c); wake(); });
    const waitFor = async (pred: () => boolean) => { while (!pred()) await new Promise<void>((r) => (wake = r)); };
    sup.onStatus(() => wake());
    sup.start({ accountId: 'alexw@example.com', sip: 'sip:alexw@example.com', discovery: { discoveryUrl: sim.discoveryUrl }, tokens: new PasswordTokenProvider(transport, { username: 'alexw@example.com', password: 'demo' }) });
    await waitFor(() => sup.status('alexw@example.com')?.state === 'connected');
    const res = await fetch(`${sim.origin}/_sim/invitations`, { method: 'POST', body: JSON.stringify({ to: 'alexw@example.com', kind: 'onlineMeeting', subject: 'Plan', from: { name: 'Megan', uri: 'sip:meganb@example.com' } }) });
    const { id } = (await res.json()) as { id: string };
    await waitFor(() => changes.some((c) => c.update.event === 'started'));
    const rec = changes.find((c) => c.update.event === 'started')!.record;
    assert.equal(rec.subject, 'Plan');
    const r = await sup.act(rec.id, 'accept');
    assert.equal(r.kind, 'done');
    await waitFor(() => changes.some((c) => c.record.state === 'connected'));
    const simInv = (await (await fetch(`${sim.origin}/_sim/invitations/${id}`)).json()) as { clientAction: string };
    assert.equal(simInv.clientAction, 'accept');
    await sup.stopAll();
    transport.close();
    await sim.stop();
  });
});
