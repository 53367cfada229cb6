import { dragonflyBlueprint } from './dragonfly.js';
import { mongodbBlueprint } from './mongodb.js';
import { postgresqlBlueprint } from './postgresql.js';
import { qdrantBlueprint } from './qdrant.js';
import { scylladbBlueprint } from './scylladb.js';
import type { Blueprint } from './types.js';
import { valkeyBlueprint } from './valkey.js';
import { yugabytedbBlueprint } from './yugabytedb.js';

/** Every engine Stratus can run, by engine name. Add a blueprint here to offer a new engine. */
export const blueprints: Readonly<Record<string, Blueprint>> = Object.freeze({
  [dragonflyBlueprint.engine]: dragonflyBlueprint,
  [mongodbBlueprint.engine]: mongodbBlueprint,
  [postgresqlBlueprint.engine]: postgresqlBlueprint,
  [qdrantBlueprint.engine]: qdrantBlueprint,
  [scylladbBlueprint.engine]: scylladbBlueprint,
  [valkeyBlueprint.engine]: valkeyBlueprint,
  [yugabytedbBlueprint.engine]: yugabytedbBlueprint,
});

export function getBlueprint(engine: string): Blueprint | undefined {
  return Object.hasOwn(blueprints, engine) ? blueprints[engine] : undefined;
}

export function engineNames(): string[] {
  return Object.keys(blueprints).sort();
}
