import { parseArgs } from 'node:util';
import { CommandLineError } from './errors.js';

/** One flag of a program's command line, as its Setting table declares it. */
export interface CliOption {
  /** Long name without dashes: `workers` for `--workers`. */
  name: string;
  /** One letter without the dash: `w` for `-w`. */
  short?: string;
  /** `boolean` flags take no value (`--flag`, `--flag=false`, `--no-flag`); `string` ones take the next argument or `=value`. */
  type: 'string' | 'boolean';
}

/** One flag as given, in command-line order (repeats are kept: the caller decides whether they add up or override). */
export interface CliValue {
  name: string;
  /** The flag as typed (`-w`, `--workers`, `--no-preload`), for error messages. */
  flag: string;
  /** `true`/`false` for booleans unless a value was given inline (`--preload=off`), else the string. */
  value: string | boolean;
}

export interface ParsedCommandLine {
  values: CliValue[];
  positionals: string[];
}

/**
 * The command-line layer both masters share, over node:util's `parseArgs`:
 * `--flag value`, `--flag=value`, `-f value`, `--no-flag` for booleans, `--`
 * ending the flags. A value may start with a dash only when it is `-` (stdout)
 * or a number (`--timeout -1` is then refused by the setting's validator, not
 * mistaken for a flag). Throws CommandLineError (`ARB_ERR_CLI_UNKNOWN_FLAG`,
 * `ARB_ERR_CLI_MISSING_VALUE`) naming the flag; the program turns it into its
 * one-line config error and exit code 2.
 */
export function parseCommandLine(argv: readonly string[], options: readonly CliOption[]): ParsedCommandLine {
  const byName = new Map(options.map((o) => [o.name, o]));
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const o of options) config[o.name] = o.short ? { type: o.type, short: o.short } : { type: o.type };
  // strict: false, so unknown flags and missing values come back as tokens and the error can name the flag.
  const { tokens } = parseArgs({ args: [...argv], options: config, strict: false, allowPositionals: true, tokens: true });
  const values: CliValue[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind === 'positional') {
      positionals.push(token.value);
      continue;
    }
    if (token.kind === 'option-terminator') continue;
    const flag = token.rawName;
    const known = byName.get(token.name);
    if (!known) {
      const negated = token.name.startsWith('no-') ? byName.get(token.name.slice(3)) : undefined;
      if (negated?.type === 'boolean' && token.rawName.startsWith('--') && token.value === undefined) {
        values.push({ name: negated.name, flag, value: false });
        continue;
      }
      throw new CommandLineError('ARB_ERR_CLI_UNKNOWN_FLAG', flag);
    }
    if (known.type === 'boolean') {
      values.push({ name: known.name, flag, value: token.value ?? true });
      continue;
    }
    const value = token.value;
    if (value === undefined || value === '' || (!token.inlineValue && looksLikeFlag(value))) {
      throw new CommandLineError('ARB_ERR_CLI_MISSING_VALUE', flag);
    }
    values.push({ name: known.name, flag, value });
  }
  return { values, positionals };
}

function looksLikeFlag(value: string): boolean {
  return value.startsWith('-') && value !== '-' && !/^-\d/.test(value);
}
