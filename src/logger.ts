// One small structured logger for every layer: JSON lines on stderr, each line passed through redaction so that no
// token, password or Authorization header can reach a log, whatever a caller puts in it.
import { redactValue } from './ucwa/redact';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogSink = (line: string) => void;

export class JsonLogger implements Logger {
  constructor(
    private readonly level: LogLevel = 'info',
    private readonly sink: LogSink = (line) => process.stderr.write(`${line}\n`),
    private readonly base: Record<string, unknown> = {},
  ) {}

  debug(message: string, fields?: Record<string, unknown>): void {
    this.write('debug', message, fields);
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.write('info', message, fields);
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.write('warn', message, fields);
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.write('error', message, fields);
  }

  child(fields: Record<string, unknown>): Logger {
    return new JsonLogger(this.level, this.sink, { ...this.base, ...fields });
  }

  private write(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    if (ORDER[level] < ORDER[this.level]) return;
    const entry: Record<string, unknown> = { time: new Date().toISOString(), level, message, ...this.base, ...fields };
    for (const [k, v] of Object.entries(entry)) if (v instanceof Error) entry[k] = errorFields(v);
    this.sink(JSON.stringify(redactValue(entry)));
  }
}

/**
 * An error as log fields: name, message, code, the stack (where it happened is what makes an error line useful;
 * capped, and redacted with the rest of the line) and, one level deep, its cause.
 */
function errorFields(err: Error, depth = 0): Record<string, unknown> {
  const fields: Record<string, unknown> = { name: err.name, message: err.message };
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') fields.code = code;
  if (err.stack) fields.stack = err.stack.split('\n').slice(1, MAX_STACK_FRAMES + 1).map((l) => l.trim()).join('\n');
  if (err.cause instanceof Error && depth === 0) fields.cause = errorFields(err.cause, 1);
  return fields;
}

const MAX_STACK_FRAMES = 12;

/** A logger that drops everything (tests, the CLI's quiet mode). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
