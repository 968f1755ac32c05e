/**
 * Checks a request body against its Joi schema from `@hqt/shared` before it is sent, and
 * turns the failures into one sentence per top-level field (the form's field names).
 */
import type { TFunction } from 'i18next';
import type { Schema, ValidationErrorItem } from 'joi';
import { formatFen } from './format';

type Key = 'required' | 'number' | 'integer' | 'min' | 'max' | 'tooLong' | 'pattern' | 'invalid' | 'date';

const JOI_TYPE_KEYS: Record<string, Key> = {
  'any.required': 'required',
  'string.empty': 'required',
  'string.min': 'required',
  'number.base': 'number',
  'number.integer': 'integer',
  'number.min': 'min',
  'number.greater': 'min',
  'number.max': 'max',
  'number.less': 'max',
  'string.max': 'tooLong',
  'string.pattern.base': 'pattern',
  'date.base': 'date',
  'object.max': 'invalid',
  'any.only': 'invalid',
  'any.invalid': 'invalid',
};

function sentence(item: ValidationErrorItem, t: TFunction): string {
  const key = JOI_TYPE_KEYS[item.type] ?? 'invalid';
  const limit = item.context?.limit;
  const field = String(item.path[0] ?? '');
  const shown = typeof limit === 'number' && /Fen$/.test(field) && Number.isSafeInteger(limit) ? formatFen(limit) : limit;
  return t(`validation.${key}`, { limit: shown });
}

/** Field name → sentence for every field the schema refuses; empty when the value passes. */
export function validateWith(schema: Schema, value: unknown, t: TFunction): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const item of schema.validate(value, { abortEarly: false }).error?.details ?? []) {
    const field = String(item.path[0] ?? '_');
    errors[field] ??= sentence(item, t);
  }
  return errors;
}
