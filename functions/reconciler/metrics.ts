/**
 * CloudWatch embedded metric format: a log line that CloudWatch Logs also turns into metrics,
 * with no SDK call and no extra dependency. Spread the result into a structured log entry.
 */
export function embeddedMetrics(
  namespace: string,
  dimensions: Readonly<Record<string, string>>,
  counts: Readonly<Record<string, number>>,
  timestamp: number = Date.now(),
): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [Object.keys(dimensions)],
          Metrics: Object.keys(counts).map((Name) => ({ Name, Unit: 'Count' })),
        },
      ],
    },
    ...dimensions,
    ...counts,
  };
}
