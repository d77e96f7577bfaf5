import { describe, expect, it } from 'vitest';
import { resolveTheme, savedTheme } from './theme';

describe('theme', () => {
  it('follows the system unless a choice overrides it', () => {
    expect(resolveTheme('system', true)).toBe('dark');
    expect(resolveTheme('system', false)).toBe('light');
    expect(resolveTheme('light', true)).toBe('light');
    expect(resolveTheme('dark', false)).toBe('dark');
  });

  it('reads an unknown saved value as system', () => {
    expect(savedTheme({ getItem: () => 'sepia' })).toBe('system');
    expect(savedTheme({ getItem: () => null })).toBe('system');
    expect(savedTheme({ getItem: () => 'dark' })).toBe('dark');
  });
});
