/**
 * Where a JSON text first goes wrong, as line and column. V8's JSON.parse names a position only for some errors
 * ("Unexpected token '}', "…" is not valid JSON" carries none), and a person fixing an export needs the place.
 * A small scanner of RFC 8259's grammar finds it; it is run only after JSON.parse has already failed.
 */

export interface JsonErrorPlace {
  readonly line: number;
  readonly column: number;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;

/** The offset of the first character that breaks the grammar; null when the text is valid JSON. */
export function jsonErrorOffset(text: string): number | null {
  let i = 0;
  const n = text.length;
  const fail = (): never => {
    throw new JsonStop(i);
  };
  const ws = (): void => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const string = (): void => {
    i++; // the opening quote
    while (i < n) {
      const c = text[i]!;
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        i++;
        if (i < n && '"\\/bfnrt'.includes(text[i]!)) i++;
        else if (text[i] === 'u' && HEX4.test(text.slice(i + 1, i + 5))) i += 5;
        else fail();
        continue;
      }
      if (c < ' ') fail();
      i++;
    }
    fail();
  };
  // Nesting is walked with an explicit stack, not recursion, so a deeply nested file cannot overflow the call stack.
  const stack: ('{' | '[')[] = [];
  const closer = (c: '{' | '['): string => (c === '{' ? '}' : ']');
  const member = (): void => {
    ws();
    if (text[i] !== '"') fail();
    string();
    ws();
    if (text[i] !== ':') fail();
    i++;
  };
  // After a value: a comma (then the next key in an object), or closing brackets.
  const afterValue = (): void => {
    for (;;) {
      ws();
      const top = stack[stack.length - 1];
      if (!top) return;
      if (text[i] === ',') {
        i++;
        if (top === '{') member();
        return;
      }
      if (text[i] !== closer(top)) fail();
      stack.pop();
      i++;
    }
  };
  // Reads one value; an opening bracket only opens (its first member or element is the next value read).
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      stack.push(c);
      i++;
      ws();
      if (text[i] === closer(c)) {
        stack.pop();
        i++;
        afterValue();
      } else if (c === '{') member();
      return;
    }
    if (c === '"') string();
    else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      if (!NUMBER.test(text)) fail();
      i = NUMBER.lastIndex;
    } else if (text.startsWith('true', i)) i += 4;
    else if (text.startsWith('false', i)) i += 5;
    else if (text.startsWith('null', i)) i += 4;
    else fail();
    afterValue();
  };
  try {
    // Each value() call reads one value and what closes after it; loop while containers are open.
    value();
    while (stack.length > 0) value();
    ws();
    if (i < n) fail();
    return null;
  } catch (e) {
    if (e instanceof JsonStop) return e.at;
    throw e;
  }
}

class JsonStop {
  constructor(readonly at: number) {}
}

/** Line and column (both from 1) of an offset. */
export function placeOf(text: string, offset: number): JsonErrorPlace {
  const before = text.slice(0, offset);
  const lines = before.split(/\r\n|\r|\n/);
  return { line: lines.length, column: lines[lines.length - 1]!.length + 1 };
}
