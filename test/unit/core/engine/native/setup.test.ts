import * as tf from '@tensorflow/tfjs'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { BackendError, initBackend } from '../../../../../src/core/engine/backend'
import { NATIVE_KERNELS } from '../../../../../src/core/engine/native/index'
import { closeNativeKernels, nativeThreads } from '../../../../../src/core/engine/native/setup'
import { relativeError } from '../helpers'

const ENV = ['COHORT_THREADS', 'COHORT_NATIVE', 'COHORT_NATIVE_WASM'] as const

function nativeRegistered(): boolean {
  return NATIVE_KERNELS.every(
    ({ kernelName, kernelFunc }) => tf.getKernel(kernelName, 'wasm')?.kernelFunc === kernelFunc,
  )
}

/**
 * A strided and a stride-1 convolution's forward, filter and input gradients, a depthwise convolution's and
 * ReLU6's gradients and a max-pool gradient on a fixed input (all native).
 */
function gradients(): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.randomNormal([4, 12, 12, 8], 0, 1, 'float32', 3) as tf.Tensor4D
    const f = tf.randomNormal([3, 3, 8, 16], 0, 1, 'float32', 4) as tf.Tensor4D
    const f2 = tf.randomNormal([3, 3, 16, 16], 0, 1, 'float32', 6) as tf.Tensor4D
    const fd = tf.randomNormal([3, 3, 16, 1], 0, 1, 'float32', 7) as tf.Tensor4D
    const w = tf.randomNormal([4, 3, 3, 16], 0, 1, 'float32', 5)
    const loss = (input: tf.Tensor, filter: tf.Tensor, filter2: tf.Tensor, depthwise: tf.Tensor) => {
      const h = tf.conv2d(input as tf.Tensor4D, filter as tf.Tensor4D, 2, 'same')
      const y = tf.conv2d(h, filter2 as tf.Tensor4D, 1, 'same')
      // MobileNet's depthwise layer and ReLU6
      const d = tf.clipByValue(tf.depthwiseConv2d(y, depthwise as tf.Tensor4D, 1, 'same'), 0, 6)
      return tf.sum(tf.mul(tf.maxPool(d, 2, 2, 'valid'), w))
    }
    return tf
      .grads(loss)([x, f, f2, fd])
      .map((g) => g.dataSync() as Float32Array)
  })
}

describe('native kernels: threads and fallback', () => {
  afterEach(() => {
    for (const name of ENV) delete process.env[name]
  })
  afterAll(async () => {
    await closeNativeKernels()
  })

  it('threads follow COHORT_THREADS, else the cores shared by the networks training at once', () => {
    process.env.COHORT_THREADS = '3'
    expect(nativeThreads(2)).toBe(3)
    delete process.env.COHORT_THREADS
    expect(nativeThreads(1)).toBeGreaterThanOrEqual(nativeThreads(2))
    expect(nativeThreads(1000)).toBe(1)
  })

  it('a bad COHORT_THREADS is a clear error, not a silent fallback', async () => {
    process.env.COHORT_THREADS = 'two'
    await expect(initBackend('wasm')).rejects.toThrow(BackendError)
    await expect(initBackend('wasm')).rejects.toThrow(
      /COHORT_THREADS must be a whole number from 1 to 64, got "two"/,
    )
  })

  it('1 and 2 threads give bit-identical gradients, close to the JavaScript kernels', async () => {
    process.env.COHORT_THREADS = '1'
    const one = await initBackend('wasm')
    expect(one.threads).toBe(1)
    expect(one.note).toBeUndefined()
    expect(nativeRegistered()).toBe(true)
    const single = gradients()

    process.env.COHORT_THREADS = '2'
    const two = await initBackend('wasm')
    expect(two.threads).toBe(2)
    expect(nativeRegistered()).toBe(true)
    const pair = gradients()
    for (let i = 0; i < single.length; i++) expect(Array.from(pair[i]!)).toEqual(Array.from(single[i]!))

    process.env.COHORT_NATIVE = '0'
    const js = await initBackend('wasm')
    expect(js.note).toMatch(/COHORT_NATIVE=0/)
    expect(nativeRegistered()).toBe(false)
    const reference = gradients()
    for (let i = 0; i < single.length; i++)
      expect(relativeError(single[i]!, reference[i]!)).toBeLessThan(1e-4)
  })

  it('a missing kernels binary falls back to the JavaScript kernels and says why', async () => {
    process.env.COHORT_NATIVE_WASM = '/nonexistent/cohort-kernels.wasm'
    await closeNativeKernels()
    const info = await initBackend('wasm')
    expect(info.name).toBe('wasm')
    expect(info.threads).toBe(1)
    expect(info.note).toMatch(
      /native kernels could not load: cannot read \/nonexistent\/cohort-kernels\.wasm/,
    )
    expect(nativeRegistered()).toBe(false)
    // Training still works on the fallback.
    expect(gradients()[1]!.every(Number.isFinite)).toBe(true)
  })

  it('closing the native kernels and starting again restores them', async () => {
    await initBackend('wasm')
    await closeNativeKernels()
    expect(nativeRegistered()).toBe(false)
    const info = await initBackend('wasm')
    expect(info.note).toBeUndefined()
    expect(nativeRegistered()).toBe(true)
  })
})
