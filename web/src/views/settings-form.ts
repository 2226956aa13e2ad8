/**
 * The preset form, generated from core's records (PRESETS and SETTING_OPTIONS, the same list
 * the CLI makes its flags from): a preset menu, then one field per setting showing the
 * preset's value as placeholder; what the user types becomes an override.
 */
import { PRESETS, getPreset } from '../../../src/core/optimize/presets.js';
import { SETTING_OPTIONS } from '../../../src/core/optimize/setting-options.js';
import { h } from '../draw/dom.js';

export interface SettingsFormOptions {
  preset: string;
  overrides: Record<string, string>;
  /** Hide the size field (fixed-size models render at their input size). */
  showSize: boolean;
  onChange(preset: string, overrides: Record<string, string>): void;
}

export function settingsForm(options: SettingsFormOptions): HTMLElement {
  let preset = options.preset;
  const overrides = { ...options.overrides };
  const presetSelect = h(
    'select',
    { name: 'preset', title: 'settings preset' },
    ...PRESETS.map((p) =>
      h('option', { value: p.name, selected: p.name === preset, title: p.description }, p.name),
    ),
  );
  const description = h('p', { class: 'preset-description' });
  const fields = h('div', { class: 'settings-fields' });
  const render = () => {
    const settings = getPreset(preset).settings;
    description.textContent = getPreset(preset).description;
    fields.replaceChildren(
      ...SETTING_OPTIONS.filter((o) => options.showSize || o.key !== 'size').map((option) => {
        const current = String(option.get(settings));
        const input = option.choices
          ? h(
              'select',
              { name: option.key },
              h('option', { value: '' }, `${current} (preset)`),
              ...option.choices.map((c) =>
                h(
                  'option',
                  {
                    value: c,
                    selected: overrides[option.key] === c,
                    title: option.choiceTitles?.[c] ?? '',
                  },
                  c,
                ),
              ),
            )
          : h('input', {
              name: option.key,
              inputmode: option.integer ? 'numeric' : 'decimal',
              placeholder: current,
              value: overrides[option.key] ?? '',
            });
        input.addEventListener('change', () => {
          const value = (input as HTMLInputElement).value.trim();
          if (value) overrides[option.key] = value;
          else delete overrides[option.key];
          options.onChange(preset, { ...overrides });
        });
        return h('label', { title: option.description }, h('span', {}, option.key), input);
      }),
    );
  };
  presetSelect.addEventListener('change', () => {
    preset = presetSelect.value;
    render();
    options.onChange(preset, { ...overrides });
  });
  render();
  return h(
    'details',
    { class: 'settings' },
    h('summary', {}, 'Preset ', presetSelect),
    description,
    fields,
  );
}
