/**
 * The port through which core talks to whoever runs it. The CLI renders it with spinners,
 * colours and prompts; a Lambda writes it to the structured logger; tests record it.
 */
export interface Progress {
  /** Replaces the progress line (a spinner on a TTY, nothing or a log line elsewhere). */
  update(text: string): void;
  succeed(text?: string): void;
  fail(text?: string): void;
  stop(): void;
}

export interface ConfirmOptions {
  /** Answer taken when the operator just presses enter. */
  default?: boolean;
  /** When set, the operator must type this exact text (e.g. the environment's name). */
  typeToConfirm?: string;
}

export interface Choice<T> {
  value: T;
  label: string;
}

export interface Reporter {
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  /** Lines for verbose mode only (request ids, timings). */
  debug(message: string, data?: Record<string, unknown>): void;
  progress(text: string): Progress;
  /**
   * Asks for confirmation. Returns true when confirmed (or `--yes`); false when declined.
   * Throws a usage error when nobody can answer (no TTY and no `--yes`).
   */
  confirm(question: string, options?: ConfirmOptions): Promise<boolean>;
  /** Lets the operator pick one of several; without a TTY returns `fallback`. */
  choose<T>(question: string, choices: readonly Choice<T>[], fallback: T): Promise<T>;
}

const noProgress: Progress = { update() {}, succeed() {}, fail() {}, stop() {} };

/** A reporter that says nothing and confirms everything: for tests and unattended runs. */
export const silentReporter: Reporter = {
  info() {},
  warn() {},
  debug() {},
  progress: () => noProgress,
  confirm: async () => true,
  choose: async (_q, _c, fallback) => fallback,
};

/** The same reporter with some of its methods replaced (the others delegate to it). */
export function overrideReporter(base: Reporter, overrides: Partial<Reporter>): Reporter {
  return {
    info: (message, data) => base.info(message, data),
    warn: (message, data) => base.warn(message, data),
    debug: (message, data) => base.debug(message, data),
    progress: (text) => base.progress(text),
    confirm: (question, options) => base.confirm(question, options),
    choose: (question, choices, fallback) => base.choose(question, choices, fallback),
    ...overrides,
  };
}

/**
 * The same reporter, but confirming everything and taking every default: for steps that only
 * touch the local emulator (the demo), where nobody needs to be asked.
 */
export const unattended = (reporter: Reporter): Reporter =>
  overrideReporter(reporter, { confirm: async () => true, choose: async (_question, _choices, fallback) => fallback });
