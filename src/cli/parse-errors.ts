/**
 * Command-line parse errors in convscope's own one-line format. Commander reports a missing
 * required option, an unknown option or a stray argument as `error: required option ...`
 * followed by a help hint on a second line; every other failure of convscope is one line
 * `convscope: what is wrong (what to do)` with exit code 1. `oneLineParseErrors` rewires every
 * command of a program so that parse errors read the same way, and names the command they
 * belong to (`--seed` on a command that draws nothing at random says so).
 */
import type { Command, CommanderError } from 'commander';

/** `convscope filters`, `convscope models fetch`: the command as the user typed it. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The hint that ends a parse error: the command's own --help. */
export function helpHint(command: Command): string {
  return `run \`${commandPath(command)} --help\` for the options`;
}

/**
 * The one line (without `convscope: ` and the newline) for a commander error `code` with
 * commander's `message`, raised while parsing `command`.
 *
 * @example parseErrorLine(weights, 'commander.missingMandatoryOptionValue',
 *   "error: required option '--layer <name>' not specified")
 * // "weights needs --layer <name> (run `convscope weights --help` for the options)"
 */
export function parseErrorLine(command: Command, code: string, message: string): string {
  const name = commandPath(command).replace(/^convscope ?/, '');
  const text = message.replace(/^error: /, '').trim();
  const [first, ...rest] = text.split('\n');
  const suggestion = /\(Did you mean (.+)\?\)/.exec(rest.join(' '))?.[1];
  const hint = suggestion ? `did you mean ${suggestion}?` : helpHint(command);
  const quoted = /'([^']+)'/.exec(first)?.[1];
  switch (code) {
    case 'commander.missingMandatoryOptionValue':
      return `${name || 'convscope'} needs ${quoted} (${hint})`;
    case 'commander.optionMissingArgument':
      return `${quoted} needs a value (${hint})`;
    case 'commander.unknownOption':
      if (quoted === '--seed') {
        return `${name} takes no --seed: nothing in it is random (leave --seed out)`;
      }
      return `${name || 'convscope'} has no option ${quoted} (${hint})`;
    default:
      return `${name ? `${name}: ` : ''}${first.replace(/ for '[^']+'/, '').replace(/\.$/, '')} (${hint})`;
  }
}

/** Help and version output end the program like an error does, with exit code 0. */
const QUIET_EXITS = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

/**
 * Makes `program` and every command under it report parse errors as one line on stderr with
 * exit code 1. Call it after all commands are added.
 */
export function oneLineParseErrors(program: Command): void {
  const visit = (command: Command) => {
    command
      .showHelpAfterError(false)
      .configureOutput({ outputError: () => undefined })
      .exitOverride((error: CommanderError) => {
        if (QUIET_EXITS.has(error.code)) process.exit(error.exitCode);
        process.stderr.write(`convscope: ${parseErrorLine(command, error.code, error.message)}\n`);
        process.exit(1);
      });
    command.commands.forEach(visit);
  };
  visit(program);
}
