// The bindings never throw through Embind (that would leak the buffers Embind allocates for
// string arguments): a failed call parks its message and returns. Every bound function is
// wrapped once here to collect that message and throw it as a JS Error.
const EMBIND_OWN = new Set(['constructor']);
export function throwParkedErrors(M) {
  if (M.attnErrorsChecked) return;
  const check = (fn) => function checkedCall(...args) {
    const out = fn.apply(this, args);
    const message = M.takeError();
    if (message) throw new Error(message);
    return out;
  };
  for (const cls of [M.Model, M.FitSession, M.TensorList, M.Bytes, M.LayerHandle]) {
    for (const name of Object.getOwnPropertyNames(cls.prototype)) {
      const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, name);
      if (!EMBIND_OWN.has(name) && typeof descriptor.value === 'function') cls.prototype[name] = check(descriptor.value);
    }
  }
  M.Model.fromConfig = check(M.Model.fromConfig);
  M.Model.load = check(M.Model.load);
  M.Model.importKeras = check(M.Model.importKeras);
  M.LayerHandle.create = check(M.LayerHandle.create);
  M.functionalConfig = check(M.functionalConfig);
  M.inputShape = check(M.inputShape);
  M.setFixedShards = check(M.setFixedShards);
  M.attnErrorsChecked = true;
}
