import { Logger } from '@aws-lambda-powertools/logger';

/** One logger per function, JSON to stdout; never given secret values. */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName });
}
