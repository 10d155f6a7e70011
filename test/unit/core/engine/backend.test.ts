import * as tf from '@tensorflow/tfjs'
import { afterEach, describe, expect, it } from 'vitest'
import { BackendError, initBackend } from '../../../../src/core/engine/backend'

async function tfjsNodePresent(): Promise<boolean> {
  const specifier = '@tensorflow/tfjs-node'
  try {
    await import(/* @vite-ignore */ specifier)
    return true
  } catch {
    return false
  }
}

describe('initBackend', () => {
  afterEach(() => {
    delete process.env.COHORT_BACKEND
  })

  it('forces wasm and registers the Cohort training kernels there', async () => {
    const info = await initBackend('wasm')
    expect(info.name).toBe('wasm')
    expect(tf.getBackend()).toBe('wasm')
    for (const name of [
      'Conv2DBackpropFilter',
      'DepthwiseConv2dNativeBackpropFilter',
      'DepthwiseConv2dNativeBackpropInput',
    ]) {
      expect(info.kernels).toContain(name)
      expect(tf.getKernel(name, 'wasm')).toBeDefined()
    }
  })

  it('registers kernels only once however often it is called', async () => {
    const first = await initBackend('wasm')
    const again = await initBackend('wasm')
    expect(again.kernels).toEqual(first.kernels)
    const grad = tf.tidy(() =>
      tf.grad((x: tf.Tensor) => tf.sum(tf.conv2d(x as tf.Tensor4D, tf.ones([3, 3, 1, 2]), 1, 'same')))(
        tf.ones([1, 4, 4, 1]),
      ),
    )
    expect(grad.shape).toEqual([1, 4, 4, 1])
    grad.dispose()
  })

  it('forces cpu through COHORT_BACKEND', async () => {
    process.env.COHORT_BACKEND = 'cpu'
    const info = await initBackend()
    expect(info).toEqual({ name: 'cpu', threads: 1, kernels: [] })
    expect(tf.getBackend()).toBe('cpu')
  })

  it('the argument wins over COHORT_BACKEND', async () => {
    process.env.COHORT_BACKEND = 'cpu'
    expect((await initBackend('wasm')).name).toBe('wasm')
  })

  it('rejects an unknown backend name with the choices', async () => {
    process.env.COHORT_BACKEND = 'gpu'
    await expect(initBackend()).rejects.toThrow(BackendError)
    await expect(initBackend()).rejects.toThrow(/unknown backend "gpu".*tensorflow, wasm, cpu/)
  })

  it('a forced tensorflow backend that cannot load names it and why', async () => {
    if (await tfjsNodePresent()) {
      expect((await initBackend('tensorflow')).name).toBe('tensorflow')
      return
    }
    await expect(initBackend('tensorflow')).rejects.toThrow(/requested backend.*@tensorflow\/tfjs-node/)
  })

  it('without a preference picks the fastest that loads', async () => {
    const info = await initBackend()
    expect(info.name).toBe((await tfjsNodePresent()) ? 'tensorflow' : 'wasm')
  })
})
