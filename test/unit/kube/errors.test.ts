import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { classifyKubeError, KubeApiError } from '../../../functions/shared/kube/errors.js';

const status = (code: number, reason: string, message = 'boom') =>
  new ApiException(
    code,
    'Unsuccessful HTTP Request',
    JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code }),
    {},
  );

describe('Function: classifyKubeError', () => {
  it.each([
    [429, 'TooManyRequests', true],
    [500, 'InternalError', true],
    [503, 'ServiceUnavailable', true],
    [504, 'Timeout', true],
    [400, 'BadRequest', false],
    [403, 'Forbidden', false],
    [404, 'NotFound', false],
    [409, 'Conflict', false],
    [422, 'Invalid', false],
  ])('HTTP %i %s -> retryable %s', (code, reason, retryable) => {
    // Act
    const err = classifyKubeError(status(code, reason));

    // Assess
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err).toMatchObject({ name: 'KubeApiError', status: code, reason, retryable, unauthorized: false });
    expect(err?.cause).toBeInstanceOf(ApiException);
  });

  it('flags 401 as unauthorized (refresh the token once), not retryable as such', () => {
    expect(classifyKubeError(status(401, 'Unauthorized'))).toMatchObject({
      unauthorized: true,
      retryable: false,
    });
  });

  it('parses the Status body that client-node 1.4 keeps as a string', () => {
    const err = classifyKubeError(status(404, 'NotFound', 'statefulsets.apps "db" not found'));
    expect(err?.message).toContain('statefulsets.apps "db" not found');
  });

  it('copes with a body that is not a Status', () => {
    const err = classifyKubeError(new ApiException(502, 'Bad Gateway', '<html>bad gateway</html>', {}));
    expect(err).toMatchObject({ status: 502, reason: 'Unknown', retryable: true });
  });

  it.each(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT'])('treats network error %s as retryable', (code) => {
    const err = classifyKubeError(Object.assign(new Error(`connect ${code}`), { name: 'FetchError', code }));
    expect(err).toMatchObject({ status: undefined, reason: code, retryable: true });
  });

  it('finds the network code on a wrapped cause', () => {
    const cause = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(classifyKubeError(new Error('request failed', { cause }))).toMatchObject({ retryable: true });
  });

  it('treats an aborted (timed out) request as retryable', () => {
    const abort = new Error('The operation was aborted.');
    abort.name = 'AbortError';
    expect(classifyKubeError(abort)).toMatchObject({ reason: 'Timeout', retryable: true });
  });

  it('returns undefined for errors that did not come from Kubernetes', () => {
    expect(classifyKubeError(new TypeError('x is undefined'))).toBeUndefined();
    expect(classifyKubeError('string')).toBeUndefined();
  });

  it('returns a KubeApiError unchanged', () => {
    const err = new KubeApiError('x', { reason: 'UnknownKind', retryable: false });
    expect(classifyKubeError(err)).toBe(err);
  });
});
