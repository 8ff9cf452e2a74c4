import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configReferenceMarkdown } from '@coorchat/shared';

const README = new URL('../../../README.md', import.meta.url);

describe('README configuration reference', () => {
  it('is the table generated from the env schemas (run `npm run config:reference -- --write` after changing one)', () => {
    const readme = readFileSync(README, 'utf8');
    const block = /<!-- config-reference:begin[^>]*-->\n([\s\S]*?)\n<!-- config-reference:end -->/.exec(readme);
    expect(block, 'README.md has a config-reference block').not.toBeNull();
    expect(block![1]).toBe(configReferenceMarkdown());
  });
});
