import { ValidationError } from '../domain/errors.js';

/** A uint64 sequence from the wire (ts-proto hands them over as strings). */
export function parseSequence(field: string, value: string): number {
  const sequence = Number(value);
  if (!Number.isSafeInteger(sequence) || sequence < 0) {
    throw new ValidationError(field, `must be a sequence number this server issued, got ${value}`);
  }
  return sequence;
}

const MAX_SEQUENCES = 1000;

export function parseSequences(field: string, values: readonly string[]): number[] {
  if (values.length > MAX_SEQUENCES) throw new ValidationError(field, `at most ${MAX_SEQUENCES} values, got ${values.length}`);
  return values.map((value, index) => {
    const sequence = parseSequence(`${field}[${index}]`, value);
    if (sequence === 0) throw new ValidationError(`${field}[${index}]`, 'must be a signal sequence, not 0');
    return sequence;
  });
}
