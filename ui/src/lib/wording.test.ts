import { describe, expect, it } from 'vitest';
import { AUDIT_ACTIONS, type AuditEntry } from './ipc';
import { ACTION_WORDS, actorName, auditWords, historyWords } from './wording';

const entry = (action: string, details: object): AuditEntry => ({
  seq: 1,
  at: '2026-11-22T09:00:00Z',
  actor: 'Ada Holder <ada@example.com>',
  action,
  credential_id: 3,
  details: JSON.stringify(details),
});

describe('audit wording', () => {
  it('has words for every action the core records', () => {
    for (const action of AUDIT_ACTIONS) expect(ACTION_WORDS[action]).toBeTruthy();
  });

  it('names the actor without the address, and keeps odd actors whole', () => {
    expect(actorName('Ada Holder <ada@example.com>')).toBe('Ada Holder');
    expect(actorName('cli')).toBe('cli');
  });

  it('says what was done to what', () => {
    expect(auditWords(entry('credential.issued', { name: 'sync' }))).toBe('Issued “sync”');
    expect(
      auditWords(entry('oauth_grant.approved', { app: { id: 1, name: 'Ledger' }, scopes: [] })),
    ).toBe('Approved an app’s access “Ledger”');
    expect(auditWords(entry('credential.transferred', { name: 'sync', to: 'bo@example.com' }))).toBe(
      'Handed over “sync” to bo@example.com',
    );
    expect(auditWords(entry('settings.changed', { api: {} }))).toBe('Changed the settings');
    expect(historyWords(entry('credential.revoked', {}))).toBe('Revoked by Ada Holder');
  });

  it('shows an unknown action as stored', () => {
    expect(auditWords(entry('vault.teleported', {}))).toBe('vault.teleported');
  });
});
