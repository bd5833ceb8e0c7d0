/**
 * Collects bytes up to a limit and drops the rest, remembering that it did:
 * a chatty command or a large response cannot exhaust memory or overflow the
 * result the server accepts.
 */
export class BoundedText {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly limitBytes: number) {}

  push(chunk: Uint8Array): void {
    const room = this.limitBytes - this.size;
    if (chunk.length > room) this.truncated = true;
    if (room <= 0) return;
    const kept = Buffer.from(chunk.subarray(0, Math.min(room, chunk.length)));
    this.chunks.push(kept);
    this.size += kept.length;
  }

  get full(): boolean {
    return this.size >= this.limitBytes;
  }

  /** The text so far; a multi-byte character cut at the limit becomes U+FFFD. */
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }

  /** The last `chars` characters, for error messages. */
  tail(chars: number): string {
    const text = this.text().trim();
    return text.length <= chars ? text : `...${text.slice(-chars)}`;
  }
}
