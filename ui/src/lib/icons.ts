// The icons of kinds and statuses, from one icon set (lucide), so each reads the same
// everywhere it appears.
import {
  Ban,
  Bot,
  Building2,
  CircleCheck,
  CirclePause,
  Clock,
  Hourglass,
  KeyRound,
  KeySquare,
  Plug,
  RefreshCw,
  LockKeyhole,
  ShieldCheck,
  ShieldX,
  Repeat,
  Timer,
} from '@lucide/svelte';
import type { Status, TokenKind } from './ipc';

export const KIND_ICONS: Record<TokenKind, typeof KeyRound> = {
  personal_access_token: KeyRound,
  api_client: Bot,
  client_credentials: KeySquare,
  organization_token: Building2,
  verifier: ShieldCheck,
  access_token: Timer,
  oauth_access_token: Plug,
  oauth_refresh_token: RefreshCw,
  oauth_client_secret: LockKeyhole,
};

export const STATUS_ICONS: Record<Status, typeof KeyRound> = {
  active: CircleCheck,
  expiring_soon: Hourglass,
  superseded: Repeat,
  blocked: ShieldX,
  disabled: CirclePause,
  expired: Clock,
  revoked: Ban,
};

/** The id of a kind's symbol in IconSprite, for `<use href="#…">`. */
export const kindSymbol = (kind: TokenKind) => `icon-kind-${kind}`;
/** The id of a status's symbol in IconSprite. */
export const statusSymbol = (status: Status) => `icon-status-${status}`;
/** The id of the row menu's (⋯) symbol in IconSprite. */
export const MENU_SYMBOL = 'icon-row-menu';
