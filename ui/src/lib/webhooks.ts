// The Webhooks section's rules and words: the form's draft and the spec it becomes (a hidden
// value left untouched is sent as "keep", never read back), early checks the core repeats,
// and how webhooks and deliveries read.
import {
  type Code,
  type DeliveryRecord,
  type EventType,
  type Webhook,
  type WebhookSpec,
} from './ipc';

/** The events one subscribes to (a test is sent on request, to one webhook). */
export const EVENT_CHOICES: { event: EventType; does: string }[] = [
  { event: 'credential.created', does: 'a credential is issued' },
  { event: 'credential.renewed', does: 'a credential is renewed' },
  { event: 'credential.auto_renewed', does: 'auto-renewal renews a credential' },
  { event: 'credential.edited', does: 'a description or auto-renewal changes' },
  { event: 'credential.disabled', does: 'a credential is disabled' },
  { event: 'credential.enabled', does: 'a credential is enabled again' },
  { event: 'credential.revoked', does: 'a credential is revoked' },
  { event: 'credential.deleted', does: 'a credential is deleted' },
  { event: 'credential.expiring', does: '7 days and 1 day before expiry' },
  { event: 'credential.expired', does: 'a credential expires' },
  { event: 'user.offboarded', does: 'a user is removed with their credentials' },
  { event: 'oauth_app.registered', does: 'an OAuth app is registered' },
  { event: 'oauth_grant.approved', does: 'someone lets an app act in their name' },
  { event: 'oauth_grant.denied', does: 'an app’s request is denied' },
  { event: 'oauth_grant.revoked', does: 'an app’s access is revoked' },
];

/** A custom header in the form. `kept`: a hidden value stored and left as it is. */
export type HeaderDraft = { name: string; value: string; hidden: boolean; kept: boolean };

/** The form's state. */
export type WebhookDraft = {
  url: string;
  description: string;
  allEvents: boolean;
  events: EventType[];
  basic: boolean;
  basicUser: string;
  basicPassword: string;
  /** A stored Basic password is kept (it is never shown). */
  basicKept: boolean;
  headers: HeaderDraft[];
};

/** The form for `webhook`, or for a new one. */
export function draftOf(webhook: Webhook | null): WebhookDraft {
  if (!webhook) {
    return {
      url: '', description: '', allEvents: true, events: [], basic: false,
      basicUser: '', basicPassword: '', basicKept: false, headers: [],
    };
  }
  return {
    url: webhook.url,
    description: webhook.description,
    allEvents: webhook.all_events,
    events: [...webhook.events],
    basic: webhook.basic_user !== null,
    basicUser: webhook.basic_user ?? '',
    basicPassword: '',
    basicKept: webhook.has_basic_password,
    headers: webhook.headers.map((header) => ({
      name: header.name,
      value: header.value ?? '',
      hidden: header.hidden,
      kept: header.hidden,
    })),
  };
}

/** What the form sends: kept values as `keep`, everything else as typed. */
export function specOf(draft: WebhookDraft): WebhookSpec {
  return {
    url: draft.url.trim(),
    description: draft.description,
    all_events: draft.allEvents,
    events: draft.allEvents ? [] : draft.events,
    basic_auth: draft.basic
      ? {
          user: draft.basicUser,
          password: draft.basicKept ? { kind: 'keep' } : { kind: 'new', value: draft.basicPassword },
        }
      : null,
    headers: draft.headers.map((header) => ({
      name: header.name,
      value: header.kept ? { kind: 'keep' } : { kind: 'new', value: header.value },
      hidden: header.hidden,
    })),
  };
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** What is wrong with a webhook URL, if anything (the core's rule, said early). */
export function urlProblem(text: string): string | undefined {
  const trimmed = text.trim();
  if (!trimmed) return 'Enter the URL deliveries go to.';
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return 'Enter a full URL, e.g. https://hooks.example.com/keysmith.';
  }
  if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname))
    return 'Use https; plain http is only for a receiver on this computer (127.0.0.1, localhost).';
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'The URL must start with https://.';
  if (url.username || url.password) return 'Put the user name and password in HTTP Basic authentication, not in the URL.';
  if (url.hash) return 'The URL cannot have a #fragment.';
  return undefined;
}

const RESERVED = new Set([
  'content-type', 'content-length', 'content-encoding', 'transfer-encoding', 'host', 'connection',
  'te', 'upgrade', 'trailer', 'keep-alive', 'proxy-authorization',
]);

/** What is wrong with a header name, if anything; `basic`: Basic auth sets Authorization. */
export function headerNameProblem(name: string, basic: boolean): string | undefined {
  const trimmed = name.trim();
  if (!/^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,100}$/.test(trimmed))
    return 'Use letters, digits and - (e.g. X-Api-Key).';
  const lower = trimmed.toLowerCase();
  if (lower.startsWith('webhook-') || RESERVED.has(lower) || (basic && lower === 'authorization'))
    return `Keysmith sets ${trimmed} itself; choose another.`;
  return undefined;
}

/** The form's problems, by field; empty when it may be sent. */
export function draftProblems(draft: WebhookDraft): Partial<Record<WebhookField, string>> {
  const problems: Partial<Record<WebhookField, string>> = {};
  const url = urlProblem(draft.url);
  if (url) problems.url = url;
  if (!draft.allEvents && draft.events.length === 0) problems.events = 'Choose at least one event, or all events.';
  if (draft.basic && (!draft.basicUser.trim() || draft.basicUser.includes(':')))
    problems.basic = 'The user name is required and cannot contain a colon.';
  else if (draft.basic && !draft.basicKept && !draft.basicPassword) problems.basic = 'Enter the password.';
  const names = draft.headers.map((header) => header.name.trim().toLowerCase());
  const header = draft.headers.find((h) => headerNameProblem(h.name, draft.basic));
  if (header) problems.headers = `${header.name || 'A header'}: ${headerNameProblem(header.name, draft.basic)}`;
  else if (new Set(names).size !== names.length) problems.headers = 'Each header may be given once.';
  return problems;
}

export type WebhookField = 'url' | 'events' | 'basic' | 'headers';

/** The field a core error about a webhook is about, so its message stands beside it. */
export function webhookFieldOfError(code: Code): WebhookField | undefined {
  const fields: Partial<Record<Code, WebhookField>> = {
    invalid_webhook_url: 'url',
    no_events: 'events',
    unknown_event: 'events',
    invalid_basic_auth: 'basic',
    invalid_header: 'headers',
  };
  return fields[code];
}

/** The events a webhook wants, in a few words. */
export function eventsSummary(webhook: Webhook): string {
  if (webhook.all_events) return 'All events';
  if (webhook.events.length <= 2) return webhook.events.join(', ');
  return `${webhook.events.length} events`;
}

/** Why a webhook stopped, when delivery stopped it (the banner's words); else undefined. */
export function stoppedNotice(webhook: Webhook): string | undefined {
  switch (webhook.disabled_reason) {
    case 'gone':
      return `The webhook to ${webhook.url} was disabled: its receiver answered 410 Gone.`;
    case 'failing':
      return `The webhook to ${webhook.url} was disabled: its deliveries failed for 5 days.`;
    default:
      return undefined;
  }
}

/** A delivery's last outcome in a few words. */
export function outcomeText(delivery: DeliveryRecord): string {
  if (delivery.last_status !== null) return `HTTP ${delivery.last_status}`;
  if (delivery.last_error) return delivery.last_error;
  return 'Not sent yet';
}
