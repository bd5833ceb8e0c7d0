/** A log method: fields then a message, or a message alone (pino's shape). */
export type LogMethod = (fieldsOrMessage: object | string, message?: string) => void;

/**
 * What the executor API logs through. A pino logger fits it; an SDK user who
 * passes nothing gets SILENT_LOG.
 */
export interface ExecutorLog {
  readonly debug: LogMethod;
  readonly info: LogMethod;
  readonly warn: LogMethod;
  readonly error: LogMethod;
  child(bindings: Record<string, unknown>): ExecutorLog;
}

const nothing: LogMethod = () => {};

export const SILENT_LOG: ExecutorLog = {
  debug: nothing,
  info: nothing,
  warn: nothing,
  error: nothing,
  child: () => SILENT_LOG,
};
