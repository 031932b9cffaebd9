/** An error the caller caused (unknown transport, producer of someone else...), as opposed to a crash. */
export class MediaError extends Error {
  constructor(
    readonly code: 'not_found' | 'bad_request',
    message: string,
  ) {
    super(message);
  }
}
