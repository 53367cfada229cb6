/**
 * Backup schedules: five-field cron expressions (minute hour day-of-month month day-of-week), in
 * UTC, as crontab reads them: `*`, numbers, ranges `a-b`, steps `*\/n` and `a-b/n`, lists `a,b`;
 * day of week 0-7 (0 and 7 are Sunday). When both day fields are restricted, a day matching
 * either runs (crontab's rule). No names (`MON`, `JAN`), no `@daily`, no seconds. Pure.
 */

export interface Cron {
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly days: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly weekdays: ReadonlySet<number>;
  readonly anyDay: boolean;
  readonly anyWeekday: boolean;
}

export class CronError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CronError';
  }
}

const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
] as const;

function parseField(text: string, field: (typeof FIELDS)[number]): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new CronError(`${field.name}: "${part}" is not a number, range, step or *`);
    const from = m[1] === '*' ? field.min : Number(m[2]);
    const to = m[1] === '*' ? field.max : m[3] !== undefined ? Number(m[3]) : m[4] ? field.max : from;
    const step = m[4] ? Number(m[4]) : 1;
    if (from < field.min || to > field.max || from > to) {
      throw new CronError(`${field.name}: "${part}" is outside ${field.min}-${field.max}`);
    }
    if (step < 1) throw new CronError(`${field.name}: the step must be at least 1`);
    for (let v = from; v <= to; v += step) out.add(field.name === 'day of week' && v === 7 ? 0 : v);
  }
  return out;
}

/** @throws CronError saying which field is wrong. */
export function parseCron(expression: string): Cron {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) {
    throw new CronError('must have 5 fields: minute hour day-of-month month day-of-week (UTC)');
  }
  const [minutes, hours, days, months, weekdays] = FIELDS.map((f, i) =>
    parseField(parts[i] as string, f),
  ) as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  return { minutes, hours, days, months, weekdays, anyDay: parts[2] === '*', anyWeekday: parts[4] === '*' };
}

function dayMatches(cron: Cron, d: Date): boolean {
  const dom = cron.days.has(d.getUTCDate());
  const dow = cron.weekdays.has(d.getUTCDay());
  if (cron.anyDay && cron.anyWeekday) return true;
  if (cron.anyDay) return dow;
  if (cron.anyWeekday) return dom;
  return dom || dow;
}

/** The first run strictly after `after` (to the minute), or undefined if none within 5 years. */
export function nextRun(cron: Cron, after: Date): Date | undefined {
  const t = new Date(after.getTime());
  t.setUTCSeconds(0, 0);
  t.setUTCMinutes(t.getUTCMinutes() + 1);
  const limit = after.getTime() + 5 * 366 * 24 * 3600 * 1000;
  while (t.getTime() <= limit) {
    if (!cron.months.has(t.getUTCMonth() + 1)) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1);
      t.setUTCHours(0, 0, 0, 0);
    } else if (!dayMatches(cron, t)) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0, 0, 0);
    } else if (!cron.hours.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
    } else if (!cron.minutes.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
    } else {
      return t;
    }
  }
  return undefined;
}

/** The shortest time a backup schedule may leave between two runs. */
export const MIN_BACKUP_INTERVAL_MINUTES = 60;

/**
 * A backup schedule as the API accepts it: valid, firing at all, and never twice within
 * {@link MIN_BACKUP_INTERVAL_MINUTES} (checked over the next day of runs).
 *
 * @throws CronError with the reason.
 */
export function checkBackupSchedule(expression: string, now: Date): Cron {
  const cron = parseCron(expression);
  let previous = nextRun(cron, now);
  if (!previous) throw new CronError('never runs (no date matches it)');
  const horizon = previous.getTime() + 24 * 3600 * 1000;
  for (let next = nextRun(cron, previous); next && next.getTime() <= horizon; next = nextRun(cron, next)) {
    if (next.getTime() - previous.getTime() < MIN_BACKUP_INTERVAL_MINUTES * 60_000) {
      throw new CronError(`runs more often than every ${MIN_BACKUP_INTERVAL_MINUTES} minutes`);
    }
    previous = next;
  }
  return cron;
}
