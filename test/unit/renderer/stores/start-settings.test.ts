import { describe, expect, it } from 'vitest'
import { startSettings, type TrainForm } from '../../../../src/renderer/src/stores/runs'
import type { RunSummary } from '../../../../src/shared/types'

const form: TrainForm = {
  networks: ['resnet-14', 'mobilenet'],
  teacher: 'validation',
  ensembleRule: null,
  epochs: null,
  imageSize: 48,
  channels: 1,
  augment: 'light',
  lr: 0.01,
  batchSize: null,
  lambda: null,
  T: null,
  fromRun: 3,
}

const earlier = {
  id: 3,
  datasetId: 1,
  status: 'completed',
  config: {
    networks: [{ arch: 'cnn', width: 0.25, augment: 'safe' }, { arch: 'resnet-8' }],
    imageSize: 16,
    channels: 3,
  },
} as unknown as RunSummary

describe('startSettings: what the Train form asks the service for', () => {
  it('a new run: the chosen networks, size and colour', () => {
    expect(startSettings(1, form)).toEqual({
      dataset: 1,
      networks: [
        { arch: 'resnet-14', augment: 'light' },
        { arch: 'mobilenet', augment: 'light' },
      ],
      teacher: 'validation',
      imageSize: 48,
      channels: 1,
      lr: 0.01,
    })
  })

  it('started from an earlier run: its networks (widths kept, today’s augmentation), its size and colour left to the service', () => {
    expect(startSettings(1, form, earlier)).toEqual({
      dataset: 1,
      fromRun: 3,
      networks: [
        { arch: 'cnn', width: 0.25, augment: 'light' },
        { arch: 'resnet-8', augment: 'light' },
      ],
      teacher: 'validation',
      lr: 0.01,
    })
  })
})
