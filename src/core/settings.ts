/**
 * Every `TRACE_*` environment variable trace reads, and the one place they are read. docs/configuration.md's
 * "Environment variables" table lists the same names (a test keeps the two in step). Commands get
 * them through their context; core and local mode through `readSettings`, whose `env` parameter
 * lets tests pass their own.
 */
export const SETTING_VARIABLES = {
  TRACE_CONFIG: "config file, like --config (default: ./trace.config.yaml|yml|json)",
  TRACE_ENV: "environment of the config file, like --env (default: defaultEnv, or the only one)",
  TRACE_TEMPLATES_DIR: "directory of the CloudFormation templates, like --templates (default: the package's cloudformation/)",
  TRACE_LOCAL_PORT: "port of the local emulator, like `trace local start --port` (default 4599)",
  TRACE_LOCAL_ENDPOINT: "endpoint of the built-in local environment (default http://127.0.0.1:<TRACE_LOCAL_PORT>)",
  TRACE_STATE_DIR: "where local mode keeps the emulator's pid, port and stream checkpoints (default .trace/local)",
  TRACE_VENV: "the Python virtualenv with moto and the linters (default .venv); scripts/setup-emulator.sh honours it too",
} as const;

export interface Settings {
  config?: string | undefined;
  env?: string | undefined;
  templatesDir?: string | undefined;
  localPort?: string | undefined;
  localEndpoint?: string | undefined;
  stateDir?: string | undefined;
  venv?: string | undefined;
}

/** The TRACE_* settings in `env` (an empty value counts as unset). */
export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const get = (name: keyof typeof SETTING_VARIABLES) => (env[name] === "" ? undefined : env[name]);
  return {
    config: get("TRACE_CONFIG"),
    env: get("TRACE_ENV"),
    templatesDir: get("TRACE_TEMPLATES_DIR"),
    localPort: get("TRACE_LOCAL_PORT"),
    localEndpoint: get("TRACE_LOCAL_ENDPOINT"),
    stateDir: get("TRACE_STATE_DIR"),
    venv: get("TRACE_VENV"),
  };
}
