import { describe, expect, it } from 'vitest';
import { WEBHOOK_EVENTS, type Webhook } from './ipc';
import {
  draftOf,
  draftProblems,
  EVENT_CHOICES,
  headerNameProblem,
  specOf,
  stoppedNotice,
  urlProblem,
} from './webhooks';

const stored: Webhook = {
  id: 1,
  url: 'https://hooks.example.com/in',
  description: '',
  enabled: true,
  disabled_reason: null,
  all_events: false,
  events: ['credential.revoked'],
  basic_user: 'keysmith',
  has_basic_password: true,
  headers: [
    { name: 'X-Tenant', value: 'acme', hidden: false },
    { name: 'X-Api-Key', value: null, hidden: true },
  ],
  created_at: '2026-11-29T00:00:00Z',
  failing_since: null,
  previous_secret_until: null,
};

describe('webhook form', () => {
  it('offers every event but the test', () => {
    const offered = EVENT_CHOICES.map((choice) => choice.event as string);
    expect(offered.sort()).toEqual(WEBHOOK_EVENTS.filter((e) => e !== 'webhook.test').sort());
  });

  it('sends untouched hidden values as keep and typed ones as new', () => {
    const draft = draftOf(stored);
    expect(specOf(draft).basic_auth?.password).toEqual({ kind: 'keep' });
    expect(specOf(draft).headers.map((h) => h.value)).toEqual([
      { kind: 'new', value: 'acme' },
      { kind: 'keep' },
    ]);
    draft.headers[1] = { ...draft.headers[1], kept: false, value: 'replaced' };
    draft.basicKept = false;
    draft.basicPassword = 'new password';
    const spec = specOf(draft);
    expect(spec.headers[1].value).toEqual({ kind: 'new', value: 'replaced' });
    expect(spec.basic_auth?.password).toEqual({ kind: 'new', value: 'new password' });
  });

  it('says what is wrong before asking the core', () => {
    expect(urlProblem('http://hooks.example.com/')).toMatch(/https/);
    expect(urlProblem('http://127.0.0.1:9000/in')).toBeUndefined();
    expect(urlProblem('http://localhost/in')).toBeUndefined();
    expect(urlProblem('https://user:pw@example.com/')).toMatch(/Basic/);
    expect(urlProblem('hooks.example.com')).toMatch(/full URL/);
    expect(headerNameProblem('X Api', false)).toBeDefined();
    expect(headerNameProblem('Webhook-Id', false)).toMatch(/itself/);
    expect(headerNameProblem('Authorization', true)).toMatch(/itself/);
    expect(headerNameProblem('Authorization', false)).toBeUndefined();
    const draft = draftOf(null);
    draft.allEvents = false;
    draft.headers = [
      { name: 'X-A', value: '1', hidden: false, kept: false },
      { name: 'x-a', value: '2', hidden: false, kept: false },
    ];
    expect(draftProblems(draft)).toEqual({
      url: 'Enter the URL deliveries go to.',
      events: 'Choose at least one event, or all events.',
      headers: 'Each header may be given once.',
    });
  });

  it('tells why delivery stopped a webhook', () => {
    expect(stoppedNotice(stored)).toBeUndefined();
    expect(stoppedNotice({ ...stored, enabled: false, disabled_reason: 'gone' })).toMatch(/410 Gone/);
    expect(stoppedNotice({ ...stored, enabled: false, disabled_reason: 'failing' })).toMatch(/5 days/);
    expect(stoppedNotice({ ...stored, enabled: false, disabled_reason: 'manual' })).toBeUndefined();
  });
});
