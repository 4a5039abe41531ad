import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CodesaveError, isCodesaveError } from '@codesave/core';

test('CodesaveError carries a stable code, details and cause', () => {
  const cause = new Error('underlying');
  const err = new CodesaveError('ERR_BAD_SIZE', 'bad size "1Q": use 100K, 1M or a byte count', {
    cause,
    details: { value: '1Q' },
  });
  assert.equal(err.name, 'CodesaveError');
  assert.equal(err.code, 'ERR_BAD_SIZE');
  assert.equal(err.cause, cause);
  assert.deepEqual(err.details, { value: '1Q' });
  assert.ok(Object.isFrozen(err.details));
  assert.ok(isCodesaveError(err));
  assert.ok(!isCodesaveError(new Error('x')));
});
