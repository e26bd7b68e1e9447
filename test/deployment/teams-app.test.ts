// The Teams app package: the manifest template, the icons, and the script that builds the zip.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { buildTeamsApp, fillManifest, manifestValues, parseBuildArgs, UsageError, validateManifest } from '../../deployment/build-teams-app';
import { scanlines } from '../../deployment/lib/png';
import { renderColorIcon, renderOutlineIcon } from '../../deployment/teams-app/make-icons';
import { ROOT } from './helpers';
import { readZip } from './zip-reader';

const APP_DIR = path.join(ROOT, 'deployment', 'teams-app');
const SCRIPT = path.join(ROOT, 'dist', 'deployment', 'build-teams-app.js');
const BOT_ID = '6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

type Obj = Record<string, unknown>;

const template = (): Obj => JSON.parse(readFileSync(path.join(APP_DIR, 'manifest.json'), 'utf8')) as Obj;

/** The chunks of a PNG file, in order. */
function pngChunks(bytes: Buffer): { type: string; data: Buffer }[] {
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  const chunks: { type: string; data: Buffer }[] = [];
  for (let p = 8; p < bytes.length; ) {
    const length = bytes.readUInt32BE(p);
    chunks.push({ type: bytes.toString('ascii', p + 4, p + 8), data: bytes.subarray(p + 8, p + 8 + length) });
    p += 12 + length;
  }
  return chunks;
}

function ihdr(bytes: Buffer): { width: number; height: number; bitDepth: number; colorType: number } {
  const first = pngChunks(bytes)[0];
  assert.equal(first.type, 'IHDR');
  return { width: first.data.readUInt32BE(0), height: first.data.readUInt32BE(4), bitDepth: first.data[8], colorType: first.data[9] };
}

function withTempDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'teams-app-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('Teams app package (deployment/teams-app)', () => {
  describe('manifest template', () => {
    it('uses the current schema (1.19 or later) with a matching manifestVersion', () => {
      const m = template();
      const version = /\/json-schemas\/teams\/v(\d+)\.(\d+)\/MicrosoftTeams\.schema\.json$/.exec(String(m.$schema));
      assert.ok(version, `$schema ${String(m.$schema)}`);
      assert.ok(Number(version[1]) > 1 || Number(version[2]) >= 19, 'schema 1.19 or later');
      assert.equal(m.manifestVersion, `${version[1]}.${version[2]}`);
    });

    it('has the required fields, a personal-scope bot without files, and the four commands with descriptions', () => {
      const m = template();
      for (const key of ['$schema', 'manifestVersion', 'version', 'id', 'developer', 'name', 'description', 'icons', 'accentColor', 'bots', 'validDomains']) {
        assert.ok(key in m, `manifest.${key}`);
      }
      assert.equal(m.id, '${{TEAMS_APP_ID}}');
      const bots = m.bots as Obj[];
      assert.equal(bots.length, 1);
      assert.equal(bots[0].botId, '${{BOT_ID}}');
      assert.deepEqual(bots[0].scopes, ['personal']);
      assert.equal(bots[0].supportsFiles, false);
      const lists = bots[0].commandLists as { scopes: string[]; commands: { title: string; description: string }[] }[];
      assert.equal(lists.length, 1);
      assert.deepEqual(lists[0].scopes, ['personal']);
      assert.deepEqual(
        lists[0].commands.map((c) => c.title),
        ['help', 'status', 'connect', 'disconnect'],
      );
      for (const c of lists[0].commands) assert.ok(c.description.length > 10 && c.description.length <= 128, `description of ${c.title}`);
      assert.ok(!('staticTabs' in m) && !('composeExtensions' in m) && !('configurableTabs' in m), 'the app is a bot only');
    });

    it('validates once filled, and the validator rejects what Teams or this app would not accept', () => {
      const options = parseBuildArgs(['--bot-id', BOT_ID, '--bot-domain', 'sfbinvites-abc.azurewebsites.net'], {}, ROOT);
      const good = fillManifest(template(), manifestValues(options));
      assert.deepEqual(validateManifest(good), []);
      assert.deepEqual(good.validDomains, ['sfbinvites-abc.azurewebsites.net', 'token.botframework.com']);

      const broken = (change: (m: Obj & { bots: Obj[] }) => void): string[] => {
        const m = structuredClone(good) as Obj & { bots: Obj[] };
        change(m);
        return validateManifest(m);
      };
      assert.ok(broken((m) => (m.bots[0].scopes = ['personal', 'team'])).some((p) => p.includes('scopes')));
      assert.ok(broken((m) => (m.bots[0].supportsFiles = true)).some((p) => p.includes('supportsFiles')));
      assert.ok(broken((m) => (m.bots[0].botId = 'not-a-guid')).some((p) => p.includes('botId')));
      assert.ok(broken((m) => ((m.bots[0].commandLists as { commands: unknown[] }[])[0].commands.pop())).some((p) => p.includes('commands')));
      assert.ok(broken((m) => ((m.name as Obj).short = 'x'.repeat(31))).some((p) => p.includes('name.short')));
      assert.ok(broken((m) => ((m.developer as Obj).privacyUrl = 'http://example.com/privacy')).some((p) => p.includes('privacyUrl')));
      assert.ok(broken((m) => (m.$schema = 'https://developer.microsoft.com/json-schemas/teams/v1.16/MicrosoftTeams.schema.json')).some((p) => p.includes('1.19')));
      assert.ok(broken((m) => (m.version = '${{APP_VERSION}}')).some((p) => p.includes('placeholder')));
      assert.throws(() => fillManifest({ x: '${{NOT_KNOWN}}' }, {}), /unknown placeholder/);
    });
  });

  describe('icons', () => {
    it('color.png is a 192x192 and outline.png a 32x32 RGBA PNG', () => {
      assert.deepEqual(ihdr(readFileSync(path.join(APP_DIR, 'color.png'))), { width: 192, height: 192, bitDepth: 8, colorType: 6 });
      assert.deepEqual(ihdr(readFileSync(path.join(APP_DIR, 'outline.png'))), { width: 32, height: 32, bitDepth: 8, colorType: 6 });
    });

    it('the committed icons are exactly what make-icons draws', () => {
      for (const [file, image] of [
        ['color.png', renderColorIcon()],
        ['outline.png', renderOutlineIcon()],
      ] as const) {
        const chunks = pngChunks(readFileSync(path.join(APP_DIR, file)));
        assert.deepEqual(
          chunks.map((c) => c.type).filter((t) => t !== 'IDAT'),
          ['IHDR', 'IEND'],
        );
        const raw = inflateSync(Buffer.concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data)));
        assert.ok(raw.equals(scanlines(image)), `${file} differs from make-icons' drawing; run node dist/deployment/teams-app/make-icons.js`);
      }
    });

    it('the outline icon is white on transparent; the colour icon is opaque in the middle', () => {
      const outline = renderOutlineIcon();
      let visible = 0;
      let transparent = 0;
      for (let i = 0; i < outline.pixels.length; i += 4) {
        if (outline.pixels[i + 3] === 0) transparent++;
        else {
          visible++;
          assert.deepEqual([...outline.pixels.subarray(i, i + 3)], [255, 255, 255], 'every visible outline pixel is white');
        }
      }
      assert.ok(visible > 100 && transparent > 100, `${visible} visible, ${transparent} transparent`);
      const color = renderColorIcon();
      const centre = (96 * 192 + 96) * 4;
      assert.equal(color.pixels[centre + 3], 255);
    });
  });

  describe('build script', () => {
    it('writes a zip whose central directory lists exactly manifest.json, color.png and outline.png, with the bot id filled in', () => {
      withTempDir((dir) => {
        const out = path.join(dir, 'app.zip');
        const options = parseBuildArgs(['--bot-id', BOT_ID.toUpperCase(), '--out', out, '--app-version', '1.2.3'], {}, ROOT);
        const result = buildTeamsApp(options);
        assert.equal(result.zipPath, out);
        const entries = readZip(readFileSync(out));
        assert.deepEqual(
          entries.map((e) => e.name),
          ['manifest.json', 'color.png', 'outline.png'],
        );
        for (const e of entries) assert.equal(e.method, 8, `${e.name} is deflated`);
        const manifest = JSON.parse(entries[0].data.toString('utf8')) as Obj & { bots: Obj[] };
        assert.equal(manifest.id, BOT_ID);
        assert.equal(manifest.bots[0].botId, BOT_ID);
        assert.equal(manifest.version, '1.2.3');
        assert.deepEqual(manifest.validDomains, ['token.botframework.com']);
        assert.ok(!JSON.stringify(manifest).includes('${{'));
        assert.ok(entries[1].data.equals(readFileSync(path.join(APP_DIR, 'color.png'))));
        assert.ok(entries[2].data.equals(readFileSync(path.join(APP_DIR, 'outline.png'))));
        // The same input gives the same bytes (fixed timestamps), so a package only changes when its content does.
        const again = path.join(dir, 'again.zip');
        buildTeamsApp({ ...options, out: again });
        assert.ok(readFileSync(again).equals(readFileSync(out)));
      });
    });

    it('takes BOT_ID from the environment and a separate Teams app id', () => {
      const options = parseBuildArgs(['--app-id', '11111111-2222-4333-8444-555555555555'], { BOT_ID }, ROOT);
      assert.equal(options.botId, BOT_ID);
      assert.equal(options.appId, '11111111-2222-4333-8444-555555555555');
      assert.equal(options.out, path.join(APP_DIR, 'dist', 'sfb-invitations.zip'));
      assert.equal(options.appVersion, (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
    });

    it('refuses a missing or malformed bot id, a bad domain, version or URL', () => {
      assert.throws(() => parseBuildArgs([], {}, ROOT), (e: Error) => e instanceof UsageError && /--bot-id/.test(e.message));
      assert.throws(() => parseBuildArgs(['--bot-id', 'abc'], {}, ROOT), /must be a GUID/);
      assert.throws(() => parseBuildArgs(['--bot-id', BOT_ID, '--bot-domain', 'not a host'], {}, ROOT), /--bot-domain/);
      assert.throws(() => parseBuildArgs(['--bot-id', BOT_ID, '--app-version', '1.0'], {}, ROOT), /--app-version/);
      assert.throws(() => parseBuildArgs(['--bot-id', BOT_ID, '--website-url', 'http://contoso.com'], {}, ROOT), /https/);
      assert.throws(() => parseBuildArgs(['--bot-id', BOT_ID, '--colour', 'red'], {}, ROOT), UsageError);
    });

    it('runs from the command line: exit 0 and the zip, or exit 2 with one clear line', function () {
      if (!existsSync(SCRIPT)) this.skip();
      withTempDir((dir) => {
        const out = path.join(dir, 'cli.zip');
        const ok = spawnSync(process.execPath, [SCRIPT, '--bot-domain', 'sfbinvites-abc.azurewebsites.net', '--out', out, '--website-url', 'https://contoso.com/it/'], {
          env: { PATH: process.env.PATH ?? '', BOT_ID },
          encoding: 'utf8',
        });
        assert.equal(ok.status, 0, ok.stderr);
        assert.match(ok.stdout, /wrote .*cli\.zip/);
        const manifest = JSON.parse(readZip(readFileSync(out))[0].data.toString('utf8')) as Obj;
        assert.deepEqual(manifest.developer, {
          name: 'IT department',
          websiteUrl: 'https://contoso.com/it/',
          privacyUrl: 'https://contoso.com/it/privacy',
          termsOfUseUrl: 'https://contoso.com/it/terms',
        });
        const bad = spawnSync(process.execPath, [SCRIPT, '--bot-id', 'nope', '--out', out], { env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' });
        assert.equal(bad.status, 2);
        assert.match(bad.stderr.split('\n')[0], /^build-teams-app: --bot-id must be a GUID/);
      });
    });
  });
});
