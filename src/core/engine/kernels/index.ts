/**
 * Registers Cohort's training kernels for the wasm backend: the gradients wasm lacks, and faster
 * replacements for slow ones it has. Idempotent; returns the names registered.
 */
import * as tf from '@tensorflow/tfjs'
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, batchNormTrain, batchNormTrainGrad } from './batch-norm'
import {
  conv2DBackpropFilter,
  conv2DBackpropInput,
  depthwiseConv2dNativeBackpropFilter,
  depthwiseConv2dNativeBackpropInput,
} from './conv-grad'
import { identityKernel } from './identity'
import { maxPoolGrad } from './pool-grad'
import { meanKernel, sumKernel } from './reduce'
import { tileKernel } from './tile'
import { rememberOriginal } from './wasm-ops'

export const COHORT_KERNELS: ReadonlyArray<{ kernelName: string; kernelFunc: tf.KernelFunc }> = [
  { kernelName: 'Conv2DBackpropFilter', kernelFunc: conv2DBackpropFilter },
  { kernelName: 'Conv2DBackpropInput', kernelFunc: conv2DBackpropInput },
  { kernelName: 'DepthwiseConv2dNativeBackpropFilter', kernelFunc: depthwiseConv2dNativeBackpropFilter },
  { kernelName: 'DepthwiseConv2dNativeBackpropInput', kernelFunc: depthwiseConv2dNativeBackpropInput },
  { kernelName: 'MaxPoolGrad', kernelFunc: maxPoolGrad },
  { kernelName: 'Sum', kernelFunc: sumKernel },
  { kernelName: 'Mean', kernelFunc: meanKernel },
  { kernelName: 'Tile', kernelFunc: tileKernel },
  { kernelName: 'Identity', kernelFunc: identityKernel },
  { kernelName: BATCH_NORM_TRAIN, kernelFunc: batchNormTrain },
  { kernelName: BATCH_NORM_TRAIN_GRAD, kernelFunc: batchNormTrainGrad },
]

export function registerCohortKernels(): string[] {
  for (const { kernelName, kernelFunc } of COHORT_KERNELS) {
    const existing = tf.getKernel(kernelName, 'wasm')
    if (existing?.kernelFunc === kernelFunc) continue
    if (existing) {
      rememberOriginal(kernelName)
      tf.unregisterKernel(kernelName, 'wasm')
    }
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc })
  }
  return COHORT_KERNELS.map((k) => k.kernelName)
}
