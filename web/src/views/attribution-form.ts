/**
 * The inside view's attribution controls, generated from core's method records (the list the
 * CLI makes `--method` and its flags from, sent by the worker): a checkbox per method (checked:
 * those cheap enough to recompute on every click) and, for each checked method, one field per
 * option with its default as placeholder; what the user types becomes an override.
 */
import type { AttributionMethodInfo } from '../bridge/protocol.js';
import { h } from '../draw/dom.js';

export interface AttributionChoice {
  methods: string[];
  options: Record<string, string>;
}

/** The form; `onChange` gets the checked methods and the typed options. */
export function attributionForm(
  catalog: AttributionMethodInfo[],
  onChange: (choice: AttributionChoice) => void,
): { element: HTMLElement; choice(): AttributionChoice } {
  const checked = new Set(catalog.filter((m) => m.interactive).map((m) => m.name));
  const options: Record<string, string> = {};
  const fields = h('div', { class: 'settings-fields attribution-options' });
  const choice = (): AttributionChoice => ({
    methods: catalog.filter((m) => checked.has(m.name)).map((m) => m.name),
    options: { ...options },
  });
  const renderFields = () => {
    const shown = new Set<string>();
    fields.replaceChildren(
      ...catalog
        .filter((m) => checked.has(m.name))
        .flatMap((m) => m.options.filter((o) => !o.layer && !o.shared))
        .filter((o) => !shown.has(o.key) && shown.add(o.key))
        .map((option) => {
          const fallback = String(option.default ?? '');
          const input = option.choices
            ? h(
                'select',
                { name: option.key },
                h('option', { value: '' }, `${fallback} (default)`),
                ...option.choices.map((c) =>
                  h('option', { value: c, selected: options[option.key] === c }, c),
                ),
              )
            : h('input', {
                name: option.key,
                inputmode: option.integer ? 'numeric' : 'decimal',
                placeholder: fallback,
                value: options[option.key] ?? '',
              });
          input.addEventListener('change', () => {
            const value = (input as HTMLInputElement).value.trim();
            if (value) options[option.key] = value;
            else delete options[option.key];
            onChange(choice());
          });
          return h('label', { title: option.description }, h('span', {}, option.key), input);
        }),
    );
  };
  const boxes = catalog.map((m) => {
    const box = h('input', { type: 'checkbox', name: m.name, checked: checked.has(m.name) });
    box.addEventListener('change', () => {
      if (box.checked) checked.add(m.name);
      else checked.delete(m.name);
      renderFields();
      onChange(choice());
    });
    return h('label', { class: 'method', title: `${m.title}: ${m.paper}` }, box, m.name);
  });
  renderFields();
  const element = h(
    'div',
    { class: 'attribution-form' },
    h('div', { class: 'methods' }, ...boxes),
    fields,
  );
  return { element, choice };
}
