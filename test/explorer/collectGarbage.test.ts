/**
 * explorer/collectGarbage.ts: the parallel explorer prompts V8's collector
 * after letting go of big shared buffers. It must find the collector on
 * the Node the project runs on, and leave --expose-gc off again (no `gc`
 * global in contexts created afterwards).
 */
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { canCollect, letGo } from '../../explorer/collectGarbage.js';

describe('collectGarbage', () => {
  it('finds the collector and clears the flag again', () => {
    expect(canCollect()).toBe(true);
    expect(runInNewContext('typeof gc')).toBe('undefined');
  });

  it('collects once enough bytes were let go of, without throwing', () => {
    for (let i = 0; i < 8; i++) letGo(16 * 1024 * 1024);
    expect(runInNewContext('typeof gc')).toBe('undefined');
  });
});
