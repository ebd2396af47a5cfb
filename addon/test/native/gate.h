// A gate for batches, test-only: every device the test addon opens is a GatedDevice, whose run() waits at the gate
// while it is held. A test holds the gate, starts a batch, waits until the batch is at the gate (a native batch
// provably in flight, by the order of events rather than by time), checks what must not wait for it (memory figures,
// /metrics), then releases the gate.
#pragma once
#include <napi.h>

namespace lgb_binding {

// `exports.testing.gate = {hold(), release(), entered(n): Promise}` and an `exports.openDevice` that opens gated
// devices (the engine's own, wrapped).
void InitGate(Napi::Env env, Napi::Object exports);

}  // namespace lgb_binding
