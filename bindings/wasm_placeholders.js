// Emscripten JS library (--js-library) of every wasm link: the stub of the kernels' multiply-add
// placeholder import (src/kernels/simd.h). scripts/wasm-variants.mjs replaces the import inside
// the module after the link, so a correct build never calls this; a module that missed the
// rewrite fails on its first multiply-add instead of computing anything.
mergeInto(LibraryManager.library, {
  attn_f32x4_madd: function () {
    throw new Error('attention-wasm: this module was linked but not rewritten by scripts/wasm-variants.mjs');
  },
});
