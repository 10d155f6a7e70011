/**
 * Many small native calls back to back, their task counts alternating, on 2 threads: the pattern that once
 * deadlocked the pool (a thread leaving one call claimed a task of the next). Run as its own process by
 * pool.test.ts, since a deadlock blocks the event loop and no test timeout could fire. Exits 0 when every
 * call's result is right.
 */
import { NativeKernels } from '../../../../../src/core/engine/native/kernels'

const kernels = NativeKernels.load(2)
const calls = Number(process.argv[2] ?? 200000)
const length = 64
for (let call = 0; call < calls; call++) {
  const chunks = call % 2 === 0 ? 12 : 2 + (call % 5)
  const parts = 3
  kernels.begin()
  const partials = kernels.put(Float32Array.from({ length: parts * length }, (_, i) => (i % length) + call))
  const out = kernels.alloc(length)
  kernels.run('cohort_sum_parts', [partials, out, length, parts, chunks], chunks)
  const result = kernels.f32(out, length)
  for (let i = 0; i < length; i++) {
    if (result[i] !== 3 * (i + call)) {
      console.error(`call ${call}: out[${i}] = ${result[i]}, expected ${3 * (i + call)}`)
      process.exit(1)
    }
  }
}
await kernels.close()
console.log(`ok ${calls}`)
