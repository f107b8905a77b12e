import { describe, expect, it } from 'vitest';
import { ContractError, EVENT_NAMES, METHOD_NAMES, parseCall, type MethodResults } from '../../main/contract/api';

describe('the renderer contract', () => {
  it('accepts well-formed calls', () => {
    expect(parseCall('storyboard.openPath', { path: '/tmp/board.csv' })).toEqual({ method: 'storyboard.openPath', args: { path: '/tmp/board.csv' } });
    expect(parseCall('timeline.update', { order: [3, 1, 2], takes: { '3': 7 }, joints: ['cut', 'crossfade'] }).method).toBe('timeline.update');
  });

  it.each([
    ['an unknown method', 'fs.readFile', { path: '/etc/passwd' }, /unknown method "fs.readFile"/],
    ['a non-string method', 42, {}, /unknown method 42/],
    ['a missing field', 'storyboard.openPath', {}, /bad arguments for storyboard.openPath: path/],
    ['a wrong type', 'queue.cancel', { jobId: '1; DROP TABLE jobs' }, /bad arguments for queue.cancel: jobId/],
    ['an extra field', 'queue.cancel', { jobId: 1, sql: 'x' }, /bad arguments for queue.cancel/],
    ['a field not in the enum', 'shots.edit', { row: 2, field: 'output', value: 'x' }, /bad arguments for shots.edit: field/],
    ['a negative budget', 'settings.setBudget', { monthlyUsd: -5 }, /monthlyUsd/],
    ['a key with spaces', 'settings.setKey', { provider: 'ltx', key: 'has spaces in it' }, /key/],
    ['a provider id with a path', 'settings.setKey', { provider: '../../x', key: 'abcdefghijk' }, /provider/],
    ['arguments that are not an object', 'queue.list', 'nope', /bad arguments for queue.list/],
    ['a huge order list', 'timeline.update', { order: Array.from({ length: 20_001 }, (_, i) => i), takes: {}, joints: [] }, /order/],
  ])('rejects %s', (_what, method, args, message) => {
    expect(() => parseCall(method, args)).toThrow(ContractError);
    expect(() => parseCall(method, args)).toThrow(message);
  });

  it.each(['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf', '__defineGetter__'])(
    'rejects the inherited name %s as an unknown method',
    (method) => {
      expect(() => parseCall(method, {})).toThrow(ContractError);
      expect(() => parseCall(method, {})).toThrow(`unknown method ${JSON.stringify(method)}`);
    },
  );

  it('has a result type for every method and no method without a schema', () => {
    // A type-level check that MethodResults covers every method name: this line fails to compile otherwise.
    const covered: Record<(typeof METHOD_NAMES)[number], true> = Object.fromEntries(METHOD_NAMES.map((m) => [m, true])) as Record<keyof MethodResults, true>;
    expect(Object.keys(covered).sort()).toEqual([...METHOD_NAMES].sort());
    expect(EVENT_NAMES).toContain('job.updated');
  });
});
