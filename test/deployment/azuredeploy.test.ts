// Checks deployment/azuredeploy.json without Azure: well-formed, every parameter and variable declared and used,
// every resource reference resolvable, and the resources configured the way deployment/README.md says.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { callsIn, expressionsIn, parseExpression, ResourceInstance, TemplateEvaluator } from './arm';
import { appSettings, evaluator, EXAMPLE_PARAMETERS_PATH, exampleParameterValues, FAKE_CLIENT_ID, FAKE_PRINCIPAL_ID, loadTemplate, Obj, SCENARIOS, TEMPLATE_PATH } from './helpers';

const ROLE_STORAGE_BLOB_DATA_CONTRIBUTOR = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe';
const ROLE_KEY_VAULT_SECRETS_USER = '4633458b-17de-408a-b874-0445c86b69e6';
/** Resources the template refers to but does not create: Azure's built-in role definitions. */
const EXISTING_RESOURCES: Record<string, string> = {
  [`Microsoft.Authorization/roleDefinitions/${ROLE_STORAGE_BLOB_DATA_CONTRIBUTOR}`]: 'built-in role Storage Blob Data Contributor',
  [`Microsoft.Authorization/roleDefinitions/${ROLE_KEY_VAULT_SECRETS_USER}`]: 'built-in role Key Vault Secrets User',
};

const template = loadTemplate();
const allExpressions = () => expressionsIn(template);
const allCalls = () => allExpressions().flatMap((e) => callsIn(e.node).map((c) => ({ ...c, path: e.path })));

function literalArg(call: { name: string; args: ReturnType<typeof parseExpression>[] }, where: string): string {
  const a = call.args[0];
  assert.ok(a && a.kind === 'str', `${call.name}() at ${where} must name its target with a string literal`);
  return a.value;
}

function one(ev: TemplateEvaluator, type: string): { instance: ResourceInstance; body: Obj } {
  const found = ev.instances().filter((r) => r.type === type);
  assert.equal(found.length, 1, `expected exactly one ${type}, found ${found.length}`);
  return { instance: found[0], body: ev.body(found[0]) };
}

function props(body: Obj): Obj {
  return body.properties as Obj;
}

describe('ARM template (deployment/azuredeploy.json)', () => {
  it('is well-formed JSON with the deployment template schema', () => {
    const text = readFileSync(TEMPLATE_PATH, 'utf8');
    assert.doesNotThrow(() => JSON.parse(text));
    assert.equal(template.$schema, 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#');
    assert.match(String(template.contentVersion), /^\d+\.\d+\.\d+\.\d+$/);
    for (const key of Object.keys(template)) {
      assert.ok(['$schema', 'contentVersion', 'metadata', 'parameters', 'variables', 'resources', 'outputs'].includes(key), `unexpected top-level key ${key}`);
    }
  });

  it('parses every expression (string values and property names)', () => {
    const expressions = allExpressions();
    assert.ok(expressions.length > 50, 'the template should be full of expressions');
  });

  it('declares every parameter it uses and uses every parameter it declares', () => {
    const declared = new Set(Object.keys(template.parameters as Obj));
    const used = new Set<string>();
    for (const call of allCalls().filter((c) => c.name === 'parameters')) {
      const name = literalArg(call, call.path);
      assert.ok(declared.has(name), `parameters('${name}') at ${call.path} is not declared`);
      used.add(name);
    }
    for (const name of declared) assert.ok(used.has(name), `parameter ${name} is declared but never used`);
  });

  it('describes every parameter; secret parameters are secure types without real defaults', () => {
    for (const [name, p] of Object.entries(template.parameters as Record<string, Obj>)) {
      const description = (p.metadata as Obj | undefined)?.description;
      assert.ok(typeof description === 'string' && description.length > 20, `parameter ${name} needs a description`);
      assert.ok(['string', 'securestring', 'int', 'bool', 'object', 'secureObject', 'array'].includes(String(p.type)), `parameter ${name}: type ${String(p.type)}`);
      if (/secret|password/i.test(name) && name !== 'skypePasswordSettings') {
        assert.ok(['securestring', 'secureObject'].includes(String(p.type)), `parameter ${name} carries secrets and must be secure`);
        const d = p.defaultValue;
        assert.ok(d === undefined || d === '' || (typeof d === 'object' && d !== null && Object.keys(d).length === 0), `secure parameter ${name} must not have a real default`);
      }
    }
    const params = template.parameters as Record<string, Obj>;
    assert.equal(params.skypeSecrets.type, 'secureObject');
    assert.equal(params.oauthClientSecret.type, 'securestring');
  });

  it('declares every variable it uses and uses every variable it declares', () => {
    const vars = template.variables as Obj;
    const copies = (vars.copy as Obj[]).map((c) => String(c.name));
    const declared = new Set([...Object.keys(vars).filter((k) => k !== 'copy'), ...copies]);
    const used = new Set<string>();
    for (const call of allCalls().filter((c) => c.name === 'variables')) {
      const name = literalArg(call, call.path);
      assert.ok(declared.has(name), `variables('${name}') at ${call.path} is not declared`);
      used.add(name);
    }
    for (const name of declared) assert.ok(used.has(name), `variable ${name} is declared but never used`);
  });

  it('gives every resource a type, a dated API version and a name, and uses only functions the checks know', () => {
    for (const r of template.resources as Obj[]) {
      assert.match(String(r.type), /^[A-Za-z]+\.[A-Za-z]+\/[A-Za-z/]+$/, 'type');
      assert.match(String(r.apiVersion), /^\d{4}-\d{2}-\d{2}(-preview)?$/, `${String(r.type)} apiVersion`);
      assert.ok(typeof r.name === 'string' && r.name.length > 0, `${String(r.type)} name`);
      if (r.copy) assert.ok(!String((r.copy as Obj).name).startsWith('['), 'a copy loop name must be a literal (dependsOn refers to it)');
    }
    // Evaluating everything once proves no function outside the evaluator's list is used.
    const ev = evaluator();
    for (const r of ev.instances()) ev.body(r);
    ev.outputs();
  });

  it('creates every resource the deployment needs', () => {
    const types = new Set((template.resources as Obj[]).map((r) => String(r.type)));
    for (const type of [
      'Microsoft.ManagedIdentity/userAssignedIdentities',
      'Microsoft.Web/serverfarms',
      'Microsoft.Web/sites',
      'Microsoft.BotService/botServices',
      'Microsoft.BotService/botServices/channels',
      'Microsoft.BotService/botServices/connections',
      'Microsoft.Storage/storageAccounts',
      'Microsoft.Storage/storageAccounts/blobServices/containers',
      'Microsoft.Authorization/roleAssignments',
      'Microsoft.OperationalInsights/workspaces',
      'Microsoft.Insights/components',
      'Microsoft.KeyVault/vaults',
      'Microsoft.KeyVault/vaults/secrets',
    ]) {
      assert.ok(types.has(type), `the template must create a ${type}`);
    }
  });

  for (const scenario of SCENARIOS) {
    describe(`references resolve (${scenario.title})`, () => {
      let ev: TemplateEvaluator;
      let instances: ResourceInstance[];
      let bodies: Map<ResourceInstance, Obj>;
      let outputs: Obj;
      before(() => {
        ev = evaluator(scenario.parameters);
        instances = ev.instances();
        bodies = new Map(instances.map((r) => [r, ev.body(r)]));
        outputs = ev.outputs();
      });

      it('gives every resource instance a distinct id', () => {
        const ids = instances.map((r) => r.id.toLowerCase());
        assert.equal(new Set(ids).size, ids.length, `duplicate resource ids: ${ids.join(', ')}`);
      });

      it('resolves every resourceId(), subscriptionResourceId() and extensionResourceId() to a resource the template creates (or a built-in role)', () => {
        assert.ok(ev.idCalls.length > 10);
        for (const call of ev.idCalls) {
          if (call.fn === 'subscriptionResourceId') {
            const key = `${call.type}/${call.names.join('/')}`;
            assert.ok(key in EXISTING_RESOURCES, `${call.fn}(${key}) refers to something the template neither creates nor lists as existing`);
            continue;
          }
          assert.ok(ev.findById(call.id), `${call.fn}(${call.type}, ${call.names.join(', ')}) does not match a resource in the template`);
        }
      });

      it('reads reference() only of resources the template creates, each a dependency of the resource that reads it', () => {
        assert.ok(ev.referenceCalls.length > 0);
        for (const target of ev.referenceCalls) assert.ok(ev.findById(target), `reference(${target})`);
        const closure = (r: ResourceInstance, seen = new Set<ResourceInstance>()): Set<ResourceInstance> => {
          for (const dep of dependencies(r)) {
            if (!seen.has(dep)) {
              seen.add(dep);
              closure(dep, seen);
            }
          }
          return seen;
        };
        for (const r of instances) {
          const local = new TemplateEvaluator(ev.template, ev.parameterValues, ev.options);
          const same = local.instances().find((x) => x.id === r.id)!;
          local.body(same);
          const deps = closure(r);
          for (const target of local.referenceCalls) {
            const dep = ev.findById(target)!;
            assert.ok(dep === r || deps.has(dep), `${r.type} ${r.name} reads reference(${dep.type} ${dep.name}) but does not depend on it`);
          }
        }
      });

      const dependencies = (r: ResourceInstance): ResourceInstance[] => {
        const deps = (bodies.get(r)?.dependsOn ?? []) as string[];
        return deps.flatMap((d) => {
          const loop = instances.filter((x) => x.copyName === d);
          if (loop.length > 0 || (template.resources as Obj[]).some((x) => (x.copy as Obj | undefined)?.name === d)) return loop;
          const target = ev.findById(d);
          assert.ok(target, `${r.type} ${r.name}: dependsOn "${d}" matches neither a resource id nor a copy loop`);
          return [target];
        });
      };

      it('resolves every dependsOn entry to a resource or copy loop of the template, without cycles', () => {
        const visiting = new Set<ResourceInstance>();
        const done = new Set<ResourceInstance>();
        const visit = (r: ResourceInstance) => {
          if (done.has(r)) return;
          assert.ok(!visiting.has(r), `dependency cycle through ${r.type} ${r.name}`);
          visiting.add(r);
          for (const d of dependencies(r)) visit(d);
          visiting.delete(r);
          done.add(r);
        };
        instances.forEach(visit);
      });

      it('makes every child resource depend on its parent and every extension resource on its scope', () => {
        for (const r of instances) {
          const deps = dependencies(r);
          if (r.scope) {
            const scope = ev.findById(ev.scopeId(r.scope));
            assert.ok(scope, `${r.type} ${r.name}: scope ${r.scope} is not a resource of the template`);
            assert.ok(deps.includes(scope), `${r.type} ${r.name} must depend on its scope ${scope.name}`);
          }
          const segments = r.type.split('/');
          if (!r.scope && segments.length > 2) {
            const parentType = segments.slice(0, -1).join('/');
            const parentName = r.name.split('/').slice(0, -1).join('/');
            const parent = instances.find((x) => x.type === parentType && x.name === parentName);
            assert.ok(parent, `${r.type} ${r.name}: parent ${parentType} ${parentName} is not in the template`);
            assert.ok(deps.includes(parent), `${r.type} ${r.name} must depend on its parent`);
          }
        }
      });

      it('produces names Azure accepts', () => {
        const name = (type: string) => instances.find((r) => r.type === type)!.name;
        assert.match(name('Microsoft.Storage/storageAccounts'), /^[a-z0-9]{3,24}$/);
        assert.match(name('Microsoft.KeyVault/vaults'), /^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/);
        assert.match(name('Microsoft.Web/sites'), /^[a-z0-9][a-z0-9-]{0,58}[a-z0-9]$/i);
        assert.match(name('Microsoft.BotService/botServices'), /^[a-zA-Z0-9][a-zA-Z0-9_.-]{1,63}$/);
        assert.match(name('Microsoft.ManagedIdentity/userAssignedIdentities'), /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$/);
        for (const s of instances.filter((r) => r.type === 'Microsoft.KeyVault/vaults/secrets')) {
          assert.match(s.name.split('/')[1], /^[0-9a-zA-Z-]{1,127}$/, `Key Vault secret name ${s.name}`);
        }
      });

      it('outputs the bot endpoint, the identity client id and the web app name', () => {
        const site = instances.find((r) => r.type === 'Microsoft.Web/sites')!;
        assert.equal(outputs.botEndpoint, `https://${site.name}.azurewebsites.net/api/messages`);
        assert.equal(outputs.botIdentityClientId, FAKE_CLIENT_ID);
        assert.equal(outputs.webAppName, site.name);
        for (const [k, o] of Object.entries(template.outputs as Record<string, Obj>)) assert.equal(o.type, 'string', `output ${k}`);
      });
    });
  }

  it('runs one instance (clicks are not yet handed to the owning instance), with ARR affinity off', () => {
    assert.equal((one(evaluator(), 'Microsoft.Web/serverfarms').body.sku as Obj).capacity, 1);
    const template = JSON.parse(readFileSync(TEMPLATE_PATH, 'utf8')) as { parameters: Record<string, { maxValue?: number }> };
    assert.equal(template.parameters.instanceCount.maxValue, 1);
    assert.equal(props(one(evaluator(), 'Microsoft.Web/sites').body).clientAffinityEnabled, false);
  });

  it('web app: Linux on Node 22 LTS, always on, HTTPS only, TLS 1.2, no FTP, health check, startup command, the bot identity', () => {
    const ev = evaluator();
    const identity = one(ev, 'Microsoft.ManagedIdentity/userAssignedIdentities').instance;
    const plan = one(ev, 'Microsoft.Web/serverfarms');
    assert.equal(plan.body.kind, 'linux');
    assert.equal(props(plan.body).reserved, true);
    assert.equal((plan.body.sku as Obj).name, 'B1');
    const { body } = one(ev, 'Microsoft.Web/sites');
    assert.match(String(body.kind), /linux/);
    const p = props(body);
    const site = p.siteConfig as Obj;
    assert.equal(site.linuxFxVersion, 'NODE|22-lts');
    assert.equal(site.alwaysOn, true);
    assert.equal(p.httpsOnly, true);
    assert.equal(site.minTlsVersion, '1.2');
    assert.equal(site.ftpsState, 'Disabled');
    assert.equal(site.healthCheckPath, '/healthz');
    assert.equal(site.appCommandLine, 'node dist/bot/index.js');
    assert.equal(p.serverFarmId, plan.instance.id);
    assert.deepEqual(body.identity, { type: 'UserAssigned', userAssignedIdentities: { [identity.id]: {} } });
    assert.equal(p.keyVaultReferenceIdentity, identity.id);
    const settings = appSettings(ev);
    assert.equal(settings.get('MicrosoftAppType'), 'UserAssignedMSI');
    assert.equal(settings.get('MicrosoftAppId'), FAKE_CLIENT_ID);
    assert.equal(settings.get('MicrosoftAppTenantId'), ev.tenant);
    assert.equal(settings.get('SCM_DO_BUILD_DURING_DEPLOYMENT'), 'true');
    assert.ok(!settings.has('PORT'), 'App Service sets PORT for the Node container itself');
    assert.ok(!settings.has('NODE_ENV'), 'NODE_ENV=production would make the build skip the TypeScript compiler (a devDependency)');
    assert.ok(!settings.has('WEBSITE_NODE_DEFAULT_VERSION'), 'Linux takes the Node version from linuxFxVersion');
  });

  it('sets UCWA_DISCOVERY_URL for a URL and UCWA_DOMAIN for a domain, never both', () => {
    const url = appSettings(evaluator({ skypeDiscovery: ' https://lyncdiscover.contoso.com ' }));
    assert.equal(url.get('UCWA_DISCOVERY_URL'), 'https://lyncdiscover.contoso.com');
    assert.equal(url.get('UCWA_DOMAIN'), '');
    const domain = appSettings(evaluator({ skypeDiscovery: 'contoso.com' }));
    assert.equal(domain.get('UCWA_DISCOVERY_URL'), '');
    assert.equal(domain.get('UCWA_DOMAIN'), 'contoso.com');
  });

  it('Azure Bot: azurebot, UserAssignedMSI with the identity, endpoint on the web app, SKU parameter, Teams channel', () => {
    const ev = evaluator({ botSku: 'S1' });
    const identity = one(ev, 'Microsoft.ManagedIdentity/userAssignedIdentities').instance;
    const site = one(ev, 'Microsoft.Web/sites').instance;
    const bot = one(ev, 'Microsoft.BotService/botServices');
    assert.equal(bot.body.kind, 'azurebot');
    assert.equal(bot.body.location, 'global');
    assert.deepEqual(bot.body.sku, { name: 'S1' });
    const p = props(bot.body);
    assert.equal(p.msaAppType, 'UserAssignedMSI');
    assert.equal(p.msaAppId, FAKE_CLIENT_ID);
    assert.equal(p.msaAppTenantId, ev.tenant);
    assert.equal(p.msaAppMSIResourceId, identity.id);
    assert.equal(p.endpoint, `https://${site.name}.azurewebsites.net/api/messages`);
    assert.deepEqual((template.parameters as Record<string, Obj>).botSku.allowedValues, ['F0', 'S1']);
    const channel = one(ev, 'Microsoft.BotService/botServices/channels');
    assert.equal(channel.instance.name, `${bot.instance.name}/MsTeamsChannel`);
    assert.equal(props(channel.body).channelName, 'MsTeamsChannel');
    assert.equal((props(channel.body).properties as Obj).isEnabled, true);
  });

  it('creates the OAuth connection (Entra ID v2) only when asked, and names it in UCWA_OAUTH_CONNECTION', () => {
    const off = evaluator();
    assert.equal(one(off, 'Microsoft.BotService/botServices/connections').instance.condition, false);
    assert.equal(appSettings(off).get('UCWA_OAUTH_CONNECTION'), '');
    const on = evaluator({ createOAuthConnection: true, oauthClientId: '22222222-3333-4444-8555-666666666666', oauthClientSecret: 'x' });
    const conn = one(on, 'Microsoft.BotService/botServices/connections');
    assert.equal(conn.instance.condition, true);
    assert.equal(props(conn.body).serviceProviderId, '30dd229c-58e3-4a48-bdfd-91ec48eb906c');
    assert.equal(props(conn.body).clientId, '22222222-3333-4444-8555-666666666666');
    assert.deepEqual((props(conn.body).parameters as Obj[]).find((x) => x.key === 'tenantID'), { key: 'tenantID', value: on.tenant });
    assert.equal(appSettings(on).get('UCWA_OAUTH_CONNECTION'), 'SkypeForBusiness');
  });

  it('storage: StorageV2, HTTPS only, TLS 1.2, no public blobs, no shared keys, a private container, Storage Blob Data Contributor for the identity', () => {
    const ev = evaluator();
    const account = one(ev, 'Microsoft.Storage/storageAccounts');
    assert.equal(account.body.kind, 'StorageV2');
    const p = props(account.body);
    assert.equal(p.supportsHttpsTrafficOnly, true);
    assert.equal(p.minimumTlsVersion, 'TLS1_2');
    assert.equal(p.allowBlobPublicAccess, false);
    assert.equal(p.allowSharedKeyAccess, false);
    const container = one(ev, 'Microsoft.Storage/storageAccounts/blobServices/containers');
    assert.equal(props(container.body).publicAccess, 'None');
    assertRoleAssignment(ev, account.instance, ROLE_STORAGE_BLOB_DATA_CONTRIBUTOR);
  });

  it('Key Vault: RBAC authorisation, soft delete, Key Vault Secrets User for the identity', () => {
    const ev = evaluator();
    const vault = one(ev, 'Microsoft.KeyVault/vaults');
    const p = props(vault.body);
    assert.equal(p.enableRbacAuthorization, true);
    assert.equal(p.enableSoftDelete, true);
    assert.equal(p.tenantId, ev.tenant);
    assert.equal(p.enablePurgeProtection, null, 'purge protection is opt-in (it can never be turned off)');
    assert.equal(props(one(evaluator({ keyVaultPurgeProtection: true }), 'Microsoft.KeyVault/vaults').body).enablePurgeProtection, true);
    assertRoleAssignment(ev, vault.instance, ROLE_KEY_VAULT_SECRETS_USER);
  });

  it('creates one secret and one Key Vault reference app setting per Skype password; skypePasswordSettings adds references only', () => {
    const none = evaluator();
    assert.equal(none.instances().filter((r) => r.type === 'Microsoft.KeyVault/vaults/secrets').length, 0);
    assert.ok(![...appSettings(none).values()].some((v) => v.startsWith('@Microsoft.KeyVault')));

    const ev = evaluator({ skypeSecrets: { ALICE_SFB_PASSWORD: 'alice-pw', BOB_SFB_PASSWORD: 'bob-pw' }, skypePasswordSettings: ['CAROL_SFB_PASSWORD', 'ALICE_SFB_PASSWORD'] });
    const vault = one(ev, 'Microsoft.KeyVault/vaults').instance;
    const secrets = ev.instances().filter((r) => r.type === 'Microsoft.KeyVault/vaults/secrets');
    assert.deepEqual(secrets.map((s) => s.name).sort(), [`${vault.name}/ALICE-SFB-PASSWORD`, `${vault.name}/BOB-SFB-PASSWORD`]);
    const values = secrets.map((s) => props(ev.body(s)).value).sort();
    assert.deepEqual(values, ['alice-pw', 'bob-pw']);
    const settings = appSettings(ev);
    for (const [name, secret] of [
      ['ALICE_SFB_PASSWORD', 'ALICE-SFB-PASSWORD'],
      ['BOB_SFB_PASSWORD', 'BOB-SFB-PASSWORD'],
      ['CAROL_SFB_PASSWORD', 'CAROL-SFB-PASSWORD'],
    ]) {
      assert.equal(settings.get(name), `@Microsoft.KeyVault(SecretUri=https://${vault.name}.vault.azure.net/secrets/${secret}/)`);
    }
    // No password value ever lands in an app setting or an output.
    const visible = JSON.stringify([...settings.values(), ev.outputs()]);
    assert.ok(!visible.includes('alice-pw') && !visible.includes('bob-pw'));
  });

  it('Application Insights is workspace-based and its connection string is an app setting', () => {
    const ev = evaluator();
    const workspace = one(ev, 'Microsoft.OperationalInsights/workspaces').instance;
    const appi = one(ev, 'Microsoft.Insights/components');
    assert.equal(props(appi.body).WorkspaceResourceId, workspace.id);
    assert.match(String(appSettings(ev).get('APPLICATIONINSIGHTS_CONNECTION_STRING')), /^InstrumentationKey=/);
    const diag = one(ev, 'Microsoft.Insights/diagnosticSettings');
    assert.equal(props(diag.body).workspaceId, workspace.id);
    assert.ok((props(diag.body).logs as Obj[]).some((l) => l.category === 'AppServiceConsoleLogs'), 'the bot logs JSON lines to stdout: keep the console logs');
  });

  it('example parameters: no secrets, only declared parameters, every required parameter', () => {
    const file = JSON.parse(readFileSync(EXAMPLE_PARAMETERS_PATH, 'utf8')) as Obj;
    assert.equal(file.$schema, 'https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#');
    const declared = template.parameters as Record<string, Obj>;
    const values = exampleParameterValues();
    for (const name of Object.keys(values)) {
      assert.ok(name in declared, `example parameter ${name} is not declared`);
      assert.ok(!['securestring', 'secureObject'].includes(String(declared[name].type)), `the example must not carry the secure parameter ${name}`);
    }
    for (const [name, p] of Object.entries(declared)) {
      if (!('defaultValue' in p)) assert.ok(name in values, `required parameter ${name} is missing from the example`);
      if (p.allowedValues && name in values) assert.ok((p.allowedValues as unknown[]).includes(values[name]), `example value of ${name}`);
    }
  });
});

function assertRoleAssignment(ev: TemplateEvaluator, scope: ResourceInstance, roleGuid: string): void {
  const assignments = ev.instances().filter((r) => r.type === 'Microsoft.Authorization/roleAssignments' && r.scope && ev.scopeId(r.scope) === scope.id);
  assert.equal(assignments.length, 1, `one role assignment on ${scope.name}`);
  const p = props(ev.body(assignments[0]));
  assert.equal(p.roleDefinitionId, `/subscriptions/${ev.sub}/providers/Microsoft.Authorization/roleDefinitions/${roleGuid}`);
  assert.equal(p.principalId, FAKE_PRINCIPAL_ID);
  assert.equal(p.principalType, 'ServicePrincipal');
  assert.match(assignments[0].name, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
}
