import { describe, expect, it } from 'vitest';
import { AUDIT_ACTIONS, type AuditEntry } from './ipc';
import { ACTION_WORDS, actorName, auditWords, historyWords } from './wording';

const entry = (action: string, details: object, subject: string | null = null): AuditEntry => ({
  seq: 1,
  at: '2026-11-22T09:00:00Z',
  actor: 'Ada Holder <ada@example.com>',
  action,
  credential_id: 3,
  details: JSON.stringify(details),
  subject,
});

describe('audit wording', () => {
  it('has words for every action the core records', () => {
    for (const action of AUDIT_ACTIONS) expect(ACTION_WORDS[action]).toBeTruthy();
  });

  it('names the actor without the address, and keeps odd actors whole', () => {
    expect(actorName('Ada Holder <ada@example.com>')).toBe('Ada Holder');
    expect(actorName('cli')).toBe('cli');
    expect(actorName('Ada Holder <ada@example.com> on ada-laptop')).toBe('Ada Holder on ada-laptop');
  });

  it('says what was done to what, by the name the core gives it', () => {
    expect(auditWords(entry('credential.issued', { name: 'sync' }, 'sync'))).toBe('Issued “sync”');
    expect(auditWords(entry('credential.disabled', { name: 'sync' }, 'sync'))).toBe('Disabled “sync”');
    expect(auditWords(entry('credential.handed_over', { via: 'reveal' }, 'sync'))).toBe(
      'Handed over the renewed token “sync”',
    );
    expect(
      auditWords(entry('oauth_grant.approved', { app: { id: 1, name: 'Ledger' }, scopes: [] }, 'Ledger')),
    ).toBe('Approved an app’s access “Ledger”');
    expect(auditWords(entry('credential.transferred', { name: 'sync', to: 'bo@example.com' }, 'sync'))).toBe(
      'Handed over “sync” to bo@example.com',
    );
    expect(auditWords(entry('settings.changed', { api: {} }))).toBe('Changed the settings');
    expect(historyWords(entry('credential.revoked', {}))).toBe('Revoked by Ada Holder');
  });

  it('tells a renewal by hand from an automatic one', () => {
    expect(historyWords(entry('credential.renewed', { via: 'renew_now' }))).toBe('Renewed now (by hand) by Ada Holder');
    expect(historyWords(entry('credential.auto_renewed', {}))).toBe('Renewed automatically by Ada Holder');
  });

  it('shows an unknown action as stored', () => {
    expect(auditWords(entry('vault.teleported', {}))).toBe('vault.teleported');
  });
});
