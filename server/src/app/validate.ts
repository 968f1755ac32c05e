/** Owns input validation: Joi schemas from shared/ check every body, query and path param. */
import type Joi from 'joi';
import type { FieldError } from '@hqt/shared';
import { HttpProblem } from './problem';

export const JOI_OPTIONS: Joi.ValidationOptions = {
  abortEarly: false,
  allowUnknown: false,
  convert: true,
  errors: { wrap: { label: false } },
};

export function fieldErrors(where: string, error: Joi.ValidationError): FieldError[] {
  return error.details.map((d) => ({
    field: [where, ...d.path.map(String)].join('.'),
    message: d.message,
    type: d.type,
  }));
}

/** Validates one part of the request; throws VALIDATION_FAILED listing every bad field. */
export function check<T>(where: 'body' | 'query' | 'params' | 'headers', schema: Joi.Schema, input: unknown): T {
  const { value, error } = schema.validate(input, JOI_OPTIONS);
  if (error) {
    throw new HttpProblem('VALIDATION_FAILED', `${error.details.length} field(s) failed validation`, {
      errors: fieldErrors(where, error),
    });
  }
  return value as T;
}
