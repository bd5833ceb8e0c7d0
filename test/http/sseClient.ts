/** One Server-Sent Event as a client sees it. */
export interface SseEvent {
  readonly id: string | null;
  readonly event: string;
  readonly data: string;
}

/** A real GET /api/v1/events over fetch, read incrementally; `close` drops the connection as a network failure would. */
export interface SseConnection {
  readonly status: number;
  readonly headers: Headers;
  /** The next `count` events of type `event` (others are skipped), in order. */
  take(count: number, event?: string): Promise<SseEvent[]>;
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string>): Promise<SseConnection> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const parsed: SseEvent[] = [];

  const readMore = async (): Promise<void> => {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the event stream ended; unread: ${JSON.stringify(buffer)}`);
    buffer += value;
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let id: string | null = null;
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') id = value;
        else if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length > 0) parsed.push({ id, event, data: data.join('\n') });
    }
  };

  return {
    status: response.status,
    headers: response.headers,
    async take(count, event = 'history') {
      const taken: SseEvent[] = [];
      while (taken.length < count) {
        const next = parsed.shift();
        if (next === undefined) await readMore();
        else if (next.event === event) taken.push(next);
      }
      return taken;
    },
    close() {
      controller.abort();
    },
  };
}
