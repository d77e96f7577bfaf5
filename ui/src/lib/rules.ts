// Form rules the UI shows before asking the core. The core enforces every one of them again;
// these only give early, friendly feedback. The limits are the core's own (LIMITS, generated).
import {
  EXPIRING_SOON_DAYS,
  isIpcError,
  LIMITS,
  type ApiStatus,
  type Code,
  type CredentialQuery,
  type CredentialRow,
  type Refill,
  type Rights,
  type Status,
  type TokenKind,
  type PermissionSource,
  type User,
} from './ipc';

export const MIN_PASSPHRASE_CHARS = LIMITS.passphrase_min_chars;
export const MAX_EXPIRY_DAYS = LIMITS.expiry_max_days;
export const NAME_MAX_CHARS = LIMITS.name_max_chars;
export const DESCRIPTION_MAX_CHARS = LIMITS.description_max_chars;
/** Expiry quick picks, in days: the last is the longest allowed. */
export const EXPIRY_PRESETS = [7, 30, 90, MAX_EXPIRY_DAYS] as const;
export const RATE_LIMIT = {
  min: LIMITS.rate_limit_min,
  max: LIMITS.rate_limit_max,
  default: LIMITS.rate_limit_default,
} as const;

/** The most uses a usage limit allows, and the most entries of an allowlist. */
export const MAX_USES = LIMITS.max_uses_max;
export const ALLOWED_IPS_MAX = LIMITS.allowed_ips_max;

/** A usage limit and an allowlist as the forms hold them. */
export interface RestrictionsForm {
  /** Null: unlimited. */
  maxUses: number | null;
  /** Null: never refilled. */
  refill: Refill | null;
  /** Addresses and CIDR ranges, one a line (commas and spaces also separate). */
  allowedIps: string;
}

/** The allowlist's entries as typed: one a line, or between commas or spaces. */
export function allowlistEntries(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}

/** Whether `entry` is an IPv4 or IPv6 address, alone or with a /prefix. */
export function isIpOrRange(entry: string): boolean {
  const [address, prefix, extra] = entry.split('/');
  if (extra !== undefined || address === undefined) return false;
  const bits = address.includes(':') ? 128 : 32;
  if (prefix !== undefined && !(/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits)) return false;
  if (bits === 32)
    return /^(\d{1,3})(\.\d{1,3}){3}$/.test(address) && address.split('.').every((octet) => Number(octet) <= 255);
  // The URL parser knows IPv6 to the letter.
  try {
    return new URL(`http://[${address}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

/** What is wrong with a usage limit and an allowlist, per field. */
export function restrictionProblems(form: RestrictionsForm): { maxUses?: string; allowedIps?: string } {
  const problems: { maxUses?: string; allowedIps?: string } = {};
  if (form.maxUses !== null && !(Number.isInteger(form.maxUses) && form.maxUses >= 1 && form.maxUses <= MAX_USES))
    problems.maxUses = `A whole number of uses from 1 to ${MAX_USES.toLocaleString('en')}, or empty for unlimited.`;
  const entries = allowlistEntries(form.allowedIps);
  const bad = entries.find((entry) => !isIpOrRange(entry));
  if (bad !== undefined) problems.allowedIps = `"${bad}" is not an IP address or a CIDR range (e.g. 10.0.0.0/8).`;
  else if (entries.length > ALLOWED_IPS_MAX) problems.allowedIps = `At most ${ALLOWED_IPS_MAX} addresses or ranges.`;
  return problems;
}

/** A usage limit in words: "37 of 100 uses left, refilled daily". */
export function usesText(left: number, max: number, refill: Refill | null): string {
  const counted = `${left.toLocaleString('en')} of ${max.toLocaleString('en')} use${max === 1 ? '' : 's'} left`;
  return refill ? `${counted}, refilled ${refill}` : counted;
}

/** How each kind is named, and whether it is deprecated. */
export const KINDS: { kind: TokenKind; label: string; short: string; deprecated: boolean }[] = [
  { kind: 'personal_access_token', label: 'Personal access token', short: 'Personal', deprecated: false },
  { kind: 'api_client', label: 'API client', short: 'API client', deprecated: false },
  { kind: 'client_credentials', label: 'Client credentials', short: 'Client creds', deprecated: false },
  { kind: 'organization_token', label: 'Organization token', short: 'Org', deprecated: true },
  { kind: 'verifier', label: 'Verifier key (local API)', short: 'Verifier', deprecated: false },
];

/** A kind's name in a table column, where room is short (the full label is its title). */
export function shortKindLabel(kind: TokenKind): string {
  const found = KINDS.find((k) => k.kind === kind);
  if (!found) return kind;
  return found.deprecated ? `${found.short} (deprecated)` : found.short;
}

/** Whether a kind must grant at least one scope (the core's `TokenKind::needs_scopes`). */
export function needsScopes(kind: TokenKind): boolean {
  return kind === 'personal_access_token' || kind === 'client_credentials' || kind === 'organization_token';
}

/** The label of a kind, marked when deprecated. */
export function kindLabel(kind: TokenKind): string {
  const found = KINDS.find((k) => k.kind === kind);
  if (!found) return kind;
  return found.deprecated ? `${found.label} (deprecated)` : found.label;
}

/**
 * The kinds the form offers: organization tokens only while the feature flag is on, verifier
 * keys only to the account holder and admins.
 */
export function kindsOffered(organizationTokens: boolean, admin: boolean): typeof KINDS {
  return KINDS.filter(
    (k) =>
      (organizationTokens || k.kind !== 'organization_token') && (admin || k.kind !== 'verifier'),
  );
}

/** Whether `user` may hold credentials now: API access set on them and blocked by no group. */
export function hasApiAccess(user: User): boolean {
  return user.api_access && user.api_access_blocked_by.length === 0;
}

/** Where a permission of a user's comes from, e.g. "granted by Payables, blocked by Contractors". */
export function provenanceText(source: PermissionSource): string {
  const parts = [];
  if (source.granted_by.length) parts.push(`granted by ${source.granted_by.join(', ')}`);
  if (source.blocked_by.length) parts.push(`blocked by ${source.blocked_by.join(', ')}`);
  return parts.join(', ');
}

/**
 * The scopes the form offers for a kind: an owner's permissions (personal access token,
 * client credentials), none for an API client (it carries the owner's permissions
 * themselves), the whole catalogue for an organization token.
 */
export function scopesOffered(kind: TokenKind, ownerPermissions: string[], catalogue: string[]): string[] {
  if (kind === 'api_client' || kind === 'verifier') return [];
  if (kind === 'organization_token') return catalogue;
  return ownerPermissions;
}

/**
 * When the old token of a renewal stops: quick picks (as Stripe's roll and Unkey's rotate
 * offer), at its current expiry (null), or on a date the dialog asks for.
 */
export const OLD_TOKEN_ENDS = [
  { key: 'now', label: 'Now', seconds: 0 },
  { key: '1m', label: 'In 1 minute', seconds: 60 },
  { key: '15m', label: 'In 15 minutes', seconds: 900 },
  { key: '1h', label: 'In 1 hour', seconds: 3600 },
  { key: '6h', label: 'In 6 hours', seconds: 21_600 },
  { key: '24h', label: 'In 24 hours', seconds: 86_400 },
  { key: 'expiry', label: 'At its current expiry', seconds: null },
] as const;

/**
 * The seconds from `now` until 00:00 UTC of `date`, when the old token would stop; or why it
 * cannot: not a date, not after now, or after the token's own expiry (`expiresAt`).
 */
export function secondsUntilDate(
  date: string,
  now: Date,
  expiresAt: string,
): { seconds: number } | { problem: string } {
  if (!isDate(date)) return { problem: 'Enter a date as YYYY-MM-DD.' };
  const at = Date.parse(`${date}T00:00:00Z`);
  if (at <= now.getTime()) return { problem: 'The date must be after today.' };
  if (at > Date.parse(expiresAt)) return { problem: 'The date must not be after the token’s current expiry.' };
  return { seconds: Math.round((at - now.getTime()) / 1000) };
}

/** What the user can do to a credential from its row. */
export type RowAction = 'detail' | 'edit' | 'renew' | 'revoke' | 'delete';

/** A row action, and why the operator cannot take it (the core's reason), if they cannot. */
export interface ActionItem {
  action: RowAction;
  label: string;
  /** What it does, when the label alone does not say (hover text). */
  hint?: string;
  /** Why it is not the operator's to take: shown disabled, with this reason. */
  refusal?: string;
}

/**
 * The row actions a credential's status allows (a revoked credential can only be deleted),
 * each disabled with the core's reason when the operator may not manage it.
 */
export function actionsFor(row: Pick<CredentialRow, 'status' | 'refusal'>): ActionItem[] {
  const actions: ActionItem[] =
    row.status === 'revoked'
      ? [{ action: 'delete', label: 'Delete…' }]
      : [
          { action: 'edit', label: 'Edit…' },
          {
            action: 'renew',
            label: 'Renew…',
            hint: 'A successor now, its token shown once: you choose when the old one stops and when the new one expires',
          },
          { action: 'revoke', label: 'Revoke…' },
          { action: 'delete', label: 'Delete…' },
        ];
  return row.refusal ? actions.map((item) => ({ ...item, refusal: row.refusal ?? undefined })) : actions;
}

export type Strength = { score: 0 | 1 | 2 | 3 | 4; label: string };

/** A rough strength hint: length first, then variety of character classes. */
export function passphraseStrength(passphrase: string): Strength {
  const length = [...passphrase].length;
  if (length < MIN_PASSPHRASE_CHARS) return { score: 0, label: 'Too short' };
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) =>
    re.test(passphrase),
  ).length;
  const points = (length >= 16 ? 1 : 0) + (length >= 24 ? 1 : 0) + (classes >= 3 ? 1 : 0);
  const score = (1 + points) as Strength['score'];
  return { score, label: ['Too short', 'Weak', 'Fair', 'Good', 'Strong'][score] };
}

/** A rough e-mail check, the same shape the core insists on: one @, a dotted domain. */
export function emailProblem(email: string): string | undefined {
  return /^[^\s@]+@[^\s@.][^\s@]*\.[^\s@]*[^\s@.]$/.test(email.trim())
    ? undefined
    : 'Enter an e-mail address.';
}

/** Why a new passphrase (entered twice) cannot be used, or null when it can. */
export function passphraseProblem(passphrase: string, confirmation: string): string | null {
  if ([...passphrase].length < MIN_PASSPHRASE_CHARS)
    return `Use at least ${MIN_PASSPHRASE_CHARS} characters.`;
  if (passphrase !== confirmation) return 'The two passphrases differ.';
  return null;
}

/** The create-vault form's fields. */
export type CreateVaultField = 'name' | 'email' | 'passphrase' | 'confirmation';

/** What is wrong with each field of the create-vault form, to show beside that field. */
export function createVaultProblems(
  passphrase: string,
  confirmation: string,
  holder: { name: string; email: string },
): Partial<Record<CreateVaultField, string>> {
  const problems: Partial<Record<CreateVaultField, string>> = {};
  const name = nameProblem(holder.name);
  if (name) problems.name = name;
  const email = emailProblem(holder.email);
  if (email) problems.email = email;
  if ([...passphrase].length < MIN_PASSPHRASE_CHARS)
    problems.passphrase = `Use at least ${MIN_PASSPHRASE_CHARS} characters.`;
  else if (passphrase !== confirmation) problems.confirmation = 'The two passphrases differ.';
  return problems;
}

/** Why the create-vault form (the account holder and their passphrase) cannot be submitted. */
export function createVaultProblem(
  passphrase: string,
  confirmation: string,
  holder: { name: string; email: string },
): string | null {
  const problems = createVaultProblems(passphrase, confirmation, holder);
  return problems.name ?? problems.email ?? problems.passphrase ?? problems.confirmation ?? null;
}

/** `date` as YYYY-MM-DD in UTC: the core counts expiry days in UTC. */
export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The UTC day `days` after `today`. */
export function addDays(today: Date, days: number): string {
  const shifted = new Date(
    Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + days),
  );
  return isoDay(shifted);
}

/** Whether `text` is a real calendar day written YYYY-MM-DD (not 2026-02-31). */
export function isDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const day = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(day.getTime()) && isoDay(day) === text;
}

/** A date as it is typed: digits only, the dashes put in after the year and the month. */
export function typedDate(raw: string): string {
  const digits = raw.replace(/\D/g, '').slice(0, 8);
  if (digits.length > 6) return `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6)}`;
  if (digits.length > 4) return `${digits.slice(0, 4)}-${digits.slice(4)}`;
  return digits;
}

/**
 * The auto-renewal field a refusal of the core is about, to show it there: the address
 * (`invalid_email`), the callback URL, or the period; none for any other refusal.
 */
export function autoRenewalField(code: string, message: string): 'days' | 'recipient' | 'callback' | undefined {
  if (code === 'invalid_email') return 'recipient';
  if (code === 'renewal_period_too_long') return 'days';
  if (code === 'invalid_auto_renewal') return /callback/i.test(message) ? 'callback' : 'days';
  return undefined;
}

/** Whether a permission is a write permission (its last part is `write`), as the core reads it. */
export function isWrite(scope: string): boolean {
  return scope.split(':').pop() === 'write';
}

/**
 * What a new credential grants, in one sentence above the acknowledgment: "Cleo Member can
 * read payables for Internal tools until 2027-03-07."
 */
export function grantSummary(
  form: Pick<TokenForm, 'kind' | 'rights' | 'scopes' | 'applications' | 'expiresOn'>,
  ownerName: string | null,
): string {
  const who = ownerName ?? 'The organization';
  const until = isDate(form.expiresOn) ? ` until ${form.expiresOn}` : '';
  if (form.kind === 'verifier') return `Lets a service call Keysmith's local API${until}.`;
  const apps = form.applications.length ? ` for ${form.applications.join(', ')}` : '';
  if (form.kind === 'api_client') return `Carries ${who}'s permissions, as they change,${apps}${until}.`;
  if (form.scopes.length === 0) return `Grants no scope yet: tick what it may do above.`;
  const resources = [...new Set(form.scopes.map((scope) => scope.replace(/:(read|write)$/, '')))];
  const writes = form.rights === 'read_write' && form.scopes.some(isWrite);
  return `${who} can ${writes ? 'read and write' : 'read'} ${resources.join(', ')}${apps}${until}.`;
}

/** Quick picks for a renewed credential's expiry, in days from today. */
export const RENEWAL_PRESETS = [30, 90, 180, 365] as const;

/** What is wrong with a renewed credential's expiry `date`, the latest allowed being `latest`. */
export function renewalExpiryProblem(date: string, today: Date, latest: string): string | undefined {
  if (!isDate(date)) return 'Enter a date as YYYY-MM-DD, or pick a preset.';
  if (date <= isoDay(today)) return 'The expiry must be tomorrow or later.';
  if (date > latest) return `The latest allowed is ${latest} (a year ahead, or the vault's lifetime policy).`;
  return undefined;
}

/** The earliest (tomorrow) and latest (today + the lifetime policy, at most 365) expiry dates. */
export function expiryBounds(today: Date, maxDays: number = MAX_EXPIRY_DAYS): { min: string; max: string } {
  return { min: addDays(today, 1), max: addDays(today, maxDays) };
}

/** Expiry quick picks under a lifetime policy of `maxDays`: the usual ones below it, then it. */
export function expiryPresets(maxDays: number = MAX_EXPIRY_DAYS): number[] {
  return [...EXPIRY_PRESETS.filter((days) => days < maxDays), maxDays];
}

export interface TokenForm {
  kind: TokenKind;
  /** Null for an organization token, or before an owner is picked. */
  ownerId: number | null;
  name: string;
  description: string;
  expiresOn: string;
  scopes: string[];
  rights: Rights;
  applications: string[];
  rateLimit: number;
  restrictions: RestrictionsForm;
  /** Issued switched off (disabled), to be enabled when it goes live. */
  switchedOff: boolean;
  acknowledged: boolean;
}

/** A field of the new-token form that can have a problem. */
export type TokenField =
  | 'owner'
  | 'name'
  | 'description'
  | 'scopes'
  | 'applications'
  | 'rateLimit'
  | 'maxUses'
  | 'allowedIps'
  | 'expiresOn'
  | 'acknowledged';

/** The form's fields top to bottom: the first with a problem is the one brought into view. */
export const TOKEN_FIELDS: readonly TokenField[] = [
  'owner',
  'name',
  'description',
  'scopes',
  'applications',
  'rateLimit',
  'maxUses',
  'allowedIps',
  'expiresOn',
  'acknowledged',
];

export type TokenFormProblems = Partial<Record<TokenField, string>>;

/** The topmost field with a problem, if any. */
export function firstProblem(problems: TokenFormProblems): TokenField | undefined {
  return TOKEN_FIELDS.find((field) => problems[field] !== undefined);
}

/**
 * The field a core error about a new credential is about, so that its message stands beside
 * that field (a duplicate name beside the name); undefined for errors about no one field.
 */
export function fieldOfError(code: Code): TokenField | undefined {
  const fields: Partial<Record<Code, TokenField>> = {
    invalid_owner: 'owner',
    owner_lacks_api_access: 'owner',
    user_not_found: 'owner',
    invalid_name: 'name',
    duplicate_name: 'name',
    invalid_description: 'description',
    scope_not_held: 'scopes',
    no_scope: 'scopes',
    unknown_permission: 'scopes',
    scopes_inherited: 'scopes',
    invalid_permission: 'scopes',
    no_application: 'applications',
    unknown_application: 'applications',
    invalid_rate_limit: 'rateLimit',
    invalid_usage_limit: 'maxUses',
    invalid_ip_range: 'allowedIps',
    expiry_too_far: 'expiresOn',
    expiry_beyond_policy: 'expiresOn',
    expiry_in_past: 'expiresOn',
    invalid_date: 'expiresOn',
  };
  return fields[code];
}

/** What is wrong with a credential name, if anything. */
export function nameProblem(name: string): string | undefined {
  const trimmed = name.trim();
  if (trimmed.length === 0) return 'A name is required.';
  if ([...trimmed].length > NAME_MAX_CHARS) return `At most ${NAME_MAX_CHARS} characters.`;
  return undefined;
}

/** Per-field problems of the new-token form. */
export function tokenFormProblems(
  form: TokenForm,
  today: Date,
  maxDays: number = MAX_EXPIRY_DAYS,
): TokenFormProblems {
  const problems: TokenFormProblems = {};
  if (form.kind !== 'organization_token' && form.ownerId === null)
    problems.owner = 'Choose who holds it.';
  if (form.kind !== 'verifier' && form.applications.length === 0)
    problems.applications = 'Choose at least one application.';
  if (needsScopes(form.kind) && form.scopes.length === 0)
    problems.scopes = 'Choose at least one scope: a credential that grants none cannot be used.';
  if (
    !Number.isInteger(form.rateLimit) ||
    form.rateLimit < RATE_LIMIT.min ||
    form.rateLimit > RATE_LIMIT.max
  )
    problems.rateLimit = `Between ${RATE_LIMIT.min} and ${RATE_LIMIT.max} requests per minute.`;
  Object.assign(problems, restrictionProblems(form.restrictions));
  const name = nameProblem(form.name);
  if (name) problems.name = name;
  if ([...form.description.trim()].length > DESCRIPTION_MAX_CHARS)
    problems.description = `At most ${DESCRIPTION_MAX_CHARS} characters.`;
  const { min, max } = expiryBounds(today, maxDays);
  if (!isDate(form.expiresOn)) problems.expiresOn = 'Enter a date as YYYY-MM-DD, or pick a preset.';
  else if (form.expiresOn < min) problems.expiresOn = 'The expiry must be tomorrow or later.';
  else if (form.expiresOn > max)
    problems.expiresOn =
      maxDays < MAX_EXPIRY_DAYS
        ? `The vault's policy allows at most ${maxDays} days.`
        : `The expiry can be at most ${MAX_EXPIRY_DAYS} days ahead.`;
  if (!form.acknowledged) problems.acknowledged = 'Tick this to confirm what the credential grants.';
  return problems;
}

/** Whether the form may be sent: every field valid, the acknowledgment box ticked. */
export function canCreateToken(form: TokenForm, today: Date, maxDays: number = MAX_EXPIRY_DAYS): boolean {
  return firstProblem(tokenFormProblems(form, today, maxDays)) === undefined;
}

/** The age colour: orange past 182 days, red past 365. */
export function ageClass(ageDays: number): 'age-ok' | 'age-warn' | 'age-old' {
  if (ageDays > 365) return 'age-old';
  if (ageDays > 182) return 'age-warn';
  return 'age-ok';
}

/** A credential's age: "today", "1 day ago", "200 days ago". */
export function ageText(ageDays: number): string {
  if (ageDays <= 0) return 'today';
  return `${ageDays} day${ageDays === 1 ? '' : 's'} ago`;
}

/**
 * When an expiry date comes, in calendar days from today: "in 30 days", "tomorrow" (it stops
 * at the coming midnight UTC), "today", "2 days ago" ("30 days" when `compact`, for a table
 * column); nothing for a revoked credential, whose expiry no longer matters.
 */
export function daysLeftText(daysLeft: number, status: Status, compact = false): string {
  if (status === 'revoked') return '';
  if (daysLeft === 0) return 'today';
  if (daysLeft === 1) return 'tomorrow';
  if (daysLeft > 0) return compact ? `${daysLeft} days` : `in ${daysLeft} days`;
  return `${-daysLeft} day${daysLeft === -1 ? '' : 's'} ago`;
}

/** The last part of a file path, whichever separator the OS uses. */
export function fileName(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}

/** The person-readable message of any failure a command can throw. */
export function errorMessage(error: unknown): string {
  if (isIpcError(error)) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Whether `address` is an IPv4 or IPv6 address (what the core's address setting takes). */
export function isIpAddress(address: string): boolean {
  const v4 = address.match(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/);
  if (v4) return v4.slice(1).every((part) => Number(part) <= 255);
  return /^[0-9a-fA-F:.]+$/.test(address) && address.includes(':') && (address.match(/::/g) ?? []).length <= 1;
}

/** Whether `address` stays on this computer (127.0.0.0/8 or ::1). */
export function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === '::1';
}

/** What is wrong with the local API's address or port, if anything. */
export function apiSettingsProblem(address: string, port: number): string | undefined {
  if (!isIpAddress(address.trim())) return 'The address must be an IP address, e.g. 127.0.0.1.';
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    return 'The port must be between 0 (any free port) and 65535.';
  return undefined;
}

/** The local API's status line. */
export function apiStatusLine(status: ApiStatus): string {
  switch (status.state) {
    case 'stopped':
      return 'Local API: stopped';
    case 'listening':
      return `Local API: listening on ${status.address}${status.verifier_required ? ' (verifier key required)' : ''}`;
    case 'port_in_use':
      return `Local API: port in use (${status.address}); choose another port`;
    case 'failed':
      return `Local API: not running: ${status.message}`;
  }
}

/** Each status in the words the window uses, in the order the core sorts them. */
export const STATUS_WORDS: Record<Status, string> = {
  active: 'active',
  expiring_soon: 'expiring soon',
  superseded: 'superseded',
  blocked: 'blocked',
  disabled: 'disabled',
  expired: 'expired',
  revoked: 'revoked',
};

/** Every status, in the core's order. */
export const STATUSES = Object.keys(STATUS_WORDS) as Status[];

/** Whether a credential in this status verifies now (the core's `Status::verifies`). */
export function verifies(status: Status): boolean {
  return status === 'active' || status === 'expiring_soon' || status === 'superseded';
}

/** Whether a credential can be switched on or off: it is neither revoked nor expired. */
export function switchable(status: Status): boolean {
  return status !== 'revoked' && status !== 'expired';
}

/** What each status means, for a chip's hover text when it has no note of its own. */
const STATUS_MEANING: Record<Status, string> = {
  active: 'Verifies',
  expiring_soon: `Verifies; expires within ${EXPIRING_SOON_DAYS} days`,
  superseded: 'Renewed; verifies until its end date',
  blocked: 'Refused: its owner has no API access',
  disabled: 'Switched off; enable it to use it again',
  expired: 'Past its expiry',
  revoked: 'Revoked for good',
};

/** A status chip's hover text: its note (who blocks it, what renewed it) or what it means. */
export function statusTitle(row: Pick<CredentialRow, 'status' | 'status_note'>): string {
  return row.status_note || STATUS_MEANING[row.status];
}

/** Whether a credential is expiring soon: it verifies and expires within the days that make it stand out. */
export function expiringSoon(row: Pick<CredentialRow, 'status'>): boolean {
  return row.status === 'expiring_soon';
}

/**
 * Whether the inventory folds renewed credentials under their successors: unless a status
 * filter or a Health check asks for rows by what they are (then each shows on its own).
 */
export function foldsRenewed(query: CredentialQuery): boolean {
  return !query.health && !query.statuses?.length;
}

/** The inventory unfiltered, newest first. */
export const NO_FILTERS: CredentialQuery = { sort: 'created', descending: true, statuses: [] };

/** Whether any filter narrows the inventory (the order does not). */
export function isFiltered(query: CredentialQuery): boolean {
  return Boolean(
    query.kind || query.owner || query.statuses?.length || query.search || query.expires_within_days || query.health,
  );
}

const counting = new Intl.NumberFormat('en-US');

/**
 * The count beside a list: "1,204 credentials", or with filters "12 of 1,204 credentials";
 * `noun` is the singular and plural.
 */
export function countText(
  shown: number,
  all: number,
  filtered: boolean,
  noun: [string, string] = ['credential', 'credentials'],
): string {
  const counted = `${counting.format(all)} ${all === 1 ? noun[0] : noun[1]}`;
  return filtered ? `${counting.format(shown)} of ${counted}` : counted;
}

/** What is wrong with the clipboard and auto-lock times, beside each field. */
export function settingsProblems(settings: { clipboard_clear_seconds: number; auto_lock_minutes: number }): {
  clearSeconds?: string;
  autoLock?: string;
} {
  const within = (value: number, min: number, max: number, unit: string) =>
    Number.isInteger(value) && value >= min && value <= max
      ? undefined
      : `Enter whole ${unit} from ${min} to ${max}.`;
  const [clearMin, clearMax] = LIMITS.clipboard_clear_seconds;
  const [lockMin, lockMax] = LIMITS.auto_lock_minutes;
  return {
    clearSeconds: within(settings.clipboard_clear_seconds, clearMin, clearMax, 'seconds'),
    autoLock: within(settings.auto_lock_minutes, lockMin, lockMax, 'minutes'),
  };
}

/** Client credentials as "Copy both" puts them on the clipboard: one labelled line each. */
export function bothText(clientId: string, secret: string): string {
  return `Client ID: ${clientId}\nClient secret: ${secret}\n`;
}

/** Client credentials as shell environment variables, for a `.env` file or `export`. */
export function environmentText(clientId: string, secret: string): string {
  return `KEYSMITH_CLIENT_ID=${clientId}\nKEYSMITH_CLIENT_SECRET=${secret}\n`;
}
