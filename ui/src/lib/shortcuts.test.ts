import { describe, expect, it } from 'vitest';
import { commandFor, SECTIONS } from './shortcuts';

const press = (key: string, ctrl = false) => ({ key, ctrlKey: ctrl, metaKey: false, altKey: false });

describe('shortcuts', () => {
  it('maps Ctrl combinations whatever the letter case', () => {
    expect(commandFor(press('n', true), false)).toBe('new');
    expect(commandFor(press('N', true), true)).toBe('new');
    expect(commandFor(press('l', true), true)).toBe('lock');
    expect(commandFor(press('f', true), false)).toBe('search');
    expect(commandFor(press('6', true), false)).toBe('audit');
  });

  it('numbers the sections in the sidebar’s order', () => {
    SECTIONS.forEach(({ section }, index) => expect(commandFor(press(String(index + 1), true), false)).toBe(section));
    expect(SECTIONS.map((s) => s.section)).toEqual([
      'credentials', 'health', 'renewals', 'oauth', 'people', 'audit', 'webhooks', 'api', 'settings',
    ]);
  });

  it('takes bare keys only outside text fields', () => {
    expect(commandFor(press('/'), false)).toBe('search');
    expect(commandFor(press('?'), false)).toBe('help');
    expect(commandFor(press('/'), true)).toBeNull();
    expect(commandFor(press('n'), false)).toBeNull();
  });

  it('leaves Alt combinations to the system', () => {
    expect(commandFor({ key: 'n', ctrlKey: true, metaKey: false, altKey: true }, false)).toBeNull();
  });
});
