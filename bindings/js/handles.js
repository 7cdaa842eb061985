// Wasm objects owned by JS objects: the owner deletes its handle when it is done with it; the
// garbage collector deletes what an owner dropped without doing so (a safety net, not the rule).
const collector = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry((handle) => { if (!handle.isDeleted()) handle.delete(); }) : null;

export function ownHandle(owner, handle) {
  collector?.register(owner, handle, owner);
  return handle;
}

export function releaseHandle(owner, handle) {
  collector?.unregister(owner);
  if (handle && !handle.isDeleted()) handle.delete();
}
