import { qdrantBlueprint } from './qdrant.js';
import type { Blueprint } from './types.js';

/** Every engine Stratus can run, by engine name. Add a blueprint here to offer a new engine. */
export const blueprints: Readonly<Record<string, Blueprint>> = Object.freeze({
  [qdrantBlueprint.engine]: qdrantBlueprint,
});

export function getBlueprint(engine: string): Blueprint | undefined {
  return Object.hasOwn(blueprints, engine) ? blueprints[engine] : undefined;
}

export function engineNames(): string[] {
  return Object.keys(blueprints).sort();
}
