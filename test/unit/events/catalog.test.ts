import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EVENT_CATALOG } from '../../../functions/shared/events/catalog.js';
import { compilePattern } from '../../../local/events/pattern.js';
import { detailTypes, exampleEvent, renderEventArtifacts, ruleExample } from '../../../scripts/event-docs.js';
import { eventValidator } from './validator.js';

describe('Event catalog', () => {
  describe('Method: renderEventArtifacts', () => {
    it.each([...renderEventArtifacts()])(
      'has %s committed and up to date (npm run gen:events)',
      (path, content) => {
        // Prepare
        let committed: string | undefined;
        try {
          committed = readFileSync(path, 'utf8');
        } catch {
          committed = undefined;
        }
        // Assess
        expect(committed, `${path} is stale or missing: run \`npm run gen:events\` and commit it`).toBe(
          content,
        );
      },
    );
  });

  describe('Examples', () => {
    const validate = eventValidator();

    it.each(detailTypes())('validates the example of %s against its published and exact schema', (dt) => {
      // Prepare
      const event = exampleEvent(dt);
      // Assess
      expect(validate.published(event)).toBeUndefined();
      expect(validate.exact(event)).toBeUndefined();
      expect(EVENT_CATALOG[dt].schema.parse(event.detail)).toEqual(event.detail);
    });

    it.each(detailTypes())('documents a rule pattern for %s that matches its example', (dt) => {
      expect(compilePattern(ruleExample(dt).pattern)(exampleEvent(dt))).toBe(true);
    });

    it('rejects events that break the contract', () => {
      // Prepare
      const example = exampleEvent('Operation Status Changed');
      const detail = example.detail as Record<string, unknown>;
      const broken = [
        { ...example, detail: { ...detail, status: 'DONE' } },
        { ...example, detail: { ...detail, eventId: undefined } },
        { ...example, source: 'someone.else' },
        { ...example, 'detail-type': 'Operation Status Changed!' },
      ];
      // Assess
      for (const event of broken) expect(validate.published(JSON.parse(JSON.stringify(event)))).toBeDefined();
    });

    it('accepts unknown fields in the published schema but not in the exact one', () => {
      // Prepare
      const example = exampleEvent('Cluster Status Changed');
      const event = {
        ...example,
        'replay-name': 'replay-1',
        detail: { ...(example.detail as object), addedLater: 1 },
      };
      // Assess
      expect(validate.published(event)).toBeUndefined();
      expect(validate.exact(event)).toMatch(/additional properties/);
    });
  });
});
