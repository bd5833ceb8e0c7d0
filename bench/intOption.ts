/** Reads whole-number options from parseArgs values, refusing anything outside min..max. */
export function intReader<K extends string>(values: Partial<Record<K, unknown>>) {
  return (name: K, min: number, max: number): number => {
    const value = Number(values[name]);
    if (!Number.isSafeInteger(value) || value < min || value > max) throw new Error(`--${name} must be a whole number in ${min}..${max}`);
    return value;
  };
}
