import { describe, expect, it } from 'vitest';
import { RelayError } from '@coorchat/shared';
import { paramsFromQueryString } from '../../../src/http/queries.routes.js';
import { underField } from '../../../src/queries/query-client.js';

describe('paramsFromQueryString', () => {
  it('reads integers and arrays by the query schema and drops the auth parameters', () => {
    expect(
      paramsFromQueryString('history', {
        limit: '10',
        messageType: ['task_started,task_progress', 'task_completed'],
        order: 'asc',
        access_token: 'secret',
        channel: 'alpha',
      }),
    ).toEqual({ limit: 10, messageType: ['task_started', 'task_progress', 'task_completed'], order: 'asc' });
    expect(paramsFromQueryString('tasks', { status: 'completed' })).toEqual({ status: ['completed'] });
  });

  it('passes what it cannot read as given, so the validator names it', () => {
    expect(paramsFromQueryString('history', { limit: 'ten', cursor: ['a', 'b'], extra: '1' })).toEqual({
      limit: 'ten',
      cursor: ['a', 'b'],
      extra: '1',
    });
  });
});

describe('underField', () => {
  it('re-roots the field and the message of a param error', () => {
    const error = underField(new RelayError('invalid_frame', '/limit must be <= 500', { field: '/limit' }), '/params');
    expect(error).toMatchObject({ code: 'invalid_frame', field: '/params/limit', message: '/params/limit must be <= 500' });
    expect(underField(new RelayError('invalid_frame', 'query params must be an object', { field: '/' }), '/params')).toMatchObject({
      field: '/params',
    });
  });

  it('leaves errors without a field alone', () => {
    const error = new RelayError('unavailable', 'later');
    expect(underField(error, '/params')).toBe(error);
  });
});
