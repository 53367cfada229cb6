import { dragonflyBlueprint } from './dragonfly.js';
import { withEndpoint } from './endpoints.js';
import { mongodbBlueprint } from './mongodb.js';
import { postgresqlBlueprint } from './postgresql.js';
import { qdrantBlueprint } from './qdrant.js';
import { scylladbBlueprint } from './scylladb.js';
import type { Blueprint } from './types.js';
import { valkeyBlueprint } from './valkey.js';
import { yugabytedbBlueprint } from './yugabytedb.js';

/**
 * Every engine Stratus can run, by engine name. Add a blueprint here to offer a new engine. Each
 * renders its public endpoint's objects too when the spec asks for one (endpoints.ts).
 */
export const blueprints: Readonly<Record<string, Blueprint>> = Object.freeze(
  Object.fromEntries(
    [
      dragonflyBlueprint,
      mongodbBlueprint,
      postgresqlBlueprint,
      qdrantBlueprint,
      scylladbBlueprint,
      valkeyBlueprint,
      yugabytedbBlueprint,
    ].map((b) => [b.engine, withEndpoint(b)]),
  ),
);

export function getBlueprint(engine: string): Blueprint | undefined {
  return Object.hasOwn(blueprints, engine) ? blueprints[engine] : undefined;
}

export function engineNames(): string[] {
  return Object.keys(blueprints).sort();
}
