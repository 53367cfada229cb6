/**
 * CDK template assertions as vitest matchers: `expect(template).toHaveResourceProperties(...)`.
 * `Template.hasResourceProperties` and friends throw on a mismatch, which vitest does not count
 * as an assertion (`expect.requireAssertions` would fail a test made only of them); as matchers
 * they count, and keep CDK's message (the closest resource and what differs).
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { expect } from 'vitest';

interface CdkTemplateMatchers<R = unknown> {
  /** `Template.hasResourceProperties`: some resource of `type` has these properties (a Match pattern). */
  toHaveResourceProperties(type: string, props: unknown): R;
  /** `Template.hasResource`: some resource of `type` matches, attributes such as DeletionPolicy included. */
  toHaveResource(type: string, props: unknown): R;
  /** `Template.resourceCountIs`: exactly `count` resources of `type`. */
  toHaveResourceCount(type: string, count: number): R;
}

declare module 'vitest' {
  // biome-ignore lint/suspicious/noExplicitAny: the type parameter as vitest declares it
  interface Matchers<T = any> extends CdkTemplateMatchers<T> {}
}

function isTemplate(received: unknown): received is Template {
  // Duck-typed, so that this setup file does not load aws-cdk-lib into every test file.
  return typeof (received as Partial<Template> | null)?.hasResourceProperties === 'function';
}

function check(received: unknown, assert: (t: Template) => void, what: string) {
  if (!isTemplate(received)) {
    return { pass: false, message: () => `expected a CDK Template, received ${typeof received}` };
  }
  try {
    assert(received);
    return { pass: true, message: () => `expected the template not to have ${what}` };
  } catch (e) {
    return { pass: false, message: () => (e as Error).message };
  }
}

expect.extend({
  toHaveResourceProperties(received: unknown, type: string, props: unknown) {
    return check(received, (t) => t.hasResourceProperties(type, props), `a ${type} with these properties`);
  },
  toHaveResource(received: unknown, type: string, props: unknown) {
    return check(received, (t) => t.hasResource(type, props), `a ${type} like this`);
  },
  toHaveResourceCount(received: unknown, type: string, count: number) {
    return check(received, (t) => t.resourceCountIs(type, count), `${count} ${type}`);
  },
});
