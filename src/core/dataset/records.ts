import { answerLabel, normalizeAnswer } from './answers.js';
import { optionRows, type MultipleChoiceMode } from './multiple-choice.js';
import type { FieldNames } from './schema.js';
import { excerpt, joinPromptResponse, renderMessages, type ChatMessage } from './text.js';
import type { SchemaName, SkipReason } from './types.js';

/** One row before it gets its file, line and pair id. */
export interface RowContent {
  text: string;
  label: 1 | -1;
  display?: string;
  /** The side's score (UltraFeedback-style `score_chosen` / `score_rejected`), when given. */
  score?: number;
  /** Pairwise rows: leading UTF-16 code units of `text` that are the prompt (Example.promptChars). */
  promptChars?: number;
}

/** UltraFeedback-style score fields of a pairwise record: kept, and their margin reported. */
export const SCORE_FIELDS = { chosen: 'score_chosen', rejected: 'score_rejected' } as const;

/** Both scores of a record when both are finite numbers; otherwise none (the fields are optional). */
function recordScores(record: Record<string, unknown>): [number, number] | undefined {
  const chosen = record[SCORE_FIELDS.chosen];
  const rejected = record[SCORE_FIELDS.rejected];
  if (typeof chosen !== 'number' || typeof rejected !== 'number') return undefined;
  if (!Number.isFinite(chosen) || !Number.isFinite(rejected)) return undefined;
  return [chosen, rejected];
}

export type RecordOutcome =
  | {
      ok: true;
      rows: RowContent[];
      /** An evals record in answer-token form that option-text could split into option rows. */
      splittable?: boolean;
    }
  | {
      ok: false;
      reason: SkipReason;
      message: string;
      /** JSON path of the offending value, used for the column. */
      path?: Array<string | number>;
    };

export interface RecordContext {
  schema: SchemaName;
  names: FieldNames;
  behavior: string;
  /** Lettered evals questions: 'answer-token' (default, one row) or 'option-text' (a pair). */
  multipleChoice?: MultipleChoiceMode;
}

type Failure = Extract<RecordOutcome, { ok: false }>;

function fail(reason: SkipReason, message: string, path?: Array<string | number>): Failure {
  return { ok: false, reason, message, path };
}

export function convertRecord(record: Record<string, unknown>, ctx: RecordContext): RecordOutcome {
  switch (ctx.schema) {
    case 'evals':
      return convertEvals(record, ctx);
    case 'pairwise':
      return convertPairwise(record, ctx);
    case 'hh-rlhf':
      return convertHhRlhf(record, ctx);
  }
}

function missing(record: Record<string, unknown>, fields: string[]): Failure | null {
  const absent = fields.filter((f) => !Object.hasOwn(record, f));
  if (absent.length === 0) return null;
  const list = absent.map((f) => `"${f}"`).join(', ');
  return fail('missing-field', `missing field${absent.length > 1 ? 's' : ''} ${list}`);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

function convertEvals(record: Record<string, unknown>, ctx: RecordContext): RecordOutcome {
  const { question: q, matching: m, notMatching: n } = ctx.names;
  const absent = missing(record, [q, m, n]);
  if (absent) return absent;
  const question = record[q];
  if (typeof question !== 'string') {
    return fail('wrong-type', `"${q}" must be a string, got ${typeName(question)}`, [q]);
  }
  if (question.trim() === '') return fail('empty-text', `"${q}" is empty`, [q]);
  const matching = record[m];
  if (typeof matching !== 'string') {
    return fail('wrong-type', `"${m}" must be a string, got ${typeName(matching)}`, [m]);
  }
  const rawOthers = record[n];
  const others = typeof rawOthers === 'string' ? [rawOthers] : rawOthers;
  if (!Array.isArray(others) || !others.every((o) => typeof o === 'string')) {
    return fail(
      'wrong-type',
      `"${n}" must be a string or a list of strings, got ${typeName(rawOthers)}`,
      [n],
    );
  }
  const label = answerLabel(matching, others);
  if (!label.ok) return fail('unknown-answer', label.message, [m]);
  // Lettered answers with their options in the question: option-text rows when asked for.
  const options = /^[a-z]$/.test(normalizeAnswer(matching))
    ? optionRows(question, matching, others as string[])
    : null;
  if (options && ctx.multipleChoice === 'option-text') {
    if (options.slice(1).some((r) => r.text === options[0].text)) {
      return fail(
        'duplicate',
        `the matching option's text is also a not-matching option's: the record states no preference`,
        [m],
      );
    }
    return {
      ok: true,
      rows: options.map((r) => ({
        text: r.text,
        label: r.label,
        display: excerpt(r.option),
        ...(r.promptChars > 0 ? { promptChars: r.promptChars } : {}),
      })),
    };
  }
  const statement = record.statement;
  const display = typeof statement === 'string' && statement.trim() !== '' ? statement : undefined;
  return {
    ok: true,
    rows: [{ text: question, label: label.label, display }],
    ...(options ? { splittable: true } : {}),
  };
}

/** A prompt or response side: plain text, or messages when the record is conversational. */
type Side = { kind: 'text'; text: string } | { kind: 'messages'; messages: ChatMessage[] };

function readSide(value: unknown, field: string): Side | Failure {
  if (typeof value === 'string') return { kind: 'text', text: value };
  if (!Array.isArray(value)) {
    return fail(
      'wrong-type',
      `"${field}" must be a string or a list of {role, content} messages, got ${typeName(value)}`,
      [field],
    );
  }
  const messages: ChatMessage[] = [];
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    const role =
      typeof item === 'object' && item !== null
        ? (item as Record<string, unknown>).role
        : undefined;
    const content =
      typeof item === 'object' && item !== null
        ? (item as Record<string, unknown>).content
        : undefined;
    if (typeof role !== 'string') {
      return fail('wrong-type', `"${field}"[${i}] must be a message with a string "role"`, [
        field,
        i,
      ]);
    }
    const text = contentText(content);
    if (text === null) {
      return fail(
        'wrong-type',
        `"${field}"[${i}].content must be a string or a list of {type: "text", text} parts`,
        [field, i],
      );
    }
    messages.push({ role, content: text });
  }
  return { kind: 'messages', messages };
}

/** Message content: a string, or (multimodal chat templates) a list of text parts. */
function contentText(content: unknown): string | null {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return null;
  const parts: string[] = [];
  for (const part of content) {
    if (typeof part !== 'object' || part === null) return null;
    const text = (part as Record<string, unknown>).text;
    if (typeof text !== 'string') return null;
    parts.push(text);
  }
  return parts.join('');
}

function isFailure(value: Side | Failure): value is Failure {
  return 'ok' in value;
}

function sideIsEmpty(side: Side): boolean {
  return side.kind === 'text'
    ? side.text.trim() === ''
    : side.messages.every((m) => m.content.trim() === '');
}

function asMessages(side: Side, role: string): ChatMessage[] {
  return side.kind === 'messages' ? side.messages : [{ role, content: side.text }];
}

function sideText(side: Side): string {
  return side.kind === 'text' ? side.text : side.messages.map((m) => m.content).join('\n');
}

function convertPairwise(record: Record<string, unknown>, ctx: RecordContext): RecordOutcome {
  const { prompt: p, chosen: c, rejected: r } = ctx.names;
  const absent = missing(record, [p, c, r]);
  if (absent) return absent;
  const sides: Side[] = [];
  for (const field of [p, c, r]) {
    const side = readSide(record[field], field);
    if (isFailure(side)) return side;
    if (sideIsEmpty(side)) return fail('empty-text', `"${field}" is empty`, [field]);
    sides.push(side);
  }
  const [prompt, chosen, rejected] = sides;
  if (
    prompt.kind === 'text' &&
    chosen.kind === 'messages' &&
    rejected.kind === 'messages' &&
    sharesOpening(chosen.messages, rejected.messages)
  ) {
    // UltraFeedback-binarized style: the string prompt repeats the first user turn, and chosen
    // and rejected are whole conversations that begin alike. As TRL's maybe_extract_prompt does,
    // their shared beginning is the prompt (embedding the string prompt too would say it twice).
    return conversationPair(record, ctx, chosen.messages, rejected.messages, [c]);
  }
  const conversational = sides.some((s) => s.kind === 'messages');
  const embed = (response: Side): Sided => {
    if (!conversational) {
      const reply = sideText(response);
      const text = joinPromptResponse(sideText(prompt), reply);
      return { text, promptChars: text.length - reply.length };
    }
    const reply = asMessages(response, 'assistant');
    const text = renderMessages([...asMessages(prompt, 'user'), ...reply]);
    return { text, promptChars: text.length - renderMessages(reply).length };
  };
  return pairOutcome(
    ctx,
    embed(chosen),
    embed(rejected),
    sideText(chosen),
    sideText(rejected),
    [c],
    recordScores(record),
  );
}

/** Two conversations that both go on after the same first message: whole conversations. */
function sharesOpening(chosen: readonly ChatMessage[], rejected: readonly ChatMessage[]): boolean {
  return (
    chosen.length > 1 &&
    rejected.length > 1 &&
    chosen[0].role === rejected[0].role &&
    chosen[0].content === rejected[0].content
  );
}

/** An embedded text and where its prompt ends (RowContent.promptChars). */
interface Sided {
  text: string;
  promptChars: number;
}

const ASSISTANT_MARKER = '\n\nAssistant:';

function convertHhRlhf(record: Record<string, unknown>, ctx: RecordContext): RecordOutcome {
  const { chosen: c, rejected: r } = ctx.names;
  const absent = missing(record, [c, r]);
  if (absent) return absent;
  const sides: Side[] = [];
  for (const field of [c, r]) {
    const side = readSide(record[field], field);
    if (isFailure(side)) return side;
    if (sideIsEmpty(side)) return fail('empty-text', `"${field}" is empty`, [field]);
    sides.push(side);
  }
  const [chosen, rejected] = sides;
  if (chosen.kind === 'text' && rejected.kind === 'text') {
    const cut = promptEnd(chosen.text, rejected.text);
    const chosenReply = chosen.text.slice(cut);
    const rejectedReply = rejected.text.slice(cut);
    if (chosenReply.trim() === '')
      return fail('empty-text', `the last turn of "${c}" is empty`, [c]);
    if (rejectedReply.trim() === '') {
      return fail('empty-text', `the last turn of "${r}" is empty`, [r]);
    }
    return pairOutcome(
      ctx,
      { text: chosen.text, promptChars: cut },
      { text: rejected.text, promptChars: cut },
      chosenReply,
      rejectedReply,
      [c],
      recordScores(record),
    );
  }
  return conversationPair(
    record,
    ctx,
    asMessages(chosen, 'assistant'),
    asMessages(rejected, 'assistant'),
    [c],
  );
}

/**
 * A pair of whole conversations (TRL's implicit-prompt form): the messages both share from the
 * start are the prompt, the rest of each is its reply (what the report shows).
 */
function conversationPair(
  record: Record<string, unknown>,
  ctx: RecordContext,
  chosenMessages: ChatMessage[],
  rejectedMessages: ChatMessage[],
  path: Array<string | number>,
): RecordOutcome {
  let shared = 0;
  while (
    shared < Math.min(chosenMessages.length, rejectedMessages.length) - 1 &&
    chosenMessages[shared].role === rejectedMessages[shared].role &&
    chosenMessages[shared].content === rejectedMessages[shared].content
  ) {
    shared += 1;
  }
  const rendered = (messages: ChatMessage[]): Sided => {
    const text = renderMessages(messages);
    const reply = messages.slice(shared);
    return {
      text,
      promptChars: shared === 0 ? 0 : text.length - renderMessages(reply).length,
    };
  };
  return pairOutcome(
    ctx,
    rendered(chosenMessages),
    rendered(rejectedMessages),
    sideText({ kind: 'messages', messages: chosenMessages.slice(shared) }),
    sideText({ kind: 'messages', messages: rejectedMessages.slice(shared) }),
    path,
    recordScores(record),
  );
}

/**
 * Where the shared prompt of two HH-RLHF transcripts ends: just after the last "\n\nAssistant:"
 * marker both share, or at the end of their common prefix when they share no such marker.
 */
export function promptEnd(chosen: string, rejected: string): number {
  let common = 0;
  const limit = Math.min(chosen.length, rejected.length);
  while (common < limit && chosen.charCodeAt(common) === rejected.charCodeAt(common)) common += 1;
  if (common < ASSISTANT_MARKER.length) return common;
  const marker = chosen.lastIndexOf(ASSISTANT_MARKER, common - ASSISTANT_MARKER.length);
  return marker >= 0 ? marker + ASSISTANT_MARKER.length : common;
}

function pairOutcome(
  ctx: RecordContext,
  chosen: Sided,
  rejected: Sided,
  chosenReply: string,
  rejectedReply: string,
  path: Array<string | number>,
  scores?: [number, number],
): RecordOutcome {
  if (chosen.text === rejected.text) {
    return fail(
      'duplicate',
      `"${ctx.names.chosen}" and "${ctx.names.rejected}" are identical: the pair states no preference`,
      path,
    );
  }
  return {
    ok: true,
    rows: [
      { ...withPrompt(chosen), label: 1, display: excerpt(chosenReply), ...scored(scores?.[0]) },
      {
        ...withPrompt(rejected),
        label: -1,
        display: excerpt(rejectedReply),
        ...scored(scores?.[1]),
      },
    ],
  };
}

const scored = (score: number | undefined): { score?: number } =>
  score === undefined ? {} : { score };

/** The text, and its prompt length when there is a prompt. */
const withPrompt = (s: Sided): { text: string; promptChars?: number } =>
  s.promptChars > 0 ? { text: s.text, promptChars: s.promptChars } : { text: s.text };
