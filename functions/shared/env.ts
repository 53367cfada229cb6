import * as z from 'zod';

/**
 * The environment of a function, read once at cold start. Each function declares what it reads
 * as a zod object over the variable names (`functions/<function>/env.ts`); the keys are the ones
 * functions/topology.ts gives the function, plus the few the local runtime alone sets
 * (test/unit/env/env.test.ts holds the two together). `readEnv` returns the typed, parsed values
 * or throws one `EnvError` that names every missing or invalid variable, not only the first.
 */
export type EnvSchema = z.ZodObject;

/** One variable that is missing or does not parse, and what it should be. */
export interface EnvProblem {
  readonly variable: string;
  /** `missing`: not set at all; `invalid`: set, but not what the schema expects. */
  readonly kind: 'missing' | 'invalid';
  readonly expected: string;
}

export class EnvError extends Error {
  constructor(
    readonly problems: readonly EnvProblem[],
    options?: ErrorOptions,
  ) {
    super(
      `The function's environment has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems
        .map((p) => `- ${p.variable}: ${p.kind}, expected ${p.expected}`)
        .join('\n')}`,
      options,
    );
    this.name = 'EnvError';
  }
}

/** Parses `env` (the process's by default) with `schema`; throws an `EnvError` listing every problem. */
export function readEnv<S extends EnvSchema>(
  schema: S,
  env: Readonly<Record<string, string | undefined>> = process.env,
): z.output<S> {
  // Only the declared variables: strict about values, blind to the rest of the environment.
  const input = Object.fromEntries(Object.keys(schema.shape).map((k) => [k, env[k]]));
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new EnvError(problemsOf(parsed.error, env), { cause: parsed.error });
}

function problemsOf(error: z.ZodError, env: Readonly<Record<string, string | undefined>>): EnvProblem[] {
  const byVariable = new Map<string, { kind: EnvProblem['kind']; expected: string[] }>();
  for (const issue of error.issues) {
    const [head, ...rest] = issue.path;
    const variable = String(head ?? '(environment)');
    const kind = head !== undefined && env[variable] === undefined ? 'missing' : 'invalid';
    const where = rest.length > 0 ? ` at ${rest.map(String).join('.')}` : '';
    const entry = byVariable.get(variable) ?? { kind, expected: [] };
    entry.expected.push(`${expectedOf(issue)}${where}`);
    byVariable.set(variable, entry);
  }
  return [...byVariable].map(([variable, { kind, expected }]) => ({
    variable,
    kind,
    expected: expected.join('; '),
  }));
}

/**
 * What was expected: the schema's own message (`z.string('a JSON string')`), or, for zod's
 * defaults ("Invalid input: expected string, received undefined"), the expected type or values.
 */
function expectedOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_value')
    return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  if (issue.code === 'invalid_type' && issue.message.startsWith('Invalid input'))
    return `a ${issue.expected}`;
  return issue.message;
}

/** A required variable: set and not blank (surrounding blanks are trimmed, as Powertools did). */
export const requiredString = () => z.string('a string').trim().min(1, 'a non-empty string');

/** `a,b,c` -> `['a', 'b', 'c']`, blanks dropped; at least one item. */
export const commaList = () =>
  z
    .string('a comma-separated list')
    .transform((raw) =>
      raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string()).min(1, 'a comma-separated list of at least one item'));

/** A comma-separated list that may be unset or empty: `[]` then. */
export const optionalCommaList = () =>
  z
    .string()
    .optional()
    .transform((raw) =>
      (raw ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );

/** A JSON value, then `schema` over it: the structured variables reuse their parsers' schemas. */
export function json<T extends z.ZodType>(schema: T) {
  return z
    .string('a JSON string')
    .transform((raw, ctx): unknown => {
      try {
        return JSON.parse(raw);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'valid JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

/** `true` or `false`. */
export const booleanString = () => z.enum(['true', 'false']).transform((v) => v === 'true');

/** How the Kubernetes functions authenticate: EKS tokens in AWS, a kubeconfig locally. */
export const kubeAuth = () => z.enum(['eks', 'kubeconfig']).default('eks');
