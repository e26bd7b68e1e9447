// Shared fixtures for the deployment tests: the template, its example parameters, and the runtime state that
// reference() would return in Azure (fake but well-formed values).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { findRepoRoot } from '../../deployment/lib/paths';
import { TemplateEvaluator } from './arm';

export const ROOT = findRepoRoot(__dirname);
export const TEMPLATE_PATH = path.join(ROOT, 'deployment', 'azuredeploy.json');
export const EXAMPLE_PARAMETERS_PATH = path.join(ROOT, 'deployment', 'azuredeploy.parameters.example.json');

export const FAKE_CLIENT_ID = '6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
export const FAKE_PRINCIPAL_ID = '0f0e0d0c-0b0a-4909-8807-060504030201';
export const FAKE_CONNECTION_STRING = 'InstrumentationKey=11111111-2222-4333-8444-555555555555;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/';

export type Obj = Record<string, unknown>;

export function loadTemplate(): Obj {
  return JSON.parse(readFileSync(TEMPLATE_PATH, 'utf8')) as Obj;
}

export function exampleParameterValues(): Obj {
  const file = JSON.parse(readFileSync(EXAMPLE_PARAMETERS_PATH, 'utf8')) as { parameters: Record<string, { value: unknown }> };
  return Object.fromEntries(Object.entries(file.parameters).map(([k, v]) => [k, v.value]));
}

/** What reference() returns in Azure for the resource types the template reads at deployment time. */
export function fakeRuntime(type: string, name: string): Obj {
  switch (type) {
    case 'Microsoft.ManagedIdentity/userAssignedIdentities':
      return { clientId: FAKE_CLIENT_ID, principalId: FAKE_PRINCIPAL_ID, tenantId: '00000000-0000-0000-0000-00000000bbbb' };
    case 'Microsoft.Web/sites':
      return { defaultHostName: `${name}.azurewebsites.net`, outboundIpAddresses: '20.1.1.1,20.1.1.2', possibleOutboundIpAddresses: '20.1.1.1,20.1.1.2,20.1.1.3' };
    case 'Microsoft.Insights/components':
      return { ConnectionString: FAKE_CONNECTION_STRING, InstrumentationKey: '11111111-2222-4333-8444-555555555555' };
    case 'Microsoft.Storage/storageAccounts':
      return { primaryEndpoints: { blob: `https://${name}.blob.core.windows.net/` } };
    default:
      throw new Error(`the template reads reference() of ${type}; add its runtime state to fakeRuntime if that is intended`);
  }
}

export function evaluator(parameters: Obj = {}): TemplateEvaluator {
  return new TemplateEvaluator(loadTemplate(), { ...exampleParameterValues(), ...parameters }, { runtime: fakeRuntime });
}

/** The web app's evaluated app settings as name -> value. */
export function appSettings(ev: TemplateEvaluator): Map<string, string> {
  const site = ev.instances().find((r) => r.type === 'Microsoft.Web/sites');
  if (!site) throw new Error('the template creates no web app');
  const body = ev.body(site) as { properties: { siteConfig: { appSettings: { name: string; value: string }[] } } };
  const settings = new Map<string, string>();
  for (const s of body.properties.siteConfig.appSettings) {
    if (settings.has(s.name)) throw new Error(`app setting ${s.name} is set twice`);
    settings.set(s.name, s.value);
  }
  return settings;
}

/** Deployment scenarios the checks run under: defaults, passwords from Key Vault, domain discovery with OAuth. */
export const SCENARIOS: { title: string; parameters: Obj }[] = [
  { title: 'example parameters', parameters: {} },
  {
    title: 'two Skype passwords and one existing secret',
    parameters: { skypeSecrets: { ALICE_SFB_PASSWORD: 'alice-pw', BOB_SFB_PASSWORD: 'bob-pw' }, skypePasswordSettings: ['CAROL_SFB_PASSWORD', 'ALICE_SFB_PASSWORD'] },
  },
  {
    title: 'SIP domain discovery, azure auth, OAuth connection and a repository',
    parameters: {
      skypeDiscovery: 'contoso.com',
      ucwaAuth: 'azure',
      createOAuthConnection: true,
      oauthClientId: '22222222-3333-4444-8555-666666666666',
      oauthClientSecret: 'not-a-real-secret',
      repositoryUrl: 'https://github.com/contoso/sfb-invitations',
    },
  },
];
