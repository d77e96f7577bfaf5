// User Timing marks that scripts/bench-window reads through WebDriver: when an unlock was
// asked for, when a search keystroke came in, and when the rows they led to were painted. Each
// name keeps only its latest mark, so a long session does not pile them up.

/** The marks' names. */
export const MARK = {
  /** The passphrase was submitted. */
  unlock: 'keysmith:unlock',
  /** A keystroke changed the search text. */
  keystroke: 'keysmith:keystroke',
  /** The first page of a new listing was painted. */
  rows: 'keysmith:rows',
} as const;

/** Marks `name` now, in place of its previous mark. */
export function mark(name: string) {
  performance.clearMarks(name);
  performance.mark(name);
}

/** Marks `name` once the frame being prepared now has been painted. */
export function markAfterPaint(name: string) {
  // A frame's callbacks run before its paint; a task queued from one runs after it.
  requestAnimationFrame(() => setTimeout(() => mark(name), 0));
}
