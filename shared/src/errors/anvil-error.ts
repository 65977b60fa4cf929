/** The one error type Anvil throws: a stable code, a sentence for people, details for machines. */
export class AnvilError extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>>;
  readonly status: number;

  constructor(code: string, message: string, details: Record<string, unknown> = {}, status = 400, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'AnvilError';
    this.code = code;
    this.details = details;
    this.status = status;
  }

  toJSON(): { code: string; message: string; details: Readonly<Record<string, unknown>> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}
