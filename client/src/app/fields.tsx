/**
 * Labelled form controls. Every input has a <label>; hints and errors are tied to it with
 * aria-describedby, and an invalid field says so with aria-invalid.
 */
import type { ReactNode } from 'react';

function describedBy(id: string, hint: ReactNode, error: string | undefined): string | undefined {
  const ids = [hint !== undefined ? `${id}-hint` : null, error !== undefined ? `${id}-error` : null].filter(Boolean);
  return ids.length > 0 ? ids.join(' ') : undefined;
}

function HintAndError({ id, hint, error }: { id: string; hint: ReactNode; error: string | undefined }) {
  return (
    <>
      {hint !== undefined && (
        <p id={`${id}-hint`} className="field-hint">
          {hint}
        </p>
      )}
      {error !== undefined && (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      )}
    </>
  );
}

export interface TextFieldProps {
  id: string;
  label: ReactNode;
  value: string;
  onChange: (value: string) => void;
  hint?: ReactNode;
  error?: string | undefined;
  type?: 'text' | 'datetime-local' | 'date' | 'search';
  inputMode?: 'text' | 'decimal' | 'numeric';
  required?: boolean;
  maxLength?: number;
  prefix?: string;
  suffix?: string;
  multiline?: boolean;
  autoComplete?: string;
}

export function TextField(props: TextFieldProps) {
  const { id, label, value, onChange, hint, error, prefix, suffix } = props;
  const common = {
    id,
    name: id,
    value,
    required: props.required,
    maxLength: props.maxLength,
    'aria-invalid': error !== undefined ? true : undefined,
    'aria-describedby': describedBy(id, hint, error),
  };
  return (
    <div className={`field${error !== undefined ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>
        {label}
        {props.required === true && <span className="required-mark" aria-hidden="true"> *</span>}
      </label>
      {props.multiline === true ? (
        <textarea {...common} rows={3} onChange={(event) => onChange(event.target.value)} />
      ) : (
        <div className={prefix !== undefined || suffix !== undefined ? 'input-affix' : undefined}>
          {prefix !== undefined && <span className="affix" aria-hidden="true">{prefix}</span>}
          <input
            {...common}
            type={props.type ?? 'text'}
            inputMode={props.inputMode}
            autoComplete={props.autoComplete ?? 'off'}
            onChange={(event) => onChange(event.target.value)}
          />
          {suffix !== undefined && <span className="affix" aria-hidden="true">{suffix}</span>}
        </div>
      )}
      <HintAndError id={id} hint={hint} error={error} />
    </div>
  );
}

export interface Option<V extends string> {
  value: V;
  label: ReactNode;
  hint?: ReactNode;
}

export function SelectField<V extends string>(props: {
  id: string;
  label: ReactNode;
  value: V;
  options: readonly Option<V>[];
  onChange: (value: V) => void;
  hint?: ReactNode;
  error?: string | undefined;
}) {
  const { id, label, value, options, onChange, hint, error } = props;
  return (
    <div className={`field${error !== undefined ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        name={id}
        value={value}
        aria-invalid={error !== undefined ? true : undefined}
        aria-describedby={describedBy(id, hint, error)}
        onChange={(event) => onChange(event.target.value as V)}
      >
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {typeof option.label === 'string' ? option.label : option.value}
          </option>
        ))}
      </select>
      <HintAndError id={id} hint={hint} error={error} />
    </div>
  );
}

export function RadioGroup<V extends string>(props: {
  id: string;
  legend: ReactNode;
  name: string;
  value: V;
  options: readonly Option<V>[];
  onChange: (value: V) => void;
  hint?: ReactNode;
  error?: string | undefined;
  layout?: 'row' | 'column' | 'cards';
}) {
  const { id, legend, name, value, options, onChange, hint, error } = props;
  return (
    <fieldset
      id={id}
      className={`field choice-group choice-${props.layout ?? 'row'}${error !== undefined ? ' field-invalid' : ''}`}
      aria-describedby={describedBy(id, hint, error)}
      tabIndex={-1}
    >
      <legend>{legend}</legend>
      <div className="choices">
        {options.map((option) => (
          <label key={option.value} className="choice" htmlFor={`${id}-${option.value}`}>
            <input
              type="radio"
              id={`${id}-${option.value}`}
              name={name}
              value={option.value}
              checked={value === option.value}
              aria-labelledby={`${id}-${option.value}-label`}
              aria-describedby={option.hint !== undefined ? `${id}-${option.value}-hint` : undefined}
              onChange={() => onChange(option.value)}
            />
            <span className="choice-text">
              <span className="choice-label" id={`${id}-${option.value}-label`}>
                {option.label}
              </span>
              {option.hint !== undefined && (
                <span className="choice-hint" id={`${id}-${option.value}-hint`}>
                  {option.hint}
                </span>
              )}
            </span>
          </label>
        ))}
      </div>
      <HintAndError id={id} hint={hint} error={error} />
    </fieldset>
  );
}

export function CheckboxGroup(props: {
  id: string;
  legend: ReactNode;
  values: readonly string[];
  options: readonly Option<string>[];
  onChange: (values: string[]) => void;
  hint?: ReactNode;
  error?: string | undefined;
}) {
  const { id, legend, values, options, onChange, hint, error } = props;
  const toggle = (value: string, on: boolean) => {
    const next = on ? [...values, value] : values.filter((v) => v !== value);
    // keep the options' order, so the saved list does not depend on click order
    onChange(options.map((o) => o.value).filter((v) => next.includes(v)));
  };
  return (
    <fieldset
      id={id}
      className={`field choice-group choice-row${error !== undefined ? ' field-invalid' : ''}`}
      aria-describedby={describedBy(id, hint, error)}
      tabIndex={-1}
    >
      <legend>{legend}</legend>
      <div className="choices">
        {options.map((option) => (
          <label key={option.value} className="choice" htmlFor={`${id}-${option.value}`}>
            <input
              type="checkbox"
              id={`${id}-${option.value}`}
              checked={values.includes(option.value)}
              onChange={(event) => toggle(option.value, event.target.checked)}
            />
            <span className="choice-text">
              <span className="choice-label">{option.label}</span>
            </span>
          </label>
        ))}
      </div>
      <HintAndError id={id} hint={hint} error={error} />
    </fieldset>
  );
}

export function Checkbox(props: {
  id: string;
  label: ReactNode;
  checked: boolean;
  onChange: (checked: boolean) => void;
  hint?: ReactNode;
}) {
  const { id, label, checked, onChange, hint } = props;
  return (
    <div className="field checkbox-field">
      <label className="choice" htmlFor={id}>
        <input
          type="checkbox"
          id={id}
          checked={checked}
          aria-describedby={hint !== undefined ? `${id}-hint` : undefined}
          onChange={(event) => onChange(event.target.checked)}
        />
        <span className="choice-label">{label}</span>
      </label>
      {hint !== undefined && (
        <p id={`${id}-hint`} className="field-hint">
          {hint}
        </p>
      )}
    </div>
  );
}
