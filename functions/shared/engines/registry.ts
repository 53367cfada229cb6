import { dragonflyBlueprint } from './dragonfly.js';
import { postgresqlBlueprint } from './postgresql.js';
import { qdrantBlueprint } from './qdrant.js';
import type { Blueprint } from './types.js';
import { valkeyBlueprint } from './valkey.js';

/** Every engine Stratus can run, by engine name. Add a blueprint here to offer a new engine. */
export const blueprints: Readonly<Record<string, Blueprint>> = Object.freeze({
  [dragonflyBlueprint.engine]: dragonflyBlueprint,
  [postgresqlBlueprint.engine]: postgresqlBlueprint,
  [qdrantBlueprint.engine]: qdrantBlueprint,
  [valkeyBlueprint.engine]: valkeyBlueprint,
});

export function getBlueprint(engine: string): Blueprint | undefined {
  return Object.hasOwn(blueprints, engine) ? blueprints[engine] : undefined;
}

export function engineNames(): string[] {
  return Object.keys(blueprints).sort();
}
