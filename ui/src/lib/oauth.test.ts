import { describe, expect, it } from 'vitest';
import { appDraftOf, appDraftProblems, appFieldOfError, appSpecOf, minutesLeft } from './oauth';
import type { PendingRequest } from './ipc';

describe('the OAuth app form', () => {
  it('sends one redirect URI per non-empty line, trimmed', () => {
    const draft = { ...appDraftOf(null), name: ' Ledger ', redirectUris: ' https://a.example/cb \n\nhttp://127.0.0.1:9/cb', scopes: ['payables:read'] };
    expect(appSpecOf(draft)).toEqual({
      name: 'Ledger',
      description: '',
      redirect_uris: ['https://a.example/cb', 'http://127.0.0.1:9/cb'],
      public: false,
      scopes: ['payables:read'],
      applications: [],
    });
    expect(appDraftProblems(draft)).toEqual({});
  });

  it('says beside each field what is missing, and where a core refusal belongs', () => {
    expect(Object.keys(appDraftProblems(appDraftOf(null))).sort()).toEqual(['name', 'redirectUris', 'scopes']);
    expect(appFieldOfError('invalid_redirect_uri')).toBe('redirectUris');
    expect(appFieldOfError('duplicate_name')).toBe('name');
    expect(appFieldOfError('unknown_permission')).toBe('scopes');
    expect(appFieldOfError('forbidden')).toBeUndefined();
  });
});

describe('a pending request', () => {
  it('counts the minutes it has left, never below zero', () => {
    const request = { expires_at: '2026-11-30T10:10:00Z' } as PendingRequest;
    expect(minutesLeft(request, new Date('2026-11-30T10:00:30Z'))).toBe(10);
    expect(minutesLeft(request, new Date('2026-11-30T10:11:00Z'))).toBe(0);
  });
});
