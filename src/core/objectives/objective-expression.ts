/**
 * `--objective EXPR`: a small expression language for objective specs, so that any objective
 * (not only a layer's filters or a class) can be asked for on the command line. Terms are
 * added and subtracted and may carry a numeric factor:
 *
 *   block4_conv3:12 + 0.5*neuron(block5_conv1:3) - 1e-3*tv
 *
 * `layer:k` is channel k's mean; functions: `channel(layer:k)`, `neuron(layer:k)` or
 * `neuron(layer:k, y, x)`, `class(281)` or `class(bell pepper)`, `deepdream(layer)`,
 * `diversity(layer)`, and on the image (the `input` pseudo-layer) `tv` and `lp(p)` (`l1`, `l2`
 * for p = 1, 2). Layer names with other characters go in quotes: `'conv-1':3`. A parse error
 * names the column and what was expected there.
 */
import { ConvscopeError } from '../errors.js';
import type { ObjectiveSpec } from './objective-spec.js';

/** Class names to indices (the model's labels); numbers are taken as indices. */
export type ClassResolver = (name: string) => { index: number; label?: string };

const EXAMPLE = 'block4_conv3:12 + 0.5*neuron(block5_conv1:3) - 1e-3*tv';

/** Where the text was typed, for messages: the CLI's flag (default) or the workbench's field. */
export type ExpressionSource = 'cli' | 'field';
const FUNCTIONS = 'channel, neuron, class, deepdream, diversity, tv, lp, l1, l2';

class Parser {
  private at = 0;

  constructor(
    private readonly text: string,
    private readonly resolveClass: ClassResolver,
    private readonly source: ExpressionSource = 'cli',
  ) {}

  fail(what: string, at = this.at): never {
    const near = this.text.slice(at, at + 12);
    const cli = this.source === 'cli';
    throw new ConvscopeError(
      `cannot read ${cli ? '--objective' : 'the objective'} at column ${at + 1} (${near ? `'${near}'` : 'the end'}): ${what}`,
      cli
        ? `e.g. --objective "${EXAMPLE}"; functions: ${FUNCTIONS}; or a JSON file (README, "Objectives")`
        : `e.g. ${EXAMPLE}; functions: ${FUNCTIONS}`,
    );
  }

  private skip(): void {
    while (/\s/.test(this.text[this.at] ?? '')) this.at++;
  }

  private peek(): string {
    this.skip();
    return this.text[this.at] ?? '';
  }

  private expect(char: string, what: string): void {
    if (this.peek() !== char) this.fail(`expected '${char}' ${what}`);
    this.at++;
  }

  private match(pattern: RegExp): string | null {
    this.skip();
    const found = pattern.exec(this.text.slice(this.at));
    if (!found) return null;
    this.at += found[0].length;
    return found[0];
  }

  private number(): number | null {
    const token = this.match(/^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?/i);
    return token === null ? null : Number(token);
  }

  private whole(what: string): number {
    const start = this.at;
    const token = this.match(/^\d+(?![.\de])/i);
    if (token === null) this.fail(`expected ${what} (a whole number)`, start);
    return Number(token);
  }

  /** A layer name: letters, digits, `_` and `.` (ONNX: `layer4.1.conv2`), or quoted. */
  private layer(): string {
    this.skip();
    const quote = this.text[this.at];
    if (quote === "'" || quote === '"') {
      const end = this.text.indexOf(quote, this.at + 1);
      if (end < 0) this.fail(`the quoted layer name is not closed with ${quote}`);
      const name = this.text.slice(this.at + 1, end);
      this.at = end + 1;
      return name;
    }
    const name = this.match(/^[A-Za-z_][\w.]*/);
    if (name === null) this.fail('expected a layer name');
    return name;
  }

  private unit(): { layer: string; channel: number } {
    const layer = this.layer();
    this.expect(':', `and a channel after layer '${layer}' (e.g. ${layer}:0)`);
    return { layer, channel: this.whole(`a channel of '${layer}'`) };
  }

  /** expr := term (('+' | '-') term)* */
  expression(): ObjectiveSpec {
    const terms = [this.term()];
    for (let sign = this.peek(); sign === '+' || sign === '-'; sign = this.peek()) {
      this.at++;
      const term = this.term();
      terms.push(sign === '-' ? negated(term) : term);
    }
    return terms.length === 1 ? terms[0] : { kind: 'sum', terms };
  }

  /** term := '-' term | number '*' term | factor ('*' number)? */
  private term(): ObjectiveSpec {
    if (this.peek() === '-') {
      this.at++;
      return negated(this.term());
    }
    const start = this.at;
    const factor = this.number();
    if (factor !== null) {
      this.expect('*', `after the factor ${factor} (e.g. ${factor}*tv)`);
      return { kind: 'scale', factor, objective: this.term() };
    }
    this.at = start;
    const spec = this.factor();
    if (this.peek() === '*') {
      this.at++;
      const after = this.number();
      if (after === null) this.fail('expected a number after *');
      return { kind: 'scale', factor: after, objective: spec };
    }
    return spec;
  }

  /** factor := '(' expr ')' | name '(' args ')' | tv | l1 | l2 | layer ':' k */
  private factor(): ObjectiveSpec {
    if (this.peek() === '(') {
      this.at++;
      const inner = this.expression();
      this.expect(')', 'to close the parenthesis');
      return inner;
    }
    const start = this.at;
    const peekQuote = this.peek();
    const name = peekQuote === "'" || peekQuote === '"' ? null : this.match(/^[A-Za-z_][\w.]*/);
    if (name === null) {
      if (peekQuote === "'" || peekQuote === '"') return { kind: 'channel', ...this.unit() };
      this.fail('expected a unit (layer:channel), a function or a number');
    }
    const call = this.peek() === '(';
    const fn = name.toLowerCase();
    if (['tv', 'l1', 'l2'].includes(fn)) {
      if (call) {
        this.at++;
        this.expect(')', `after ${fn}(: it takes no arguments`);
      }
      return fn === 'tv' ? { kind: 'total-variation' } : { kind: 'lp', p: fn === 'l1' ? 1 : 2 };
    }
    if (!call) {
      this.at = start;
      return { kind: 'channel', ...this.unit() };
    }
    this.at++;
    const spec = this.call(fn, start);
    this.expect(')', `to close ${fn}(`);
    return spec;
  }

  private call(fn: string, start: number): ObjectiveSpec {
    switch (fn) {
      case 'channel':
        return { kind: 'channel', ...this.unit() };
      case 'neuron': {
        const unit = this.unit();
        if (this.peek() !== ',') return { kind: 'neuron', ...unit };
        this.at++;
        const y = this.whole('the row y');
        this.expect(',', 'between y and x');
        return { kind: 'neuron', ...unit, y, x: this.whole('the column x') };
      }
      case 'deepdream':
      case 'diversity':
        return { kind: fn, layer: this.layer() };
      case 'lp': {
        const p = this.number();
        if (p === null || !(p > 0)) this.fail('expected the p of lp(p), a positive number');
        return { kind: 'lp', p };
      }
      case 'class': {
        this.skip();
        const end = this.text.indexOf(')', this.at);
        const name = this.text.slice(this.at, end < 0 ? undefined : end).trim();
        if (name === '') this.fail('expected a class index or name, e.g. class(281)');
        const begin = this.at;
        this.at = end < 0 ? this.text.length : end;
        try {
          const { index, label } = this.resolveClass(name);
          return { kind: 'class', index, ...(label === undefined ? {} : { label }) };
        } catch (error) {
          if (error instanceof ConvscopeError) throw error;
          return this.fail(String(error), begin);
        }
      }
      default:
        return this.fail(`unknown function '${fn}' (functions: ${FUNCTIONS})`, start);
    }
  }

  end(): void {
    if (this.peek() !== '') this.fail("expected '+', '-' or the end");
  }
}

/** Minus `spec`: a scale's factor flips sign; anything else is negated. */
function negated(spec: ObjectiveSpec): ObjectiveSpec {
  return spec.kind === 'scale'
    ? { ...spec, factor: -spec.factor }
    : spec.kind === 'negate'
      ? spec.objective
      : { kind: 'negate', objective: spec };
}

/**
 * @example parseObjectiveExpression('block4_conv3:12 - 1e-3*tv', resolve)
 * // { kind: 'sum', terms: [{ kind: 'channel', layer: 'block4_conv3', channel: 12 },
 * //   { kind: 'scale', factor: -0.001, objective: { kind: 'total-variation' } }] }
 */
export function parseObjectiveExpression(
  text: string,
  resolveClass: ClassResolver,
  source: ExpressionSource = 'cli',
): ObjectiveSpec {
  const parser = new Parser(text, resolveClass, source);
  if (text.trim() === '') parser.fail('the objective is empty');
  const spec = parser.expression();
  parser.end();
  return spec;
}

const layerText = (layer: string) => (/^[A-Za-z_][\w.]*$/.test(layer) ? layer : `'${layer}'`);

/** `spec` as a term that can follow `*` or `-`: sums are parenthesized. */
const operand = (spec: ObjectiveSpec) =>
  spec.kind === 'sum' ? `(${formatObjectiveExpression(spec)})` : formatObjectiveExpression(spec);

/**
 * The expression of `spec`, which `parseObjectiveExpression` reads back to the same spec
 * (classes by index): for captions and messages.
 * @example formatObjectiveExpression(spec) // 'block4_conv3:12 - 0.001*tv'
 */
export function formatObjectiveExpression(spec: ObjectiveSpec): string {
  switch (spec.kind) {
    case 'channel':
      return `${layerText(spec.layer)}:${spec.channel}`;
    case 'neuron': {
      const at = spec.y === undefined || spec.x === undefined ? '' : `, ${spec.y}, ${spec.x}`;
      return `neuron(${layerText(spec.layer)}:${spec.channel}${at})`;
    }
    case 'class':
      return `class(${spec.index})`;
    case 'deepdream':
    case 'diversity':
      return `${spec.kind}(${layerText(spec.layer)})`;
    case 'total-variation':
      return 'tv';
    case 'lp':
      return spec.p === 1 || spec.p === 2 ? `l${spec.p}` : `lp(${spec.p})`;
    case 'scale':
      return `${spec.factor}*${operand(spec.objective)}`;
    case 'negate':
      return `-${operand(spec.objective)}`;
    case 'sum':
      return spec.terms
        .map((term, i) => {
          const text = formatObjectiveExpression(term);
          if (i === 0) return text;
          return text.startsWith('-') ? ` - ${text.slice(1)}` : ` + ${text}`;
        })
        .join('');
  }
}
