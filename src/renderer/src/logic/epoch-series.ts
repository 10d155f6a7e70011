import type { EpochMetrics } from '../../../shared/types'

/** One line of a chart: a name, a colour and one value per epoch (null where none was measured). */
export interface Series {
  name: string
  color: string
  values: (number | null)[]
  /** the ensemble is drawn dashed, apart from the networks */
  dashed?: boolean
}

const NETWORK_COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1']
const ENSEMBLE_COLOR = '#1d2330'

export function networkColor(index: number): string {
  return NETWORK_COLORS[index % NETWORK_COLORS.length]!
}

/** "1 · cnn": networks are counted from 1, as the settings' messages count them. */
export function networkName(index: number, arch: string): string {
  return `${index + 1} · ${arch}`
}

function perNetwork(epochs: readonly EpochMetrics[], value: (m: EpochMetrics, i: number) => number | null) {
  const networks = epochs[0]?.networks ?? []
  return networks.map((n, i): Series => ({
    name: networkName(n.index, n.arch),
    color: networkColor(i),
    values: epochs.map((m) => value(m, i)),
  }))
}

/** Validation accuracy in percent, each network and the ensemble. */
export function accuracySeries(epochs: readonly EpochMetrics[]): Series[] {
  if (epochs.length === 0) return []
  return [
    ...perNetwork(epochs, (m, i) => (m.networks[i] ? m.networks[i].valAcc * 100 : null)),
    {
      name: 'ensemble',
      color: ENSEMBLE_COLOR,
      dashed: true,
      values: epochs.map((m) => m.ensemble.valAcc * 100),
    },
  ]
}

/** Mean training loss (CE + λ·KD) of each network. */
export function lossSeries(epochs: readonly EpochMetrics[]): Series[] {
  return perNetwork(epochs, (m, i) => m.networks[i]?.trainLoss ?? null)
}

/** The weights the networks are fused with: the teacher's when it has weights, else the ensemble's. */
export function fusionWeights(m: EpochMetrics): number[] {
  return m.teacher?.weights ?? m.ensemble.weights
}

/**
 * Whether the fusion weights tell the user anything: a teacher that weighs its networks (validation, linear, and
 * min-loss by the share of pictures each network taught), or a weighted recognition ensemble. A plain average with
 * a weightless teacher (min-logit, mean) would chart a flat 1/N line, so the Train view leaves the chart and the
 * column out.
 */
export function fusionWeightsVary(epochs: readonly EpochMetrics[]): boolean {
  return epochs.some((m) => {
    if (m.teacher?.weights) return true
    const [first, ...rest] = m.ensemble.weights
    return rest.some((w) => Math.abs(w - first!) > 1e-9)
  })
}

export function weightSeries(epochs: readonly EpochMetrics[]): Series[] {
  return perNetwork(epochs, (m, i) => fusionWeights(m)[i] ?? null)
}

/** "1m 05s", "42s": short enough for a progress line. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s}s`
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const rest = String(s % 60).padStart(2, '0')
  return h > 0 ? `${h}h ${String(m).padStart(2, '0')}m` : `${m}m ${rest}s`
}

export function percent(fraction: number | null | undefined): string {
  return fraction === null || fraction === undefined ? '–' : `${(fraction * 100).toFixed(1)}%`
}

/** 1 234 567 → "1.2M", for parameters and FLOPs on the network cards. */
export function compactNumber(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}G`
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`
  return String(n)
}
