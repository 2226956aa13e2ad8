import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addAliasedOption, applyAliases } from './option-aliases.js';
import { parseErrorLine } from './parse-errors.js';

/** A `convscope maps` with --filters (alias --channels) and a required --image (alias --images). */
function maps(...args: string[]): { command: Command; options: Record<string, unknown> } {
  const program = new Command('convscope');
  const command = program.command('maps');
  addAliasedOption(command, {
    flags: '--filters <spec>',
    description: 'filters per layer',
    aliases: [{ flags: '--channels <spec>', note: 'the old name' }],
    defaultValue: 'all',
  });
  addAliasedOption(command, {
    flags: '--image <file>',
    description: 'the input image',
    aliases: [{ flags: '--images <file>', note: 'the same' }],
    required: true,
  });
  command.parse(args, { from: 'user' });
  return { command, options: command.opts() };
}

describe('option aliases', () => {
  it('moves an alias to its name, over the default', () => {
    const { command, options } = maps('--channels', '1-3', '--images', 'a.png');
    applyAliases(command, options);
    expect(options).toEqual({ filters: '1-3', image: 'a.png' });
    const plain = maps('--image', 'b.png');
    applyAliases(plain.command, plain.options);
    expect(plain.options).toEqual({ filters: 'all', image: 'b.png' });
  });

  it('refuses a name with its alias, and a missing required option', () => {
    const both = maps('--filters', '1', '--channels', '2', '--image', 'a.png');
    expect(() => applyAliases(both.command, both.options)).toThrow(
      '--channels is another name for --filters; give only one of them',
    );
    const none = maps();
    expect(() => applyAliases(none.command, none.options)).toThrow('maps needs --image <file>');
  });

  it('--help shows the name with its aliases, not the aliases alone', () => {
    const help = maps().command.helpInformation();
    expect(help).toMatch(/--filters <spec>\s+filters per layer \(alias --channels: the old name\)/);
    expect(help).not.toMatch(/^\s+--channels/m);
  });
});

describe('parseErrorLine', () => {
  const weights = new Command('convscope').command('weights');

  it("rewrites commander's messages as convscope's one line", () => {
    expect(
      parseErrorLine(
        weights,
        'commander.missingMandatoryOptionValue',
        "error: required option '--layer <name>' not specified",
      ),
    ).toBe('weights needs --layer <name> (run `convscope weights --help` for the options)');
    expect(
      parseErrorLine(
        weights,
        'commander.unknownOption',
        "error: unknown option '--fitlers'\n(Did you mean --filters?)",
      ),
    ).toBe('weights has no option --fitlers (did you mean --filters?)');
    expect(
      parseErrorLine(weights, 'commander.unknownOption', "error: unknown option '--seed'"),
    ).toBe('weights takes no --seed: nothing in it is random (leave --seed out)');
    expect(
      parseErrorLine(
        weights,
        'commander.excessArguments',
        "error: too many arguments for 'weights'. Expected 0 arguments but got 1.",
      ),
    ).toBe(
      'weights: too many arguments. Expected 0 arguments but got 1 (run `convscope weights --help` for the options)',
    );
  });
});
