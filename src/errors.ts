/** One error type for the bridge: a machine-readable code plus the HTTP status it maps to. */
export class BridgeError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus = 500,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'BridgeError';
  }
}
