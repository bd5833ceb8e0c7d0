import { describe, expect, it } from 'vitest';
import { loadServeConfig } from '../../src/cli/loadConfig.js';
import { ConfigError } from '../../src/shared/ConfigError.js';

describe('--notify-webhook and --public-url', () => {
  it('are off by default', () => {
    expect(loadServeConfig([], {}).config).toMatchObject({ notifyWebhooks: [], publicUrl: null });
  });

  it('take repeated flags, or a comma-separated ACTIONGATE_NOTIFY_WEBHOOK; flags win', () => {
    const flags = loadServeConfig(['--notify-webhook', 'https://hooks.example.com/a', '--notify-webhook', 'http://10.0.0.5:8080/b?token=x'], {}).config;
    expect(flags.notifyWebhooks).toEqual(['https://hooks.example.com/a', 'http://10.0.0.5:8080/b?token=x']);
    const env = loadServeConfig([], { ACTIONGATE_NOTIFY_WEBHOOK: 'https://a.example/1, https://b.example/2,' }).config;
    expect(env.notifyWebhooks).toEqual(['https://a.example/1', 'https://b.example/2']);
    expect(loadServeConfig(['--notify-webhook', 'https://c.example/3'], { ACTIONGATE_NOTIFY_WEBHOOK: 'https://a.example/1' }).config.notifyWebhooks).toEqual(['https://c.example/3']);
    expect(loadServeConfig(['--public-url', 'https://actiongate.example.com/ops/'], {}).config.publicUrl).toBe('https://actiongate.example.com/ops');
  });

  it('refuse what is not an http(s) URL, naming the flag and not echoing the URL, which may hold a secret', () => {
    const refused = (argv: string[]): string => {
      try {
        loadServeConfig(argv, {});
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error(`${argv.join(' ')} was accepted`);
    };
    const notUrl = refused(['--notify-webhook', 'hooks.example.com/secret-path']);
    expect(notUrl).toContain('--notify-webhook must be an http:// or https:// URL');
    expect(notUrl).not.toContain('secret-path');
    expect(refused(['--notify-webhook', 'ftp://example.com/x'])).toContain('not ftp:');
    expect(refused(['--public-url', 'https://x.example/?a=1'])).toContain('--public-url must be the inbox\'s address without a query');
  });
});
