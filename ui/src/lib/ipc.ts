// The one place that calls Tauri's `invoke`: a typed function per command in src-tauri.
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';

/** A credential's status, as the core derives it. */
export type Status = 'active' | 'disabled' | 'revoked' | 'expired';

/**
 * The credential kinds; organization tokens are deprecated and off unless enabled; verifier
 * keys let services call the local API.
 */
export type Kind =
  | 'personal_access_token'
  | 'api_client'
  | 'client_credentials'
  | 'organization_token'
  | 'verifier';

/** Read only, or read and write. */
export type Rights = 'read' | 'read_write';

/** A credential row; the secret itself is never part of it. */
export interface CredentialRow {
  id: number;
  kind: Kind;
  name: string;
  description: string;
  token_hint: string;
  owner_id: number | null;
  owner_name: string | null;
  /** Chosen at issue; empty for an API client, which carries its owner's permissions. */
  scopes: string[];
  rights: Rights;
  applications: string[];
  rate_limit: number;
  /** Client credentials only: shown always (the secret is shown once). */
  client_id: string | null;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
  disabled_at: string | null;
  renewed_from: number | null;
  status: Status;
  age_days: number;
  days_left: number;
}

/** The one response that carries a new token. */
export interface Revealed {
  credential: CredentialRow;
  token: string;
}

export interface VaultStatus {
  path: string;
  exists: boolean;
  unlocked: boolean;
}

export interface KeychainOutcome {
  unlocked: boolean;
  notice: string | null;
}

/** Where and how the local API listens (the core checks a remote address was confirmed). */
export interface ApiSettings {
  enabled: boolean;
  address: string;
  port: number;
  allow_remote: boolean;
  require_verifier: boolean;
}

export interface Settings {
  clipboard_clear_seconds: number;
  auto_lock_minutes: number;
  organization_tokens: boolean;
  api: ApiSettings;
}

/** What the local API is doing. */
export type ApiStatus =
  | { state: 'stopped' }
  | { state: 'listening'; address: string; verifier_required: boolean }
  | { state: 'port_in_use'; address: string }
  | { state: 'failed'; message: string };

export type Role = 'account_holder' | 'admin' | 'member';

export interface User {
  id: number;
  name: string;
  email: string;
  role: Role;
  api_access: boolean;
  created_at: string;
  groups: number[];
  /** The union of their groups' permissions. */
  permissions: string[];
  /** Whether they have a passphrase of their own. */
  can_unlock: boolean;
}

export interface Group {
  id: number;
  name: string;
  permissions: string[];
  members: number[];
}

export interface CatalogueEntry {
  name: string;
  description: string;
}

export interface Operator {
  user_id: number;
  name: string;
  email: string;
  role: Role;
}

export interface PeopleOverview {
  operator: Operator;
  users: User[];
  groups: Group[];
  permissions: CatalogueEntry[];
  applications: CatalogueEntry[];
}

export type Catalogue = 'permissions' | 'applications';

/** A new credential as the form sends it. */
export interface IssueRequest {
  kind: Kind;
  owner_id: number | null;
  name: string;
  description: string;
  /** YYYY-MM-DD: the first day it no longer works. */
  expires_on: string;
  scopes: string[];
  rights: Rights;
  applications: string[];
  rate_limit: number | null;
}

/** Every command fails with this shape; `code` is stable, `message` is for people. */
export interface IpcError {
  code: string;
  message: string;
}

export function isIpcError(value: unknown): value is IpcError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as IpcError).code === 'string' &&
    typeof (value as IpcError).message === 'string'
  );
}

export const vaultStatus = () => invoke<VaultStatus>('vault_status');
export const createVault = (
  passphrase: string,
  remember: boolean,
  holderName: string,
  holderEmail: string,
) => invoke<KeychainOutcome>('create_vault', { passphrase, remember, holderName, holderEmail });
export const unlockVault = (passphrase: string) => invoke<void>('unlock_vault', { passphrase });
export const unlockWithKeychain = () => invoke<KeychainOutcome>('unlock_with_keychain');
export const lockVault = () => invoke<void>('lock_vault');
export type SortKey = 'name' | 'kind' | 'owner' | 'created' | 'expires' | 'status' | 'last_used';

/** Filters, search and order for the inventory; absent fields mean "any". */
export interface CredentialQuery {
  kind?: Kind;
  owner?: number;
  status?: Status;
  expires_within_days?: number;
  search?: string;
  sort: SortKey;
  descending: boolean;
}

/** One audit row. */
export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  credential_id: number | null;
  details: string;
}

/** What the detail view shows of one credential. */
export interface CredentialDetail {
  credential: CredentialRow;
  successor: number | null;
  auto_renewal: AutoRenewal | null;
  history: AuditEntry[];
}

export const credentialDetail = (id: number) =>
  invoke<CredentialDetail>('credential_detail', { id });
export const listCredentials = (query: CredentialQuery) =>
  invoke<CredentialRow[]>('list_credentials', { query });
export const issueCredential = (request: IssueRequest) =>
  invoke<Revealed>('issue_credential', { request });
export const revokeCredential = (id: number, confirmName: string) =>
  invoke<CredentialRow>('revoke_credential', { id, confirmName });
export const getSettings = () => invoke<Settings>('get_settings');
export const updateSettings = (settings: Settings) =>
  invoke<Settings>('update_settings', { settings });
export const apiStatus = () => invoke<ApiStatus>('api_status');
export const copySecret = (text: string) => invoke<void>('copy_secret', { text });
export const touch = () => invoke<boolean>('touch');
export const setCredentialEnabled = (id: number, enabled: boolean) =>
  invoke<CredentialRow>('set_credential_enabled', { id, enabled });
/** A credential's auto-renewal settings. */
export interface AutoRenewal {
  days_before_expiry: number;
  recipient: string;
  callback_url: string | null;
}

/** The editable fields; only those present are changed (null turns auto-renewal off). */
export interface CredentialChanges {
  description?: string;
  auto_renewal?: AutoRenewal | null;
}

export const editCredential = (id: number, changes: CredentialChanges) =>
  invoke<CredentialRow>('edit_credential', { id, changes });
/** `oldEndsInSeconds`: when the old token stops, from now; null keeps its current expiry. */
export const renewCredential = (
  id: number,
  oldEndsInSeconds: number | null,
  name: string,
  description: string,
) => invoke<Revealed>('renew_credential', { id, oldEndsInSeconds, name, description });
export const deleteCredential = (id: number, confirmName: string) =>
  invoke<void>('delete_credential', { id, confirmName });

/** Called when the app locks the vault by itself after idle time. */
export const onVaultLocked = (handler: () => void): Promise<UnlistenFn> =>
  listen('vault-locked', handler);

export const peopleOverview = () => invoke<PeopleOverview>('people_overview');
/** Adds a user (id null) or replaces one's fields. */
export const saveUser = (
  id: number | null,
  name: string,
  email: string,
  role: Role,
  apiAccess: boolean,
) => invoke<User>('save_user', { id, name, email, role, apiAccess });
export const deleteUser = (id: number) => invoke<void>('delete_user', { id });
/** Adds a group (id null) or replaces one's name, permissions and members. */
export const saveGroup = (id: number | null, name: string, permissions: string[], members: number[]) =>
  invoke<Group>('save_group', { id, name, permissions, members });
export const deleteGroup = (id: number) => invoke<void>('delete_group', { id });
export const addCatalogueEntry = (catalogue: Catalogue, name: string, description: string) =>
  invoke<void>('add_catalogue_entry', { catalogue, name, description });
export const removeCatalogueEntry = (catalogue: Catalogue, name: string) =>
  invoke<void>('remove_catalogue_entry', { catalogue, name });
export const addOperator = (userId: number, passphrase: string) =>
  invoke<void>('add_operator', { userId, passphrase });
export const removeOperator = (userId: number) => invoke<void>('remove_operator', { userId });
/** Revokes every credential of a user; how many were revoked. */
export const revokeAllOfUser = (userId: number) => invoke<number>('revoke_all_of_user', { userId });
