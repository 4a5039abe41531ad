'use strict';
// Copied into every fixture as `_report.js`: turns outcomes (values or thrown errors) into JSON-able facts.

function describeError(e) {
  if (e === null || typeof e !== 'object') return { thrown: String(e) };
  const out = {
    name: e.name,
    message: e.message,
    code: e.code,
    isError: e instanceof Error,
    stackHead: String(e.stack).split('\n')[0],
  };
  for (const key of ['requireStack', 'path', 'requestPath', 'syscall', 'errno']) {
    if (key in e) out[key] = e[key];
  }
  if (Array.isArray(e.requireStack)) out.requireStackIsArray = e.requireStack instanceof Array;
  return out;
}

function attempt(fn) {
  try {
    return { value: fn() };
  } catch (e) {
    return { error: describeError(e) };
  }
}

function finish(report, module) {
  if (require.main === module && process.env.CODESAVE_CONFORMANCE_PRINT) process.stdout.write(JSON.stringify(report));
}

module.exports = { attempt, describeError, finish };
