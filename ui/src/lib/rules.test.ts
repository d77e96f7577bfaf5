import { describe, expect, it } from 'vitest';
import type { Status } from './ipc';
import {
  actionsFor,
  foldsRenewed,
  NO_FILTERS,
  grantSummary,
  isWrite,
  hasApiAccess,
  provenanceText,
  bothText,
  countText,
  environmentText,
  isDate,
  typedDate,
  apiSettingsProblem,
  apiStatusLine,
  isLoopback,
  addDays,
  ageClass,
  ageText,
  canCreateToken,
  fieldOfError,
  firstProblem,
  createVaultProblem,
  emailProblem,
  kindLabel,
  kindsOffered,
  scopesOffered,
  daysLeftText,
  errorMessage,
  fileName,
  nameProblem,
  expiryBounds,
  expiryPresets,
  OLD_TOKEN_ENDS,
  secondsUntilDate,
  passphraseStrength,
  tokenFormProblems,
  allowlistEntries,
  isIpOrRange,
  restrictionProblems,
  usesText,
  type TokenForm,
} from './rules';

// 2026-11-22 at 23:30 UTC: late in the day, where local-time arithmetic would slip a day.
const today = new Date(Date.UTC(2026, 10, 22, 23, 30));
const valid: TokenForm = {
  kind: 'personal_access_token',
  ownerId: 1,
  name: 'ci deploy',
  description: '',
  expiresOn: '2026-12-22',
  scopes: ['payables:read'],
  rights: 'read_write',
  applications: ['Internal tools'],
  rateLimit: 30,
  restrictions: { maxUses: null, refill: null, allowedIps: '' },
  switchedOff: false,
  acknowledged: true,
};

const ada = { name: 'Ada', email: 'ada@example.com' };

describe('folding renewed credentials', () => {
  it('folds them unless a status filter or a Health check lists rows by what they are', () => {
    expect(foldsRenewed(NO_FILTERS)).toBe(true);
    expect(foldsRenewed({ ...NO_FILTERS, search: 'sync' })).toBe(true);
    expect(foldsRenewed({ ...NO_FILTERS, statuses: ['superseded'] })).toBe(false);
    expect(foldsRenewed({ ...NO_FILTERS, health: 'never_used' })).toBe(false);
  });
});

describe('a new credential in one sentence', () => {
  const form = {
    kind: 'personal_access_token' as const,
    rights: 'read' as const,
    scopes: ['payables:read'],
    applications: ['Internal tools'],
    expiresOn: '2027-03-07',
  };
  it('says who can do what, for what, until when', () => {
    expect(grantSummary(form, 'Cleo Member')).toBe('Cleo Member can read payables for Internal tools until 2027-03-07.');
    expect(grantSummary({ ...form, rights: 'read_write', scopes: ['payables:read', 'payables:write'] }, null)).toBe(
      'The organization can read and write payables for Internal tools until 2027-03-07.',
    );
    expect(grantSummary({ ...form, scopes: [] }, 'Cleo Member')).toContain('no scope');
  });
  it('tells write permissions by their last part, as the core does', () => {
    expect([isWrite('payables:write'), isWrite('payables:read'), isWrite('write:payables')]).toEqual([true, false, false]);
  });
});

describe('passphrase rules', () => {
  it('refuses fewer than 12 characters', () => {
    expect(createVaultProblem('elevenchars', 'elevenchars', ada)).toMatch(/at least 12/);
    expect(passphraseStrength('elevenchars').score).toBe(0);
  });
  it('counts characters, not UTF-16 units', () => {
    expect(createVaultProblem('ééééééééééé', 'ééééééééééé', ada)).not.toBeNull();
    expect(createVaultProblem('éééééééééééé', 'éééééééééééé', ada)).toBeNull();
  });
  it('requires both entries to match', () => {
    expect(createVaultProblem('long enough pass', 'long enough pasS', ada)).toMatch(/differ/);
    expect(createVaultProblem('long enough pass', 'long enough pass', ada)).toBeNull();
  });
  it('rates longer and more varied passphrases higher', () => {
    expect(passphraseStrength('aaaaaaaaaaaa').label).toBe('Weak');
    expect(passphraseStrength('aaaaaaaaaaaaaaaa').label).toBe('Fair');
    expect(passphraseStrength('Correct-Horse-Battery-42!').label).toBe('Strong');
  });
});

describe('expiry rules', () => {
  it('runs from tomorrow to today + 365 days in UTC', () => {
    expect(expiryBounds(today)).toEqual({ min: '2026-11-23', max: '2027-11-22' });
    expect(addDays(today, 7)).toBe('2026-11-29');
  });
  it('flags dates outside the bounds', () => {
    expect(tokenFormProblems({ ...valid, expiresOn: '2026-11-22' }, today).expiresOn).toMatch(
      /tomorrow/,
    );
    expect(tokenFormProblems({ ...valid, expiresOn: '2027-11-23' }, today).expiresOn).toMatch(
      /365/,
    );
    expect(tokenFormProblems({ ...valid, expiresOn: '2027-11-22' }, today)).toEqual({});
    expect(tokenFormProblems({ ...valid, expiresOn: '' }, today).expiresOn).toBeDefined();
  });
  it('keeps within the vault\'s lifetime policy', () => {
    expect(expiryPresets(30)).toEqual([7, 30]);
    expect(expiryPresets(60)).toEqual([7, 30, 60]);
    expect(expiryPresets()).toEqual([7, 30, 90, 365]);
    expect(expiryBounds(today, 30).max).toBe('2026-12-22');
    expect(tokenFormProblems({ ...valid, expiresOn: '2026-12-23' }, today, 30).expiresOn).toMatch(
      /policy allows at most 30 days/,
    );
    expect(tokenFormProblems({ ...valid, expiresOn: '2026-12-22' }, today, 30)).toEqual({});
    expect(fieldOfError('expiry_beyond_policy')).toBe('expiresOn');
  });
});

describe('renewal end date', () => {
  const now = new Date('2026-11-22T09:00:00Z');
  it('is 00:00 UTC of a date between now and the current expiry', () => {
    expect(secondsUntilDate('2026-11-24', now, '2026-12-22T00:00:00Z')).toEqual({ seconds: 39 * 3600 });
    expect(secondsUntilDate('2026-11-22', now, '2026-12-22T00:00:00Z')).toEqual({ problem: expect.stringMatching(/after today/) });
    expect(secondsUntilDate('2026-12-23', now, '2026-12-22T00:00:00Z')).toEqual({ problem: expect.stringMatching(/expiry/) });
    expect(secondsUntilDate('2026-12', now, '2026-12-22T00:00:00Z')).toEqual({ problem: expect.stringMatching(/YYYY/) });
  });
  it('offers the rotation presets', () => {
    expect(OLD_TOKEN_ENDS.map((choice) => choice.key)).toEqual(['now', '1m', '15m', '1h', '6h', '24h', 'expiry']);
  });
});

describe('new-token form', () => {
  it('is not sent until the box is ticked', () => {
    expect(canCreateToken({ ...valid, acknowledged: false }, today)).toBe(false);
    expect(tokenFormProblems({ ...valid, acknowledged: false }, today)).toEqual({
      acknowledged: expect.stringMatching(/confirm/),
    });
    expect(canCreateToken(valid, today)).toBe(true);
  });
  it('asks for a scope unless the kind takes none', () => {
    expect(tokenFormProblems({ ...valid, scopes: [] }, today).scopes).toMatch(/at least one scope/);
    expect(tokenFormProblems({ ...valid, kind: 'api_client', scopes: [] }, today)).toEqual({});
    expect(tokenFormProblems({ ...valid, kind: 'verifier', scopes: [], applications: [] }, today)).toEqual({});
    expect(fieldOfError('no_scope')).toBe('scopes');
  });
  it('brings the topmost problem into view first', () => {
    const problems = tokenFormProblems({ ...valid, name: '', applications: [], acknowledged: false }, today);
    expect(firstProblem(problems)).toBe('name');
    expect(firstProblem({ acknowledged: 'x', rateLimit: 'y' })).toBe('rateLimit');
    expect(firstProblem({})).toBeUndefined();
  });
  it('puts a core error beside the field it is about', () => {
    expect(fieldOfError('duplicate_name')).toBe('name');
    expect(fieldOfError('scope_not_held')).toBe('scopes');
    expect(fieldOfError('expiry_too_far')).toBe('expiresOn');
    expect(fieldOfError('storage')).toBeUndefined();
  });
  it('needs a name of at most 100 characters', () => {
    expect(canCreateToken({ ...valid, name: '   ' }, today)).toBe(false);
    expect(tokenFormProblems({ ...valid, name: 'x'.repeat(101) }, today).name).toBeDefined();
    expect(tokenFormProblems({ ...valid, name: 'x'.repeat(100) }, today).name).toBeUndefined();
  });
  it('shares the name rule with the renewal form', () => {
    expect(nameProblem('  ')).toMatch(/required/);
    expect(nameProblem('deploy 2')).toBeUndefined();
  });
  it('caps the description at 1000 characters', () => {
    const long = { ...valid, description: 'd'.repeat(1001) };
    expect(tokenFormProblems(long, today).description).toBeDefined();
    expect(canCreateToken(long, today)).toBe(false);
  });
});

describe('inventory display', () => {
  it('offers only delete on a revoked row', () => {
    const row = (status: Status, refusal: string | null = null) => ({ status, refusal });
    expect(actionsFor(row('revoked')).map((a) => a.action)).toEqual(['delete']);
    expect(actionsFor(row('disabled')).map((a) => a.action)).toEqual(['edit', 'renew', 'revoke', 'delete']);
    expect(actionsFor(row('expired')).map((a) => a.action)).toContain('renew');
    expect(actionsFor(row('active')).every((a) => a.refusal === undefined)).toBe(true);
    const why = 'Only the account holder manages the account holder’s credentials';
    expect(actionsFor(row('active', why)).map((a) => a.refusal)).toEqual([why, why, why, why]);
  });
  it('colours age past 182 and 365 days', () => {
    expect(ageClass(182)).toBe('age-ok');
    expect(ageClass(183)).toBe('age-warn');
    expect(ageClass(365)).toBe('age-warn');
    expect(ageClass(366)).toBe('age-old');
  });
  it('words ages', () => {
    expect(ageText(0)).toBe('today');
    expect(ageText(1)).toBe('1 day ago');
    expect(ageText(200)).toBe('200 days ago');
  });
  it('words days left in calendar days, and nothing once revoked', () => {
    expect(daysLeftText(30, 'active')).toBe('in 30 days');
    expect(daysLeftText(1, 'active')).toBe('tomorrow');
    expect(daysLeftText(0, 'expired')).toBe('today');
    expect(daysLeftText(-1, 'expired')).toBe('1 day ago');
    expect(daysLeftText(-3, 'expired')).toBe('3 days ago');
    expect(daysLeftText(29, 'revoked')).toBe('');
  });
  it('names a file by the last part of its path', () => {
    expect(fileName('/home/ada/.local/share/dev.keysmith.app/keysmith.vault')).toBe('keysmith.vault');
    expect(fileName('C:\\Users\\Ada\\AppData\\Roaming\\keysmith.vault')).toBe('keysmith.vault');
    expect(fileName('plain.vault')).toBe('plain.vault');
  });
  it('reads IPC errors', () => {
    expect(errorMessage({ code: 'wrong_passphrase', message: 'Wrong passphrase' })).toBe(
      'Wrong passphrase',
    );
    expect(errorMessage(new Error('boom'))).toBe('boom');
  });
});

describe('the credential model in the form', () => {
  it('needs an owner except for organization tokens', () => {
    expect(tokenFormProblems({ ...valid, ownerId: null }, today).owner).toBeDefined();
    const org = { ...valid, kind: 'organization_token' as const, ownerId: null };
    expect(tokenFormProblems(org, today).owner).toBeUndefined();
  });
  it('needs an application and a rate limit of 1 to 10,000', () => {
    expect(tokenFormProblems({ ...valid, applications: [] }, today).applications).toBeDefined();
    for (const bad of [0, 10_001, 2.5]) {
      expect(tokenFormProblems({ ...valid, rateLimit: bad }, today).rateLimit).toBeDefined();
    }
    expect(tokenFormProblems({ ...valid, rateLimit: 10_000 }, today)).toEqual({});
  });
  it('takes a usage limit of 1 to a billion and an allowlist of addresses and ranges', () => {
    const limited = (maxUses: number | null, allowedIps = '') =>
      tokenFormProblems({ ...valid, restrictions: { maxUses, refill: null, allowedIps } }, today);
    expect(limited(null)).toEqual({});
    expect(limited(1)).toEqual({});
    expect(limited(1_000_000_000)).toEqual({});
    for (const bad of [0, -3, 2.5, 1_000_000_001]) expect(limited(bad).maxUses).toBeDefined();
    expect(limited(5, '10.0.0.0/8\n2001:db8::/32, 203.0.113.7 ')).toEqual({});
    expect(limited(5, '10.0.0.0/33').allowedIps).toContain('10.0.0.0/33');
    const many = Array.from({ length: 65 }, (_, i) => `10.0.${i}.0/24`).join('\n');
    expect(restrictionProblems({ maxUses: null, refill: null, allowedIps: many }).allowedIps).toContain('64');
    expect(fieldOfError('invalid_ip_range')).toBe('allowedIps');
    expect(fieldOfError('invalid_usage_limit')).toBe('maxUses');
  });
  it('reads IPv4 and IPv6 addresses and ranges as the core does', () => {
    for (const good of ['10.0.0.0/8', '0.0.0.0/0', '255.255.255.255', '::1', '2001:db8::/32', '::ffff:10.0.0.1', 'fe80::/10'])
      expect(isIpOrRange(good), good).toBe(true);
    for (const bad of ['10.0.0.256', '10.0.0', '10.0.0.0/33', '2001:db8::/129', 'example.com', '1.2.3.4/8/8', '::g', ''])
      expect(isIpOrRange(bad), bad).toBe(false);
    expect(allowlistEntries(' 10.0.0.1 ,\n\n::1  fe80::/10')).toEqual(['10.0.0.1', '::1', 'fe80::/10']);
  });
  it('says the uses left in words', () => {
    expect(usesText(37, 100, 'daily')).toBe('37 of 100 uses left, refilled daily');
    expect(usesText(0, 1, null)).toBe('0 of 1 use left');
    expect(usesText(1500, 2000, 'monthly')).toBe('1,500 of 2,000 uses left, refilled monthly');
  });
  it('offers the owner\'s permissions, none for an API client, the catalogue for the organization', () => {
    const owner = ['payables:read'];
    const catalogue = ['payables:read', 'users:write'];
    expect(scopesOffered('personal_access_token', owner, catalogue)).toEqual(owner);
    expect(scopesOffered('client_credentials', owner, catalogue)).toEqual(owner);
    expect(scopesOffered('api_client', owner, catalogue)).toEqual([]);
    expect(scopesOffered('organization_token', owner, catalogue)).toEqual(catalogue);
  });
  it('offers organization tokens only behind the flag, labelled deprecated', () => {
    expect(kindsOffered(false, true).map((k) => k.kind)).not.toContain('organization_token');
    expect(kindsOffered(true, true).map((k) => k.kind)).toContain('organization_token');
    expect(kindsOffered(false, false).map((k) => k.kind)).not.toContain('verifier');
    expect(kindsOffered(false, true).map((k) => k.kind)).toContain('verifier');
    expect(scopesOffered('verifier', ['a:read'], ['a:read'])).toEqual([]);
    expect(kindLabel('organization_token')).toMatch(/deprecated/);
  });
  it('checks the account holder\'s name and e-mail when creating the vault', () => {
    expect(emailProblem('ada@example.com')).toBeUndefined();
    for (const bad of ['ada', 'ada@example', '@example.com', 'a da@example.com']) {
      expect(emailProblem(bad)).toBeDefined();
    }
    const pass = 'long enough pass';
    expect(createVaultProblem(pass, pass, { name: ' ', email: 'ada@example.com' })).toMatch(/name/);
    expect(createVaultProblem(pass, pass, { name: 'Ada', email: 'ada' })).toMatch(/e-mail/);
    expect(createVaultProblem(pass, pass, { name: 'Ada', email: 'ada@example.com' })).toBeNull();
  });
  it('checks the local API address and says what the server does', () => {
    expect(apiSettingsProblem('127.0.0.1', 8700)).toBeUndefined();
    expect(apiSettingsProblem('::1', 0)).toBeUndefined();
    expect(apiSettingsProblem('0.0.0.0', 65535)).toBeUndefined();
    for (const bad of ['localhost', '256.1.1.1', '1.2.3', '']) {
      expect(apiSettingsProblem(bad, 8700)).toMatch(/IP address/);
    }
    expect(apiSettingsProblem('127.0.0.1', 70000)).toMatch(/port/);
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('0.0.0.0')).toBe(false);
    expect(isLoopback('192.168.1.10')).toBe(false);
    expect(apiStatusLine({ state: 'stopped' })).toBe('Local API: stopped');
    expect(
      apiStatusLine({ state: 'listening', address: '0.0.0.0:8700', verifier_required: true }),
    ).toBe('Local API: listening on 0.0.0.0:8700 (verifier key required)');
    expect(apiStatusLine({ state: 'port_in_use', address: '127.0.0.1:8700' })).toMatch(/port in use/);
  });
});

describe('dates typed as ISO days', () => {
  it('puts the dashes in as digits are typed, whatever else is typed', () => {
    expect(typedDate('2026')).toBe('2026');
    expect(typedDate('20261')).toBe('2026-1');
    expect(typedDate('2026122')).toBe('2026-12-2');
    expect(typedDate('20261223')).toBe('2026-12-23');
    expect(typedDate('2026/12/23 and more')).toBe('2026-12-23');
  });

  it('accepts only real calendar days', () => {
    expect(isDate('2026-12-23')).toBe(true);
    expect(isDate('2026-02-31')).toBe(false);
    expect(isDate('2026-12-2')).toBe(false);
  });
});

describe('copying and counting', () => {
  it('copies client credentials as labelled lines or environment variables', () => {
    expect(bothText('kc_1', 'ks_cs_2')).toBe('Client ID: kc_1\nClient secret: ks_cs_2\n');
    expect(environmentText('kc_1', 'ks_cs_2')).toBe('KEYSMITH_CLIENT_ID=kc_1\nKEYSMITH_CLIENT_SECRET=ks_cs_2\n');
  });

  it('counts with thousands separators, out of the whole when filtered', () => {
    expect(countText(1204, 1204, false)).toBe('1,204 credentials');
    expect(countText(12, 1204, true)).toBe('12 of 1,204 credentials');
    expect(countText(1, 1, false, ['entry', 'entries'])).toBe('1 entry');
  });
});

describe('blocked permissions and API access', () => {
  const source = (granted_by: string[], blocked_by: string[]) => ({ permission: 'payables:write', granted_by, blocked_by });
  it('says which groups grant and which block a permission', () => {
    expect(provenanceText(source(['Payables'], ['Contractors']))).toBe('granted by Payables, blocked by Contractors');
    expect(provenanceText(source(['Payables', 'Finance'], []))).toBe('granted by Payables, Finance');
    expect(provenanceText(source([], ['Contractors']))).toBe('blocked by Contractors');
  });
  it('has API access only when set and blocked by no group', () => {
    const user = (api_access: boolean, api_access_blocked_by: string[]) =>
      ({ api_access, api_access_blocked_by }) as unknown as Parameters<typeof hasApiAccess>[0];
    expect(hasApiAccess(user(true, []))).toBe(true);
    expect(hasApiAccess(user(true, ['Contractors']))).toBe(false);
    expect(hasApiAccess(user(false, []))).toBe(false);
  });
});
