// The keyboard shortcuts of the main window, in one table: the help overlay lists it and the
// shell matches key presses against it.

/** The window's sections, in the sidebar's order: Ctrl+1 to Ctrl+9 follow it. */
export const SECTIONS = [
  { section: 'credentials', label: 'Credentials', does: 'Credentials' },
  { section: 'health', label: 'Health', does: 'Health: credentials that deserve a look' },
  { section: 'renewals', label: 'Renewals', does: 'Renewals' },
  { section: 'oauth', label: 'OAuth apps', does: 'OAuth apps and the requests waiting' },
  { section: 'people', label: 'People', does: 'People' },
  { section: 'audit', label: 'Audit log', does: 'Audit log' },
  { section: 'webhooks', label: 'Webhooks', does: 'Webhooks (the account holder’s)' },
  { section: 'api', label: 'API', does: 'The API documentation (for those with API access)' },
  { section: 'settings', label: 'Settings', does: 'Settings' },
] as const;

export type Section = (typeof SECTIONS)[number]['section'];

export type Command = 'new' | 'search' | 'lock' | 'help' | Section;

/** The shortcut that shows `section`: its place in the sidebar. */
export const sectionKey = (section: Section) => `Ctrl+${SECTIONS.findIndex((s) => s.section === section) + 1}`;

export const SHORTCUTS: { command: Command; keys: string[]; does: string }[] = [
  { command: 'new', keys: ['Ctrl+N'], does: 'New credential' },
  { command: 'search', keys: ['Ctrl+F', '/'], does: 'Search the credentials' },
  { command: 'lock', keys: ['Ctrl+L'], does: 'Lock the vault' },
  ...SECTIONS.map(({ section, does }) => ({ command: section, keys: [sectionKey(section)], does })),
  { command: 'help', keys: ['?'], does: 'This list of shortcuts' },
];

/** Keys handled in place, listed in the overlay but not matched here. */
export const LOCAL_KEYS: { keys: string[]; does: string }[] = [
  { keys: ['↑', '↓', 'Page Up', 'Page Down', 'Home', 'End'], does: 'Move through a list' },
  { keys: ['Enter'], does: 'Open the credential under the cursor' },
  { keys: ['Escape'], does: 'Close the topmost dialog, menu or panel' },
];

/** What a key press means, or null. Bare keys (/ and ?) count only outside text fields. */
export function commandFor(
  event: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey'>,
  typing: boolean,
): Command | null {
  const ctrl = event.ctrlKey || event.metaKey;
  if (event.altKey) return null;
  const pressed = ctrl ? `Ctrl+${event.key.length === 1 ? event.key.toUpperCase() : event.key}` : event.key;
  if (!ctrl && typing) return null;
  return SHORTCUTS.find((s) => s.keys.includes(pressed))?.command ?? null;
}

/** Whether the element takes typed text (so bare keys are its, not shortcuts). */
export function takesText(element: Element | null): boolean {
  if (!element) return false;
  if (element instanceof HTMLTextAreaElement) return true;
  if (element instanceof HTMLInputElement) {
    return !['checkbox', 'radio', 'button', 'submit', 'range', 'color', 'file'].includes(element.type);
  }
  return element instanceof HTMLElement && element.isContentEditable;
}
