import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../../src/http/log-serializers.js';

describe('redactUrl', () => {
  it('hides access_token wherever it sits in the query', () => {
    expect(redactUrl('/ws?access_token=abc.def.ghi&channel=a')).toBe('/ws?access_token=[redacted]&channel=a');
    expect(redactUrl('/ws?channel=a&ACCESS_TOKEN=xyz')).toBe('/ws?channel=a&ACCESS_TOKEN=[redacted]');
    expect(redactUrl('/healthz')).toBe('/healthz');
  });
});
