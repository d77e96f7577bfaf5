// The audit log in words people read: "Issued “sync” · Ada Holder", not `credential.issued`.
import { AUDIT_ACTIONS, type AuditEntry } from './ipc';

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** What each action did, as a past-tense phrase; a credential's name follows it. */
export const ACTION_WORDS: Record<AuditAction, string> = {
  'vault.created': 'Created the vault',
  'vault.unlocked': 'Unlocked the vault',
  'settings.changed': 'Changed the settings',
  'credential.issued': 'Issued',
  'credential.enabled': 'Enabled',
  'credential.disabled': 'Disabled',
  'credential.edited': 'Edited',
  'credential.renewed': 'Renewed',
  'credential.auto_renewed': 'Renewed automatically',
  'credential.handed_over': 'Handed over the renewed token',
  'credential.revoked': 'Revoked',
  'credential.deleted': 'Deleted',
  'credential.transferred': 'Handed over',
  'credential.acted_as_user': 'Acted as a named user with',
  'user.created': 'Added a user',
  'user.updated': 'Changed a user',
  'user.deleted': 'Removed a user',
  'group.created': 'Added a group',
  'group.updated': 'Changed a group',
  'group.deleted': 'Removed a group',
  'permission.added': 'Added a permission',
  'permission.removed': 'Removed a permission',
  'application.added': 'Added an application',
  'application.removed': 'Removed an application',
  'operator.added': 'Gave a user their own passphrase',
  'operator.removed': 'Took a user’s passphrase away',
  'operator.passphrase_changed': 'Changed their own passphrase',
  'vault.rekeyed': 'Re-keyed the vault',
  'vault.backed_up': 'Backed up the vault',
  'vault.restored': 'Restored the vault from a backup',
  'inventory.exported': 'Exported the inventory',
  'device.invited': 'Invited someone to work from their own computer',
  'device.joined': 'Joined from a new device',
  'device.removed': 'Removed a device',
  'user.offboarded': 'Offboarded a user',
  'webhook.created': 'Added a webhook',
  'webhook.updated': 'Changed a webhook',
  'webhook.enabled': 'Enabled a webhook',
  'webhook.disabled': 'Disabled a webhook',
  'webhook.deleted': 'Removed a webhook',
  'webhook.secret_rolled': 'Rolled a webhook’s signing secret',
  'oauth_app.registered': 'Registered an OAuth app',
  'oauth_app.updated': 'Edited an OAuth app',
  'oauth_app.enabled': 'Enabled an OAuth app',
  'oauth_app.disabled': 'Disabled an OAuth app',
  'oauth_app.deleted': 'Deleted an OAuth app',
  'oauth_grant.approved': 'Approved an app’s access',
  'oauth_grant.denied': 'Denied an app’s access',
  'oauth_grant.revoked': 'Revoked an app’s access',
};

/**
 * The name in an actor as stored, with the device a team vault's entry names ("Ada Holder
 * <ada@example.com>" → "Ada Holder"; "… <ada@example.com> on ada-laptop" → "Ada Holder on
 * ada-laptop").
 */
export function actorName(actor: string): string {
  const named = /^(.+) <[^<>]*>( on .+)?$/.exec(actor);
  return named ? named[1] + (named[2] ?? '') : actor;
}

/** A detail of an entry's JSON, if it is text; `app.name` reads a field of an object. */
function detail(entry: AuditEntry, path: string): string | undefined {
  try {
    let value: unknown = JSON.parse(entry.details);
    for (const key of path.split('.')) {
      value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    }
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The action's words, told apart where the details say more: a renewal made with "Renew now". */
function actionWords(entry: AuditEntry): string {
  if (entry.action === 'credential.renewed' && detail(entry, 'via') === 'renew_now') return 'Renewed now (by hand)';
  return ACTION_WORDS[entry.action as AuditAction] ?? entry.action;
}

/** What happened, in words: the action, and what it was done to, by name as it was. */
export function auditWords(entry: AuditEntry): string {
  const about = entry.subject ?? undefined;
  const to = detail(entry, 'to');
  return [actionWords(entry), about ? `“${about}”` : '', to ? `to ${to}` : ''].filter(Boolean).join(' ');
}

/** A line of a credential's history: "Issued by Ada Holder". */
export function historyWords(entry: AuditEntry): string {
  return `${actionWords(entry)} by ${actorName(entry.actor)}`;
}

/** A timestamp as the app shows it: "2026-11-22 09:00 UTC". */
export function when(iso: string): string {
  return `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}
