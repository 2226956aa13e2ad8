/**
 * One name per idea on the command line, with the other spellings kept as aliases. An aliased
 * option is shown once in `--help` (its description names the aliases); each alias is a hidden
 * option whose value `applyAliases` moves to the real name before the command runs, so the
 * command itself only ever reads one key. Giving a name and its alias together is an error,
 * and a required aliased option is checked here (commander cannot know that the alias counts).
 */
import { Option, type Command } from 'commander';
import { ConvscopeError } from '../core/errors.js';
import { commandPath, helpHint } from './parse-errors.js';

export interface Alias {
  /** Commander flags of the alias, e.g. `--channels <spec>`. */
  flags: string;
  /** How --help names it, e.g. `the old name, kept for a release`. */
  note: string;
}

export interface AliasedOption {
  flags: string;
  description: string;
  aliases: Alias[];
  defaultValue?: string;
  required?: boolean;
}

interface Registered {
  key: string;
  flags: string;
  required: boolean;
  aliases: { key: string; name: string }[];
}

const registry = new WeakMap<Command, Registered[]>();

const nameOf = (flags: string) => flags.split(/[ ,]/)[0];

/**
 * Adds `spec.flags` to `command` and its aliases as hidden options.
 *
 * @example addAliasedOption(maps, { flags: '--filters <spec>', description: 'filters per layer',
 *   aliases: [{ flags: '--channels <spec>', note: 'the old name, kept for a release' }] })
 */
export function addAliasedOption(command: Command, spec: AliasedOption): Command {
  const named = spec.aliases.map((a) => `${nameOf(a.flags)}: ${a.note}`).join('; ');
  const option = new Option(spec.flags, `${spec.description} (alias ${named})`);
  if (spec.defaultValue !== undefined) option.default(spec.defaultValue);
  command.addOption(option);
  const aliases = spec.aliases.map((a) => {
    const hidden = new Option(a.flags).hideHelp();
    command.addOption(hidden);
    return { key: hidden.attributeName(), name: nameOf(a.flags) };
  });
  const entry = { key: option.attributeName(), flags: spec.flags, required: !!spec.required };
  registry.set(command, [...(registry.get(command) ?? []), { ...entry, aliases }]);
  return command;
}

/** True when the user typed the option (not a default). */
export function given(command: Command, key: string): boolean {
  return command.getOptionValueSource(key) === 'cli';
}

/**
 * Moves alias values in `options` (commander's values of `command`) to their real names.
 * Throws when a name and its alias are both given, or a required option is missing.
 */
export function applyAliases(command: Command, options: Record<string, unknown>): void {
  for (const entry of registry.get(command) ?? []) {
    for (const alias of entry.aliases) {
      if (!given(command, alias.key)) continue;
      const others = [entry.key, ...entry.aliases.map((a) => a.key)].filter(
        (k) => k !== alias.key && given(command, k),
      );
      if (others.length > 0) {
        throw new ConvscopeError(
          `${alias.name} is another name for ${nameOf(entry.flags)}; give only one of them`,
          `e.g. ${nameOf(entry.flags)} alone`,
        );
      }
      options[entry.key] = options[alias.key];
      command.setOptionValueWithSource(entry.key, options[alias.key], 'cli');
      delete options[alias.key];
    }
    if (entry.required && options[entry.key] === undefined) {
      const name = commandPath(command).replace(/^convscope /, '');
      throw new ConvscopeError(`${name} needs ${entry.flags}`, helpHint(command));
    }
  }
}
