import { z } from 'zod';

/** What a value of each zod type is called in a message an operator reads. */
const KINDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  object: 'a mapping (key: value)',
  array: 'a list',
  null: 'null',
};

/** `'a' | 'b'` (how zod 3 names an enum it expected) → ['a', 'b']; null for any other `expected`. */
function enumOptions(expected: string): string[] | null {
  const parts = expected.split(' | ');
  return parts.every((p) => /^'[^']*'$/.test(p)) ? parts.map((p) => p.slice(1, -1)) : null;
}

function oneOf(options: readonly (string | number)[]): string {
  return `must be one of ${options.join(', ')}`;
}

function kindOf(expected: string): string {
  const options = enumOptions(expected);
  if (options !== null) return oneOf(options);
  return `must be ${KINDS[expected] ?? expected}`;
}

/**
 * One zod issue as the words after the key in `config: <key> <words>, got <value>`:
 * plain English, never zod's "Invalid enum value. Expected 'a' | 'b'" or "Invalid input".
 */
export function issueText(issue: z.ZodIssue): string {
  switch (issue.code) {
    case z.ZodIssueCode.invalid_enum_value:
      return oneOf(issue.options);
    case z.ZodIssueCode.invalid_type:
      // A schema's own invalid_type_error wins over the generic kind.
      if (issue.message !== 'Required' && !issue.message.startsWith('Expected ')) return issue.message;
      if (issue.received === 'undefined') return 'is required';
      return kindOf(issue.expected);
    case z.ZodIssueCode.invalid_literal:
      return `must be ${JSON.stringify(issue.expected)}`;
    case z.ZodIssueCode.invalid_union: {
      // A union with its own message (errorMap) says it; else name what each alternative takes at this key.
      if (issue.message !== 'Invalid input') return issue.message;
      const kinds = new Set<string>();
      for (const e of issue.unionErrors) {
        for (const i of e.issues) if (i.code === z.ZodIssueCode.invalid_type && i.path.length === issue.path.length) kinds.add(KINDS[i.expected] ?? i.expected);
      }
      return kinds.size > 0 ? `must be ${[...kinds].join(' or ')}` : 'is not a value this key takes';
    }
    case z.ZodIssueCode.invalid_string: {
      if (issue.message !== 'Invalid' && !issue.message.startsWith('Invalid input')) return issue.message;
      const v = issue.validation;
      if (typeof v === 'object' && 'startsWith' in v) return `must start with "${v.startsWith}"`;
      if (typeof v === 'object' && 'endsWith' in v) return `must end with "${v.endsWith}"`;
      return 'is not in the form this key takes';
    }
    default:
      // too_small / too_big: "Number must be greater than…" → "must be greater than…".
      return issue.message.replace(/^(?:String|Number|Array|Set|Date|BigInt|Value) must/, 'must');
  }
}
