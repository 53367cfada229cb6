/**
 * engines.json of the console (console/build.mjs runs this at build time): each engine's versions
 * and settings schema, as JSON Schema converted from the blueprint's zod schema, which is the one
 * the API validates `settings` with. The API has no engines endpoint, so the create form is
 * generated from the same source as the API rather than from a copy.
 */
import * as z from 'zod';
import { blueprints } from '../functions/shared/engines/registry.js';

export function enginesManifest(): { engines: unknown[] } {
  return {
    engines: Object.values(blueprints)
      .map((b) => ({
        engine: b.engine,
        versions: b.versions,
        settingsSchema: z.toJSONSchema(b.settingsSchema as z.ZodType, { io: 'input' }),
      }))
      .sort((a, b) => a.engine.localeCompare(b.engine)),
  };
}
