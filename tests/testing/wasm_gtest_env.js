// --pre-js of the wasm test binaries: Emscripten gives a program its own small environment, not
// Node's; copy GoogleTest's variables in, so ctest can shard a binary (GTEST_TOTAL_SHARDS,
// GTEST_SHARD_INDEX) as it does natively.
Module['preRun'] = (Module['preRun'] || []).concat(function () {
  for (var key in process.env) if (key.indexOf('GTEST_') === 0 || key.indexOf('ATTN_') === 0) ENV[key] = process.env[key];
});
