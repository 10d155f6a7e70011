/**
 * The training settings of one run, validated with their zod schema (src/shared/training-settings.ts). Every
 * mistake is reported in plain words with the field it concerns, because these settings come from the UI, the
 * CLI and hand-written files alike.
 */
import type { z } from 'zod'
import type { NetworkConfig as EngineNetworkConfig } from '../engine/protocol'
import type { NetworkArch } from '../engine/zoo'
import { KNOWN_ARCHS, trainingSettingsSchema } from '../../shared/training-settings'

// the schema, its defaults and the names it accepts are shared with the API's types and the Train view
export {
  KNOWN_ARCHS,
  WEIGHT_DECAY_SCOPES,
  WHOLE_SETTING_RANGES,
  trainingSettingsSchema as trainingConfigSchema,
  type WeightDecayScope,
} from '../../shared/training-settings'

export class TrainingConfigError extends Error {
  override name = 'TrainingConfigError'
  constructor(readonly problems: string[]) {
    super(
      `The training settings have ${problems.length === 1 ? 'a problem' : 'problems'}:\n- ${problems.join('\n- ')}`,
    )
  }
}

export type TrainingConfig = z.output<ReturnType<typeof trainingSettingsSchema>>
export type TrainingConfigInput = z.input<ReturnType<typeof trainingSettingsSchema>>
export type NetworkConfig = TrainingConfig['networks'][number]

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input
  for (const key of path) {
    // a shorthand such as schedule: "linear" is checked as { kind: "linear" }: report what the user wrote
    if (v === null || typeof v !== 'object') return v
    v = (v as Record<PropertyKey, unknown>)[key]
  }
  return v
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (Array.isArray(value)) return String(value.length)
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'object' && value !== null) return 'an object'
  return String(value)
}

/** "networks.1.arch" → "network 2 arch": users count networks from 1. */
function fieldName(path: readonly PropertyKey[]): string {
  const parts: string[] = []
  for (let i = 0; i < path.length; i++) {
    const key = path[i]!
    const next = path[i + 1]
    if (key === 'networks' && typeof next === 'number') {
      parts.push(`network ${next + 1}`)
      i++
    } else parts.push(String(key))
  }
  return parts.join(' ') || 'settings'
}

function explain(issue: z.core.$ZodIssue, input: unknown): string {
  const where = fieldName(issue.path)
  if (issue.code === 'unrecognized_keys') {
    return `${where}: unknown setting${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
  }
  return `${where}: ${issue.message} (got ${describe(valueAt(input, issue.path))})`
}

/**
 * Validated settings with every default filled in. Throws TrainingConfigError naming each bad field, e.g.
 * "networks: choose between 2 and 4 networks (got 1)".
 */
export function parseTrainingConfig(input: unknown, archs: readonly string[] = KNOWN_ARCHS): TrainingConfig {
  const result = trainingSettingsSchema(archs).safeParse(input)
  if (!result.success)
    throw new TrainingConfigError(result.error.issues.map((issue) => explain(issue, input)))
  return result.data
}

/** The engine's description of each network of a run: spec (seeded per network) and optimiser. */
export function groupNetworks(config: TrainingConfig, classes: number): EngineNetworkConfig[] {
  const decay = { weightDecay: config.weightDecay, decayAll: config.weightDecayScope === 'all' }
  return config.networks.map((net, i) => ({
    spec: {
      arch: net.arch as NetworkArch,
      inputSize: config.imageSize,
      channels: config.channels,
      classes,
      ...(net.width === undefined ? {} : { width: net.width }),
      // distinct initial weights per network, reproducible from the run's seed
      seed: config.seed * 8 + i + 1,
    },
    optimizer:
      config.optimiser === 'sgd'
        ? {
            kind: 'sgd',
            lr: config.lr,
            momentum: config.momentum,
            nesterov: config.nesterov,
            ...decay,
          }
        : { kind: 'adam', lr: config.lr, ...decay },
  }))
}
