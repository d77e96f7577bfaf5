// The OAuth section's rules and words: the app form's draft and the spec it becomes, early
// checks the core repeats, which field a core refusal belongs beside, and how a request and a
// connection read.
import type { Code, OAuthApp, OAuthAppSpec, PendingRequest } from './ipc';

/** The app form's state. Redirect URIs are typed one per line. */
export type AppDraft = {
  name: string;
  description: string;
  redirectUris: string;
  public: boolean;
  scopes: string[];
  applications: string[];
};

/** The fields a problem can stand beside. */
export type AppField = 'name' | 'redirectUris' | 'scopes' | 'applications';

/** The form for `app`, or for a new one. */
export function appDraftOf(app: OAuthApp | null): AppDraft {
  return {
    name: app?.name ?? '',
    description: app?.description ?? '',
    redirectUris: app?.redirect_uris.join('\n') ?? '',
    public: app?.public ?? false,
    scopes: [...(app?.scopes ?? [])],
    applications: [...(app?.applications ?? [])],
  };
}

/** The redirect URIs of the draft: its non-empty lines, trimmed. */
export const redirectUrisOf = (draft: AppDraft): string[] =>
  draft.redirectUris.split('\n').map((line) => line.trim()).filter(Boolean);

/** The spec the core checks again. */
export const appSpecOf = (draft: AppDraft): OAuthAppSpec => ({
  name: draft.name.trim(),
  description: draft.description.trim(),
  redirect_uris: redirectUrisOf(draft),
  public: draft.public,
  scopes: draft.scopes,
  applications: draft.applications,
});

/** What is plainly missing, before asking the core. */
export function appDraftProblems(draft: AppDraft): Partial<Record<AppField, string>> {
  const problems: Partial<Record<AppField, string>> = {};
  if (!draft.name.trim()) problems.name = 'Give the app a name';
  if (redirectUrisOf(draft).length === 0) {
    problems.redirectUris = 'Give at least one redirect URI, e.g. https://app.example.com/callback';
  }
  if (draft.scopes.length === 0) problems.scopes = 'Choose the scopes the app may ask for';
  return problems;
}

/** The field a core refusal is about. */
export function appFieldOfError(code: Code): AppField | undefined {
  switch (code) {
    case 'invalid_name':
    case 'duplicate_name':
      return 'name';
    case 'invalid_redirect_uri':
      return 'redirectUris';
    case 'invalid_oauth_app':
    case 'unknown_permission':
      return 'scopes';
    case 'unknown_application':
      return 'applications';
    default:
      return undefined;
  }
}

/** "Disabled", "Public" or "Confidential": an app's line in the list. */
export const appKind = (app: OAuthApp): string =>
  app.disabled_at ? 'Disabled' : app.public ? 'Public' : 'Confidential';

/** "Browser sign-in" or "Device", for a request. */
export const flowLabel = (request: PendingRequest): string =>
  request.flow === 'device' ? 'Device' : 'Browser sign-in';

/** Minutes left before an undecided request expires, at least 0. */
export function minutesLeft(request: PendingRequest, now: Date): number {
  return Math.max(0, Math.ceil((Date.parse(request.expires_at) - now.getTime()) / 60_000));
}
