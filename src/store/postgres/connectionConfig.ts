import pg from 'pg';

const INT8_OID = 20;

// BIGINT columns hold milliseconds and sequences, all far below 2^53: read them as numbers.
const getTypeParser = ((oid: number, format?: string) =>
  oid === INT8_OID && format !== 'binary' ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser;

/** What every connection of the store (the pool's and the listener's) is made from. */
export function connectionConfig(databaseUrl: string): pg.ClientConfig {
  return { connectionString: databaseUrl, types: { getTypeParser } };
}

/** The URL without its password, for messages and logs. */
export function redactedUrl(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return '(a database URL that does not parse)';
  }
}
