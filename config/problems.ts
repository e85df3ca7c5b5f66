import type { z } from 'zod';

/** Settings whose values are secrets: a problem report names them but never prints them. */
const SECRET = /TOKEN|SECRET|KEY|PASSWORD|DATABASE_URL/;

/**
 * One line per invalid setting: the variable, the value it had and what was
 * expected, e.g. `PORT="abc": expected an integer (got text that is not a number)`.
 */
export function describeIssue(issue: z.core.$ZodIssue, env: Record<string, string | undefined>): string {
  const name = issue.path.map(String).join('.') || '(settings)';
  const raw = issue.path.length === 1 ? env[String(issue.path[0])] : undefined;
  const shown = raw === undefined ? '' : `=${SECRET.test(name) ? `(hidden, ${raw.length} characters)` : JSON.stringify(raw)}`;
  return `${name}${shown}: ${expectation(issue)}`;
}

function expectation(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'number' ? 'expected a number' : `expected ${issue.expected}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map(String).join(', ')}`;
    case 'too_small':
      return issue.origin === 'string' && !issue.message.startsWith('Too small')
        ? issue.message
        : `expected ${issue.origin === 'string' ? 'a length ' : 'a value '}${issue.inclusive ? 'of at least' : 'greater than'} ${String(issue.minimum)}`;
    case 'too_big':
      return `expected ${issue.origin === 'string' ? 'a length ' : 'a value '}${issue.inclusive ? 'of at most' : 'less than'} ${String(issue.maximum)}`;
    case 'invalid_format':
      return issue.message.startsWith('Invalid') ? `expected a valid ${issue.format}` : issue.message;
    default:
      return issue.message;
  }
}
