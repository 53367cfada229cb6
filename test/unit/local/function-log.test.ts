import { describe, expect, it } from 'vitest';
import { functionLogLine } from '../../../local/runtime/control-plane.js';

describe('Function: functionLogLine', () => {
  it("puts the function and region in front of a function's JSON log line, keeping its fields", () => {
    // Act
    const line = functionLogLine(
      'provisioner',
      'eu-west-1',
      '{"level":"INFO","message":"applied","correlationId":"corr-abcdefgh"}',
      'stdout',
    );

    // Assess
    expect(JSON.parse(line)).toEqual({
      function: 'provisioner',
      region: 'eu-west-1',
      level: 'INFO',
      message: 'applied',
      correlationId: 'corr-abcdefgh',
    });
    expect(Object.keys(JSON.parse(line)).slice(0, 2)).toEqual(['function', 'region']);
  });

  it('keeps any other text as the message of a JSON line, with the stream it came on', () => {
    expect(JSON.parse(functionLogLine('api', 'us-east-1', 'Warning: something [1, 2]', 'stderr'))).toEqual({
      function: 'api',
      region: 'us-east-1',
      stream: 'stderr',
      message: 'Warning: something [1, 2]',
    });
    expect(JSON.parse(functionLogLine('api', 'us-east-1', '[1,2]', 'stdout'))).toMatchObject({
      message: '[1,2]',
    });
  });
});
