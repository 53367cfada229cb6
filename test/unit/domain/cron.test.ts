import { describe, expect, it } from 'vitest';
import { checkBackupSchedule, nextRun, parseCron } from '../../../functions/shared/domain/cron.js';

const at = (iso: string) => new Date(iso);
const next = (expr: string, after: string) => nextRun(parseCron(expr), at(after))?.toISOString();

describe('Function: nextRun', () => {
  it.each([
    ['0 * * * *', '2026-11-22T10:00:00.000Z', '2026-11-22T11:00:00.000Z'],
    ['0 * * * *', '2026-11-22T10:59:59.999Z', '2026-11-22T11:00:00.000Z'],
    ['30 2 * * *', '2026-11-22T10:00:00.000Z', '2026-11-23T02:30:00.000Z'],
    ['15 */6 * * *', '2026-11-22T06:15:00.000Z', '2026-11-22T12:15:00.000Z'],
    ['0 3 1 * *', '2026-11-22T10:00:00.000Z', '2026-12-01T03:00:00.000Z'],
    ['0 0 * * 0', '2026-11-22T10:00:00.000Z', '2026-11-29T00:00:00.000Z'], // 2026-11-22 is a Sunday
    ['0 0 * * 7', '2026-11-22T10:00:00.000Z', '2026-11-29T00:00:00.000Z'],
    ['0 0 1 * 1', '2026-11-22T10:00:00.000Z', '2026-11-23T00:00:00.000Z'], // day of month OR day of week
    ['0 12 29 2 *', '2026-11-22T10:00:00.000Z', '2028-02-29T12:00:00.000Z'],
    ['0 0 1-7/3 12 *', '2026-11-22T10:00:00.000Z', '2026-12-01T00:00:00.000Z'],
    ['5,35 1 * * *', '2026-11-22T01:05:00.000Z', '2026-11-22T01:35:00.000Z'],
  ])('%s after %s is %s', (expr, after, expected) => {
    expect(next(expr, after)).toBe(expected);
  });

  it('finds no run for a date that never exists', () => {
    expect(next('0 0 31 2 *', '2026-11-22T10:00:00.000Z')).toBeUndefined();
  });
});

describe('Function: parseCron', () => {
  it.each([
    ['0 * * *', /5 fields/],
    ['60 * * * *', /minute.*outside 0-59/],
    ['0 24 * * *', /hour/],
    ['0 0 0 * *', /day of month/],
    ['0 0 * 13 *', /month/],
    ['0 0 * * 8', /day of week/],
    ['0 0 * * MON', /day of week.*not a number/],
    ['*/0 * * * *', /step/],
    ['5-1 * * * *', /outside/],
  ])('refuses %s', (expr, message) => {
    expect(() => parseCron(expr)).toThrow(message);
  });
});

describe('Function: checkBackupSchedule', () => {
  const now = at('2026-11-22T10:00:00.000Z');

  it('accepts hourly and rarer schedules', () => {
    expect(() => checkBackupSchedule('0 * * * *', now)).not.toThrow();
    expect(() => checkBackupSchedule('0 0,12 * * *', now)).not.toThrow();
  });

  it('refuses schedules more frequent than hourly, and schedules that never run', () => {
    expect(() => checkBackupSchedule('*/30 * * * *', now)).toThrow(/more often than every 60 minutes/);
    expect(() => checkBackupSchedule('0,30 3 * * *', now)).toThrow(/more often/);
    expect(() => checkBackupSchedule('0 0 30 2 *', now)).toThrow(/never runs/);
  });
});
