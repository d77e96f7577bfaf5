// The UI's one door to the app. Everything that crosses IPC — each command, its arguments and
// result, the events, every error code and the core's limits — is generated from the Rust
// types into bindings.ts; this module adds only what the generation cannot: recognising the
// error a command throws, and one reaction to `vault_locked` for every command.
import { commands as generated, type Code, type IpcError } from './bindings';

export type * from './bindings';
export {
  events,
  LIMITS,
  AUDIT_ACTIONS,
  EXPIRING_SOON_DAYS,
  WEBHOOK_EVENTS,
  LIFETIME_CHOICES,
} from './bindings';

/** Whether `value` is what a failed command throws: `{code, message}`. */
export function isIpcError(value: unknown): value is IpcError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as IpcError).code === 'string' &&
    typeof (value as IpcError).message === 'string'
  );
}

/** Whether `error` is a failed command with this `code`. */
export function hasCode(error: unknown, code: Code): error is IpcError {
  return isIpcError(error) && error.code === code;
}

const lockedListeners = new Set<(code: Code) => void>();

/**
 * Calls `listener` whenever a command finds the vault locked (auto-lock, or a lock from
 * elsewhere), or finds this computer removed from the team vault it works on; returns what
 * stops it.
 */
export function onFoundLocked(listener: (code: Code) => void): () => void {
  lockedListeners.add(listener);
  return () => lockedListeners.delete(listener);
}

/** The codes after which the window cannot go on where it is. */
const LOCKING_CODES: Code[] = ['vault_locked', 'device_not_found'];

type Commands = typeof generated;

/** The generated commands, each telling the lock listeners when it meets a locking code. */
export const commands = Object.fromEntries(
  Object.entries(generated).map(([name, call]) => [
    name,
    async (...args: unknown[]) => {
      try {
        return await (call as (...args: unknown[]) => Promise<unknown>)(...args);
      } catch (error) {
        if (isIpcError(error) && LOCKING_CODES.includes(error.code)) {
          const code = error.code;
          lockedListeners.forEach((listener) => listener(code));
        }
        throw error;
      }
    },
  ]),
) as Commands;
