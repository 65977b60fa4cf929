import { statusOf, type ErrorCode } from './catalogue';

/**
 * The one error type Anvil throws: a stable code, a sentence for people, details for machines. The code is
 * one of the catalogue (./catalogue.ts), which also gives the HTTP status unless the call site passes its own.
 */
export class AnvilError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;
  readonly status: number;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, status: number = statusOf(code), cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'AnvilError';
    this.code = code;
    this.details = details;
    this.status = status;
  }

  toJSON(): { code: ErrorCode; message: string; details: Readonly<Record<string, unknown>> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}
