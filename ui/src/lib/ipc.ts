// The one place that calls Tauri's `invoke`: a typed function per command in src-tauri.
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';

/** A credential's status, as the core derives it. */
export type Status = 'active' | 'disabled' | 'revoked' | 'expired';

/** A credential row; the token itself is never part of it. */
export interface CredentialRow {
  id: number;
  kind: 'personal_access_token';
  name: string;
  description: string;
  token_hint: string;
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

export interface Settings {
  clipboard_clear_seconds: number;
  auto_lock_minutes: number;
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
export const createVault = (passphrase: string, remember: boolean) =>
  invoke<KeychainOutcome>('create_vault', { passphrase, remember });
export const unlockVault = (passphrase: string) => invoke<void>('unlock_vault', { passphrase });
export const unlockWithKeychain = () => invoke<KeychainOutcome>('unlock_with_keychain');
export const lockVault = () => invoke<void>('lock_vault');
export type SortKey = 'name' | 'kind' | 'created' | 'expires' | 'status' | 'last_used';

/** Filters, search and order for the inventory; absent fields mean "any". */
export interface CredentialQuery {
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
export const issueToken = (name: string, description: string, expiresOn: string) =>
  invoke<Revealed>('issue_token', { name, description, expiresOn });
export const revokeCredential = (id: number, confirmName: string) =>
  invoke<CredentialRow>('revoke_credential', { id, confirmName });
export const getSettings = () => invoke<Settings>('get_settings');
export const updateSettings = (settings: Settings) =>
  invoke<Settings>('update_settings', { settings });
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
