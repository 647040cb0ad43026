import type { ReadOptions, SchemaName } from './types.js';

export type FieldRole = 'prompt' | 'chosen' | 'rejected' | 'question' | 'matching' | 'notMatching';
export type FieldNames = Record<FieldRole, string>;

export const DEFAULT_FIELDS: Readonly<FieldNames> = {
  prompt: 'prompt',
  chosen: 'chosen',
  rejected: 'rejected',
  question: 'question',
  matching: 'answer_matching_behavior',
  notMatching: 'answer_not_matching_behavior',
};

/** The fields each schema needs, as roles; used for detection and in error messages. */
export const SCHEMA_ROLES: Readonly<Record<SchemaName, readonly FieldRole[]>> = {
  evals: ['question', 'matching', 'notMatching'],
  pairwise: ['prompt', 'chosen', 'rejected'],
  'hh-rlhf': ['chosen', 'rejected'],
};

/** Checked in this order: pairwise before hh-rlhf, since a pairwise record also has chosen/rejected. */
const DETECTION_ORDER: readonly SchemaName[] = ['evals', 'pairwise', 'hh-rlhf'];

/**
 * Names tried, in order, for the behavior of a pairwise or HH-RLHF record (the first present with
 * a string or number value in the record that decided the schema wins).
 */
export const BEHAVIOR_FIELD_CANDIDATES: readonly string[] = [
  'behavior',
  'category',
  'subset',
  'task',
  'source',
  'type',
  'domain',
  'topic',
];

export function resolveFields(fields?: ReadOptions['fields']): FieldNames {
  return { ...DEFAULT_FIELDS, ...stripUndefined(fields ?? {}) };
}

function stripUndefined(fields: NonNullable<ReadOptions['fields']>): Partial<FieldNames> {
  const out: Partial<FieldNames> = {};
  for (const [role, name] of Object.entries(fields) as [FieldRole, string | undefined][]) {
    if (name !== undefined && name !== '') out[role] = name;
  }
  return out;
}

/** Which schema a parsed record follows, judging by which fields are present; null if none. */
export function detectSchema(
  record: unknown,
  fieldsOverride?: ReadOptions['fields'],
): SchemaName | null {
  if (!isRecord(record)) return null;
  for (const schema of DETECTION_ORDER) {
    if (matchesSchema(record, schema, fieldsOverride)) return schema;
  }
  return null;
}

/** Whether a record has every field `schema` needs (extra fields are fine). */
export function matchesSchema(
  record: unknown,
  schema: SchemaName,
  fieldsOverride?: ReadOptions['fields'],
): boolean {
  if (!isRecord(record)) return false;
  const names = resolveFields(fieldsOverride);
  return SCHEMA_ROLES[schema].every((role) => Object.hasOwn(record, names[role]));
}

/** The schema's fields under their actual names, e.g. "prompt, chosen, rejected". */
export function describeSchema(schema: SchemaName, names: FieldNames): string {
  return `${schema} (${SCHEMA_ROLES[schema].map((role) => names[role]).join(', ')})`;
}

export function describeAllSchemas(names: FieldNames): string {
  return DETECTION_ORDER.map((schema) => describeSchema(schema, names)).join('; ');
}

/**
 * The behavior field for a file: an explicit option wins ('' means none: the file name is the
 * behavior); evals files have none unless asked; otherwise the first candidate in the record.
 */
export function chooseBehaviorField(
  schema: SchemaName,
  record: Record<string, unknown>,
  option: string | undefined,
  names: FieldNames,
): string | null {
  if (option !== undefined) return option === '' ? null : option;
  if (schema === 'evals') return null;
  const used = new Set(Object.values(names));
  for (const candidate of BEHAVIOR_FIELD_CANDIDATES) {
    if (used.has(candidate)) continue;
    const value = record[candidate];
    if ((typeof value === 'string' && value.trim() !== '') || typeof value === 'number') {
      return candidate;
    }
  }
  return null;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
