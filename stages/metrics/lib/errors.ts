// Expected failures of the metrics: input that cannot be scored as given (too few samples for the delays,
// mismatched shapes, NaN, a malformed file). The CLI maps them to exit 2 with the message alone; a stage
// lets them fail the instance with the same message. Anything else thrown is a bug.
export class MetricInputError extends Error {
  override readonly name = 'MetricInputError';
}

/** Throws a MetricInputError unless `ok`. */
export function check(ok: boolean, message: () => string): asserts ok {
  if (!ok) throw new MetricInputError(message());
}
