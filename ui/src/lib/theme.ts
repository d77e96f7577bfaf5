// Light or dark: the OS's choice (prefers-color-scheme, followed as it changes) unless the
// user picked one in Settings. The choice is this desktop's, not the vault's, so it lives in
// localStorage. The root element's `data-theme` is always the resolved `light` or `dark`.

export type Theme = 'system' | 'light' | 'dark';
export const THEMES: { theme: Theme; label: string }[] = [
  { theme: 'system', label: 'Follow the system' },
  { theme: 'light', label: 'Light' },
  { theme: 'dark', label: 'Dark' },
];

const KEY = 'keysmith.theme';
const DARK = '(prefers-color-scheme: dark)';

/** The saved choice; `system` when none (or an unknown one) is saved. */
export function savedTheme(storage: Pick<Storage, 'getItem'> = localStorage): Theme {
  const value = storage.getItem(KEY);
  return value === 'light' || value === 'dark' ? value : 'system';
}

/** What `theme` looks like when the OS prefers dark or not. */
export function resolveTheme(theme: Theme, systemDark: boolean): 'light' | 'dark' {
  if (theme !== 'system') return theme;
  return systemDark ? 'dark' : 'light';
}

function show() {
  const resolved = resolveTheme(savedTheme(), matchMedia(DARK).matches);
  document.documentElement.dataset.theme = resolved;
  // The API section's renderer (Swagger UI) draws its dark theme under this class.
  document.documentElement.classList.toggle('dark-mode', resolved === 'dark');
}

/** Saves `theme` and shows it. */
export function applyTheme(theme: Theme) {
  localStorage.setItem(KEY, theme);
  show();
}

/** Shows the saved theme and follows the OS's changes while it is `system`. */
export function followTheme() {
  show();
  matchMedia(DARK).addEventListener('change', show);
}
