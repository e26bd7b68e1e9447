// Builds the Teams app package (the zip an administrator uploads to Teams): fills the manifest template
// deployment/teams-app/manifest.json with the bot's id and the organisation's details, checks the result, and writes
// manifest.json, color.png and outline.png at the root of deployment/teams-app/dist/sfb-invitations.zip.
//
//   npm run teams-app -- --bot-id <identity client id> [--bot-domain <app>.azurewebsites.net] [--app-version 1.0.1]
//
// Options can also come from the environment (BOT_ID, TEAMS_APP_ID, BOT_DOMAIN, APP_VERSION, DEVELOPER_NAME,
// WEBSITE_URL, PRIVACY_URL, TERMS_URL, TEAMS_APP_OUT). No dependency beyond Node itself.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { findRepoRoot, teamsAppDir } from './lib/paths';
import { readPngHeader } from './lib/png';
import { createZip } from './lib/zip';

export const PACKAGE_NAME = 'sfb-invitations.zip';
export const REQUIRED_COMMANDS = ['help', 'status', 'connect', 'disconnect'] as const;
export const ICON_SIZES = { color: 192, outline: 32 } as const;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HOST = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const PLACEHOLDER = /\$\{\{([A-Z0-9_]+)\}\}/g;

const USAGE = `usage: npm run teams-app -- --bot-id GUID [options]
  --bot-id          the bot's Microsoft App ID: the client id of the bot's managed identity (output botIdentityClientId
                    of the ARM deployment). Or set BOT_ID.
  --app-id          the Teams app id (a GUID); defaults to the bot id. Keep it stable across versions.
  --bot-domain      the web app's host name (output webAppHostName), added to validDomains.
  --app-version     the package version (x.y.z); raise it for every upload of a changed package. Default: package.json.
  --developer-name  --website-url  --privacy-url  --terms-url
                    the publisher shown in Teams (your organisation); the URLs must be https.
  --out             where to write the zip (default deployment/teams-app/dist/${PACKAGE_NAME}).`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface BuildOptions {
  botId: string;
  appId: string;
  botDomain?: string;
  appVersion: string;
  developerName: string;
  websiteUrl: string;
  privacyUrl: string;
  termsUrl: string;
  out: string;
  /** The folder holding manifest.json, color.png and outline.png. */
  sourceDir: string;
  /** True when the developer URLs are the example.com placeholders. */
  placeholderDeveloper: boolean;
}

function httpsUrl(option: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${option} is not a URL: ${value}`);
  }
  if (url.protocol !== 'https:') throw new UsageError(`${option} must be an https URL`);
  return value;
}

export function parseBuildArgs(argv: string[], env: NodeJS.ProcessEnv, root: string = findRepoRoot()): BuildOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'bot-id': { type: 'string' },
        'app-id': { type: 'string' },
        'bot-domain': { type: 'string' },
        'app-version': { type: 'string' },
        'developer-name': { type: 'string' },
        'website-url': { type: 'string' },
        'privacy-url': { type: 'string' },
        'terms-url': { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) throw new UsageError('');
  const pick = (option: string, variable: string): string | undefined => {
    const v = (values[option as keyof typeof values] as string | undefined) ?? env[variable];
    return v?.trim() ? v.trim() : undefined;
  };

  const botId = pick('bot-id', 'BOT_ID');
  if (!botId) throw new UsageError('--bot-id (or BOT_ID) is required: the client id of the bot identity (deployment output botIdentityClientId)');
  if (!GUID.test(botId)) throw new UsageError(`--bot-id must be a GUID, got "${botId.slice(0, 40)}"`);
  const appId = pick('app-id', 'TEAMS_APP_ID') ?? botId;
  if (!GUID.test(appId)) throw new UsageError(`--app-id must be a GUID, got "${appId.slice(0, 40)}"`);
  let botDomain = pick('bot-domain', 'BOT_DOMAIN');
  if (botDomain) {
    botDomain = botDomain.replace(/^https:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
    if (!HOST.test(botDomain)) throw new UsageError(`--bot-domain must be a host name such as sfbinvites-abc.azurewebsites.net, got "${botDomain.slice(0, 80)}"`);
  }
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: string };
  const appVersion = pick('app-version', 'APP_VERSION') ?? pkg.version ?? '1.0.0';
  if (!SEMVER.test(appVersion)) throw new UsageError(`--app-version must look like 1.2.3, got "${appVersion.slice(0, 40)}"`);

  const websiteRaw = pick('website-url', 'WEBSITE_URL');
  const placeholderDeveloper = !websiteRaw;
  const websiteUrl = httpsUrl('--website-url', websiteRaw ?? 'https://example.com/');
  const privacyUrl = httpsUrl('--privacy-url', pick('privacy-url', 'PRIVACY_URL') ?? new URL('privacy', websiteUrl).toString());
  const termsUrl = httpsUrl('--terms-url', pick('terms-url', 'TERMS_URL') ?? new URL('terms', websiteUrl).toString());
  const developerName = pick('developer-name', 'DEVELOPER_NAME') ?? 'IT department';
  if (developerName.length > 32) throw new UsageError('--developer-name must be at most 32 characters');

  const out = path.resolve(pick('out', 'TEAMS_APP_OUT') ?? path.join(teamsAppDir(root), 'dist', PACKAGE_NAME));
  return { botId, appId, botDomain, appVersion, developerName, websiteUrl, privacyUrl, termsUrl, out, sourceDir: teamsAppDir(root), placeholderDeveloper };
}

/** Replaces every `${{NAME}}` in the template's string values; an unknown name is an error. Empty validDomains go. */
export function fillManifest(template: unknown, values: Record<string, string | undefined>): Record<string, unknown> {
  const fill = (node: unknown): unknown => {
    if (typeof node === 'string') {
      return node.replace(PLACEHOLDER, (_m, name: string) => {
        if (!(name in values)) throw new Error(`manifest template: unknown placeholder \${{${name}}}`);
        return values[name] ?? '';
      });
    }
    if (Array.isArray(node)) return node.map(fill);
    if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, fill(v)]));
    return node;
  };
  const manifest = fill(template) as Record<string, unknown>;
  if (Array.isArray(manifest.validDomains)) manifest.validDomains = manifest.validDomains.filter((d) => d !== '');
  return manifest;
}

export function manifestValues(options: BuildOptions): Record<string, string | undefined> {
  return {
    BOT_ID: options.botId.toLowerCase(),
    TEAMS_APP_ID: options.appId.toLowerCase(),
    BOT_DOMAIN: options.botDomain,
    APP_VERSION: options.appVersion,
    DEVELOPER_NAME: options.developerName,
    WEBSITE_URL: options.websiteUrl,
    PRIVACY_URL: options.privacyUrl,
    TERMS_URL: options.termsUrl,
  };
}

function str(obj: unknown, key: string): string | undefined {
  const v = obj && typeof obj === 'object' ? (obj as Record<string, unknown>)[key] : undefined;
  return typeof v === 'string' ? v : undefined;
}

/**
 * Checks a filled manifest against the rules of the Teams app manifest schema that matter for this app (required
 * fields, lengths, formats) and against this app's own shape (one bot, personal scope only, no files, the four
 * commands). Returns the problems found; an empty list means the manifest is good.
 */
export function validateManifest(m: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const need = (cond: boolean, problem: string) => {
    if (!cond) problems.push(problem);
  };
  const schema = str(m, '$schema') ?? '';
  const schemaVersion = /\/teams\/v(\d+\.\d+)\/MicrosoftTeams\.schema\.json$/.exec(schema)?.[1];
  need(!!schemaVersion, '$schema must be https://developer.microsoft.com/json-schemas/teams/v1.x/MicrosoftTeams.schema.json');
  need(str(m, 'manifestVersion') === schemaVersion, 'manifestVersion must match the version in $schema');
  if (schemaVersion) {
    const [major, minor] = schemaVersion.split('.').map(Number);
    need(major > 1 || minor >= 19, 'the manifest schema must be 1.19 or later');
  }
  need(SEMVER.test(str(m, 'version') ?? ''), 'version must look like 1.2.3');
  need(GUID.test(str(m, 'id') ?? ''), 'id must be a GUID');

  const developer = m.developer as Record<string, unknown> | undefined;
  const devName = str(developer, 'name') ?? '';
  need(devName.length > 0 && devName.length <= 32, 'developer.name is required (at most 32 characters)');
  for (const key of ['websiteUrl', 'privacyUrl', 'termsOfUseUrl']) {
    need(/^https:\/\/\S+$/.test(str(developer, key) ?? ''), `developer.${key} must be an https URL`);
  }
  const name = m.name as Record<string, unknown> | undefined;
  const shortName = str(name, 'short') ?? '';
  need(shortName.length > 0 && shortName.length <= 30, 'name.short is required (at most 30 characters)');
  need((str(name, 'full') ?? '').length <= 100, 'name.full must be at most 100 characters');
  const description = m.description as Record<string, unknown> | undefined;
  const shortDesc = str(description, 'short') ?? '';
  const fullDesc = str(description, 'full') ?? '';
  need(shortDesc.length > 0 && shortDesc.length <= 80, 'description.short is required (at most 80 characters)');
  need(fullDesc.length > 0 && fullDesc.length <= 4000, 'description.full is required (at most 4000 characters)');
  const icons = m.icons as Record<string, unknown> | undefined;
  need(str(icons, 'color') === 'color.png' && str(icons, 'outline') === 'outline.png', 'icons must be color.png and outline.png');
  need(/^#[0-9a-f]{6}$/i.test(str(m, 'accentColor') ?? ''), 'accentColor must be #RRGGBB');

  const bots = Array.isArray(m.bots) ? (m.bots as Record<string, unknown>[]) : [];
  need(bots.length === 1, 'there must be exactly one bot');
  const bot = bots[0] ?? {};
  need(GUID.test(str(bot, 'botId') ?? ''), 'bots[0].botId must be a GUID');
  need(JSON.stringify(bot.scopes) === '["personal"]', 'bots[0].scopes must be ["personal"] only');
  need(bot.supportsFiles === false, 'bots[0].supportsFiles must be false');
  need(bot.isNotificationOnly !== true, 'bots[0].isNotificationOnly must not be true (the bot takes commands)');
  const lists = Array.isArray(bot.commandLists) ? (bot.commandLists as Record<string, unknown>[]) : [];
  need(lists.length === 1 && JSON.stringify(lists[0]?.scopes) === '["personal"]', 'bots[0].commandLists must hold one list for the personal scope');
  const commands = Array.isArray(lists[0]?.commands) ? (lists[0].commands as Record<string, unknown>[]) : [];
  need(commands.length <= 10, 'a command list holds at most 10 commands');
  const titles = commands.map((c) => str(c, 'title') ?? '');
  need(JSON.stringify([...titles].sort()) === JSON.stringify([...REQUIRED_COMMANDS].sort()), `the commands must be ${REQUIRED_COMMANDS.join(', ')}`);
  for (const c of commands) {
    const title = str(c, 'title') ?? '';
    const desc = str(c, 'description') ?? '';
    need(title.length > 0 && title.length <= 32, `command "${title}": title must be 1-32 characters`);
    need(desc.length > 0 && desc.length <= 128, `command "${title}": description must be 1-128 characters`);
  }
  const domains = Array.isArray(m.validDomains) ? m.validDomains : [];
  for (const d of domains) need(typeof d === 'string' && HOST.test(d), `validDomains: "${String(d)}" is not a host name`);
  need(!JSON.stringify(m).includes('${{'), 'a ${{...}} placeholder was left unfilled');
  return problems;
}

/** Checks that the icons are PNGs of the sizes Teams requires; returns the problems found. */
export function validateIcons(color: Uint8Array, outline: Uint8Array): string[] {
  const problems: string[] = [];
  for (const [label, bytes, size] of [
    ['color.png', color, ICON_SIZES.color],
    ['outline.png', outline, ICON_SIZES.outline],
  ] as const) {
    try {
      const h = readPngHeader(bytes);
      if (h.width !== size || h.height !== size) problems.push(`${label} must be ${size}x${size}, is ${h.width}x${h.height}`);
    } catch (err) {
      problems.push(`${label}: ${(err as Error).message}`);
    }
  }
  return problems;
}

export interface BuildResult {
  zipPath: string;
  manifest: Record<string, unknown>;
}

export function buildTeamsApp(options: BuildOptions): BuildResult {
  const template = JSON.parse(readFileSync(path.join(options.sourceDir, 'manifest.json'), 'utf8')) as unknown;
  const manifest = fillManifest(template, manifestValues(options));
  const color = readFileSync(path.join(options.sourceDir, 'color.png'));
  const outline = readFileSync(path.join(options.sourceDir, 'outline.png'));
  const problems = [...validateManifest(manifest), ...validateIcons(color, outline)];
  if (problems.length > 0) throw new Error(`the Teams app package is not valid:\n  - ${problems.join('\n  - ')}`);
  const zip = createZip([
    { name: 'manifest.json', data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8') },
    { name: 'color.png', data: color },
    { name: 'outline.png', data: outline },
  ]);
  mkdirSync(path.dirname(options.out), { recursive: true });
  writeFileSync(options.out, zip);
  return { zipPath: options.out, manifest };
}

export function main(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): number {
  let options: BuildOptions;
  try {
    options = parseBuildArgs(argv, env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(err.message ? `build-teams-app: ${err.message}\n${USAGE}\n` : `${USAGE}\n`);
    return err.message ? 2 : 0;
  }
  try {
    const result = buildTeamsApp(options);
    if (options.placeholderDeveloper) {
      process.stderr.write('build-teams-app: note: the developer URLs are example.com placeholders; pass --website-url (and --privacy-url, --terms-url) for your organisation\n');
    }
    process.stdout.write(`wrote ${result.zipPath} (app id ${options.appId}, bot id ${options.botId}, version ${options.appVersion})\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`build-teams-app: ${(err as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) process.exitCode = main();
