// The CLI's Reporter: spinners and prompts on a TTY, plain lines elsewhere, always on stderr
// so stdout carries only data.
import { confirm as confirmPrompt, input as inputPrompt, select as selectPrompt } from "@inquirer/prompts";
import chalk from "chalk";
import ora from "ora";
import { ErrorCode, TraceError } from "../core/errors";
import type { Choice, ConfirmOptions, Progress, Reporter } from "../core/reporter";

export interface TerminalOptions {
  verbose: boolean;
  yes: boolean;
  /** stderr is a terminal and we are not in CI: spinners allowed. */
  interactiveOutput: boolean;
  /** stdin and stderr are terminals: prompts allowed. */
  interactiveInput: boolean;
  stream?: NodeJS.WritableStream;
}

export function detectTerminal(env: NodeJS.ProcessEnv = process.env) {
  const ci = Boolean(env.CI) && env.CI !== "false";
  const errTty = Boolean(process.stderr.isTTY);
  return {
    // A pseudo-terminal that reports no width makes spinners redraw without end: plain lines there.
    interactiveOutput: errTty && !ci && env.TERM !== "dumb" && (process.stderr.columns ?? 0) > 0,
    interactiveInput: errTty && Boolean(process.stdin.isTTY) && !ci,
  };
}

function isPromptExit(error: unknown): boolean {
  return error instanceof Error && (error.name === "ExitPromptError" || error.name === "AbortPromptError");
}

export class TerminalReporter implements Reporter {
  private readonly stream: NodeJS.WritableStream;
  private active: ReturnType<typeof ora> | undefined;

  constructor(private readonly options: TerminalOptions) {
    this.stream = options.stream ?? process.stderr;
  }

  private line(text: string): void {
    // A running spinner owns the last line: clear it, write, and let it redraw.
    if (this.active?.isSpinning) {
      this.active.clear();
      this.stream.write(`${text}\n`);
      this.active.render();
    } else {
      this.stream.write(`${text}\n`);
    }
  }

  info(message: string): void {
    this.line(message);
  }

  warn(message: string): void {
    this.line(chalk.yellow(`warning: ${message}`));
  }

  debug(message: string, data?: Record<string, unknown>): void {
    if (!this.options.verbose) return;
    this.line(chalk.dim(data ? `${message} ${JSON.stringify(data)}` : message));
  }

  progress(text: string): Progress {
    if (!this.options.interactiveOutput) {
      // Plain mode: no redraws; only the outcome is worth a line.
      return {
        update: () => {},
        succeed: (t) => this.line(`${chalk.green("✔")} ${t ?? text}`),
        fail: (t) => this.line(`${chalk.red("✖")} ${t ?? text}`),
        stop: () => {},
      };
    }
    const spinner = ora({ text, stream: this.stream, discardStdin: false }).start();
    this.active = spinner;
    const done = () => {
      if (this.active === spinner) this.active = undefined;
    };
    return {
      update: (t) => {
        spinner.text = t;
      },
      succeed: (t) => {
        spinner.succeed(t ?? spinner.text);
        done();
      },
      fail: (t) => {
        spinner.fail(t ?? spinner.text);
        done();
      },
      stop: () => {
        spinner.stop();
        done();
      },
    };
  }

  async confirm(question: string, options: ConfirmOptions = {}): Promise<boolean> {
    if (this.options.yes) return true;
    if (!this.options.interactiveInput) {
      throw new TraceError(ErrorCode.usage, `confirmation needed ("${question}") but there is no terminal to ask on`, {
        hint: "rerun with --yes to confirm non-interactively",
      });
    }
    this.active?.stop();
    try {
      if (options.typeToConfirm !== undefined) {
        const answer = await inputPrompt(
          { message: `${question} Type "${options.typeToConfirm}" to confirm:` },
          { output: process.stderr },
        );
        return answer.trim() === options.typeToConfirm;
      }
      return await confirmPrompt({ message: question, default: options.default ?? false }, { output: process.stderr });
    } catch (error) {
      if (isPromptExit(error)) throw new TraceError(ErrorCode.interrupted, "interrupted at the prompt");
      throw error;
    }
  }

  async choose<T>(question: string, choices: readonly Choice<T>[], fallback: T): Promise<T> {
    if (!this.options.interactiveInput || this.options.yes || choices.length < 2) return fallback;
    this.active?.stop();
    try {
      return await selectPrompt(
        { message: question, choices: choices.map((c) => ({ value: c.value, name: c.label })) },
        { output: process.stderr },
      );
    } catch (error) {
      if (isPromptExit(error)) throw new TraceError(ErrorCode.interrupted, "interrupted at the prompt");
      throw error;
    }
  }
}
