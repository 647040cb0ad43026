import { describe, expect, it } from 'vitest';
import { formatNumber } from '../../src/shared/format.js';
import { hasDeprioritizedWarning, median } from '../../src/shared/report-facts.js';

describe('the faces’ shared number formatting and report facts', () => {
  it('formats with fixed decimals, exponents for tiny and huge values, a dash for none', () => {
    expect(formatNumber(0.12345)).toBe('0.123');
    expect(formatNumber(-2.5, 1)).toBe('-2.5');
    expect(formatNumber(0)).toBe('0.000');
    expect(formatNumber(0.0004321)).toBe('4.32e-4');
    expect(formatNumber(123456)).toBe('1.23e+5');
    expect(formatNumber(null)).toBe('–');
    expect(formatNumber(undefined)).toBe('–');
    expect(formatNumber(Number.NaN)).toBe('–');
  });

  it('takes the median of odd and even counts without reordering its input', () => {
    const xs = [3, 1, 2];
    expect(median(xs)).toBe(2);
    expect(xs).toEqual([3, 1, 2]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('calls a behavior deprioritized exactly when the analysis warned so', () => {
    expect(hasDeprioritizedWarning({ warnings: [{ kind: 'low-distinguishability' }] })).toBe(false);
    expect(hasDeprioritizedWarning({ warnings: [{ kind: 'deprioritized' }] })).toBe(true);
    expect(hasDeprioritizedWarning({ warnings: [] })).toBe(false);
  });
});
