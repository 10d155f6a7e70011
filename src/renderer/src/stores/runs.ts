import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { ApiError, call, on } from '../api'
import { recommendedEnsembleRule, recommendedTeacher } from '../../../shared/recommended-settings'
import type { ApiEvents } from '../../../shared/api'
import type { EpochMetrics, NetworkArch, RunPlan, RunSummary, ZooCatalogue } from '../../../shared/types'
import {
  MAX_NETWORKS,
  MIN_NETWORKS,
  TRAINING_DEFAULTS,
  AUGMENT_PRESET_NAMES,
  type AugmentPresetName,
  type EnsembleRule,
  type TeacherName,
  type TrainingSettingsInput,
} from '../../../shared/training-settings'
import { useDatasetStore } from './dataset'
import { useNoticesStore } from './notices'

/** The teachers shown without opening "Advanced": the two recommended by dataset size (docs/EXPERIMENTS.md), the other headline mode and the baseline. */
export const BASIC_TEACHERS = ['min-logit', 'validation', 'min-loss', 'none'] as const

/** The settings a person chooses; the rest keep the service's defaults unless set under Advanced. */
export interface TrainForm {
  networks: NetworkArch[]
  /** null = the one recommended for the dataset's size, which the service applies */
  teacher: TeacherName | null
  /** how the app's answer weighs the networks; null = the one recommended for the validation split's size */
  ensembleRule: EnsembleRule | null
  /** null = chosen by the service from the dataset (runs.plan says what and why) */
  epochs: number | null
  imageSize: number | null
  channels: 1 | 3 | null
  /** every network's augmentation preset (src/core/training/augment.ts) */
  augment: AugmentPresetName
  /** null = the service's default */
  lr: number | null
  batchSize: number | null
  lambda: number | null
  T: number | null
  /** the earlier run whose weights every network starts from; null = new networks */
  fromRun: number | null
}

/** The networks a run trained, as its settings name them (a run started from it must train the same). */
export function runNetworks(run: RunSummary): { arch: NetworkArch; width?: number }[] {
  const networks = (run.config.networks ?? []) as { arch: NetworkArch; width?: number }[]
  return networks.map((n) => (n.width === undefined ? { arch: n.arch } : { arch: n.arch, width: n.width }))
}

/**
 * The settings object `runs.start` takes, leaving out what the form left at its default. Started from an
 * earlier run (`from`), the networks are that run's and its picture size and colour are left to the service,
 * which takes them from that run.
 */
export function startSettings(
  datasetId: number,
  form: TrainForm,
  from: RunSummary | null = null,
): TrainingSettingsInput {
  const networks = from ? runNetworks(from) : form.networks.map((arch) => ({ arch }))
  const settings: TrainingSettingsInput = {
    dataset: datasetId,
    networks: networks.map((n) => ({ ...n, augment: form.augment })),
  }
  if (from) settings.fromRun = from.id
  if (form.teacher !== null) settings.teacher = form.teacher
  if (form.ensembleRule !== null) settings.ensembleRule = form.ensembleRule
  if (form.channels !== null && !from) settings.channels = form.channels
  if (form.imageSize !== null && !from) settings.imageSize = form.imageSize
  for (const key of ['epochs', 'lr', 'batchSize', 'lambda', 'T'] as const) {
    if (form[key] !== null) settings[key] = form[key]
  }
  return settings
}

export interface Progress {
  epoch: number
  step: number
  steps: number
  /** seconds left for the whole run, once a rate is known */
  etaSeconds: number | null
}

const ACTIVE = new Set(['queued', 'running'])

/** A plan that failed for a passing reason is asked again this many times, waiting 2 s, 4 s, 6 s. */
const PLAN_RETRIES = 3
const PLAN_RETRY_MS = 2000

/** Failures not about the settings: a busy library, an unexpected error, a lost connection to the service. */
function isPassing(err: unknown): boolean {
  if (!(err instanceof ApiError)) return true
  return ['LibraryError', 'InternalError', 'Disconnected'].includes(err.kind)
}

/**
 * The Train view's state: the group being chosen, the network catalogue, the dataset's runs, and the run
 * on screen with its epochs and progress, kept live from the service's run events.
 */
export const useRunsStore = defineStore('runs', () => {
  const dataset = useDatasetStore()
  const notices = useNoticesStore()

  const form = ref<TrainForm>({
    networks: [...TRAINING_DEFAULTS.networks],
    teacher: null,
    ensembleRule: null,
    epochs: null,
    imageSize: null,
    channels: null,
    augment: AUGMENT_PRESET_NAMES[0],
    lr: null,
    batchSize: null,
    lambda: null,
    T: null,
    fromRun: null,
  })
  const catalogue = shallowRef<ZooCatalogue | null>(null)
  /** what the next run would be (every setting resolved, why, how long); null while unknown or impossible */
  const plan = shallowRef<RunPlan | null>(null)
  /** why there is no plan, in the service's words (null while there is one or none was asked for) */
  const planProblem = ref<string | null>(null)
  /** the predicted seconds of the runs started here, to show beside the time they took */
  const predicted = ref<Record<number, number>>({})
  /** the dataset's runs as last listed by the service */
  const listed = ref<RunSummary[]>([])
  const current = ref<RunSummary | null>(null)
  /**
   * The dataset's runs, newest first, the run on screen as the header shows it: its events (progress, epochs,
   * status) update it at once, while a list fetched earlier would still say "queued" as it runs.
   */
  const runs = computed<RunSummary[]>(() => {
    const live = current.value
    if (live === null || live.datasetId !== dataset.datasetId) return listed.value
    const others = listed.value.filter((r) => r.id !== live.id)
    return [live, ...others].sort((a, b) => b.id - a.id)
  })
  /** the dataset's runs a new run can start from: completed, so their networks' weights were kept */
  const startable = computed(() => runs.value.filter((r) => r.status === 'completed'))
  /** the run the next one starts from, while it is still one of those (not deleted, same dataset) */
  const warmFrom = computed(() => startable.value.find((r) => r.id === form.value.fromRun) ?? null)
  const epochs = ref<EpochMetrics[]>([])
  const progress = ref<Progress | null>(null)
  const starting = ref(false)
  const cancelling = ref(false)
  // when the current epoch's first step was seen, for the rate behind the ETA
  let epochStart: { epoch: number; step: number; at: number } | null = null

  // what the dataset's size recommends, with why (src/shared/recommended-settings.ts)
  const teacherChoice = computed(() => (dataset.summary ? recommendedTeacher(dataset.summary.labels) : null))
  const ensembleRuleChoice = computed(() =>
    dataset.summary ? recommendedEnsembleRule(dataset.summary.labels) : null,
  )
  /** The teacher the next run will have: the person's choice or the recommendation. */
  const teacher = computed(() => form.value.teacher ?? teacherChoice.value?.teacher ?? null)
  /** The weight rule the next run's answer will have: the person's choice or the recommendation. */
  const ensembleRule = computed(() => form.value.ensembleRule ?? ensembleRuleChoice.value?.rule ?? null)

  const active = computed(() => current.value !== null && ACTIVE.has(current.value.status))
  const resumable = computed(
    () => current.value !== null && ['cancelled', 'interrupted', 'failed'].includes(current.value.status),
  )

  /** The picture size and colour the next run trains at: the person's, else the plan's, else the defaults. */
  const imageSize = computed(() => {
    const earlier = warmFrom.value?.config.imageSize as number | undefined
    return (
      earlier ?? form.value.imageSize ?? Number(plan.value?.settings.imageSize ?? TRAINING_DEFAULTS.imageSize)
    )
  })
  const channels = computed(() => {
    const earlier = warmFrom.value?.config.channels as 1 | 3 | undefined
    return (
      earlier ?? form.value.channels ?? (plan.value?.settings.channels === 1 ? 1 : TRAINING_DEFAULTS.channels)
    )
  })
  /** The settings the form would start a run with. */
  const settings = (datasetId: number) => startSettings(datasetId, form.value, warmFrom.value)

  async function loadCatalogue(): Promise<void> {
    const classes = Math.max(2, dataset.labels.length)
    const size = imageSize.value
    const colour = channels.value
    try {
      const next = await call('models.zoo', size, colour, classes)
      // answers can cross when the size changes quickly: keep the one for the size now chosen
      if (imageSize.value === size && channels.value === colour) catalogue.value = next
    } catch (err) {
      notices.fail(err)
    }
  }

  let planAsked = 0
  let planRetry: ReturnType<typeof setTimeout> | undefined
  /**
   * Asks the service what a run with the form's settings would be. Without a plan the form says why in the
   * service's words (settings it refuses, a dataset not ready to train); a failure that is not about the
   * settings (a busy library, a lost connection) is asked again a few times before it is shown.
   */
  async function loadPlan(attempt = 0): Promise<void> {
    const id = dataset.datasetId
    const asked = ++planAsked
    clearTimeout(planRetry)
    if (id === null) {
      plan.value = null
      planProblem.value = null
      return
    }
    try {
      const next = await call('runs.plan', settings(id))
      if (asked !== planAsked) return
      plan.value = next
      planProblem.value = null
    } catch (err) {
      if (asked !== planAsked) return
      plan.value = null
      if (attempt < PLAN_RETRIES && isPassing(err)) {
        planRetry = setTimeout(() => void loadPlan(attempt + 1), PLAN_RETRY_MS * (attempt + 1))
        return
      }
      planProblem.value = err instanceof Error ? err.message : String(err)
    }
  }

  function toggleNetwork(arch: NetworkArch): void {
    const chosen = form.value.networks
    if (chosen.includes(arch)) {
      if (chosen.length > MIN_NETWORKS) form.value.networks = chosen.filter((a) => a !== arch)
    } else if (chosen.length < MAX_NETWORKS) form.value.networks = [...chosen, arch]
  }

  async function loadRuns(): Promise<void> {
    const id = dataset.datasetId
    if (id === null) return
    try {
      listed.value = (await call('runs.list', id)).sort((a, b) => b.id - a.id)
    } catch (err) {
      notices.fail(err)
    }
  }

  async function open(runId: number): Promise<void> {
    await notices.attempt(async () => {
      const [run, recorded] = await Promise.all([call('runs.get', runId), call('runs.epochs', runId)])
      current.value = run
      epochs.value = recorded
      progress.value = null
      epochStart = null
    })
  }

  async function start(): Promise<boolean> {
    const id = dataset.datasetId
    if (id === null) return false
    starting.value = true
    try {
      return await notices.attempt(async () => {
        const run = await call('runs.start', settings(id))
        if (plan.value) predicted.value = { ...predicted.value, [run.id]: plan.value.predictedSeconds }
        current.value = run
        epochs.value = []
        progress.value = null
        epochStart = null
        await loadRuns()
      })
    } finally {
      starting.value = false
    }
  }

  async function cancel(): Promise<void> {
    const run = current.value
    if (!run) return
    cancelling.value = true
    try {
      await notices.attempt(() => call('runs.cancel', run.id))
    } finally {
      cancelling.value = false
    }
  }

  /** Deletes the run on screen (not one training) with its files; the newest remaining run takes its place. */
  async function remove(): Promise<boolean> {
    const run = current.value
    if (!run) return false
    const ok = await notices.attempt(() => call('runs.remove', run.id))
    if (!ok) return false
    notices.say(`Deleted run ${run.id}`)
    current.value = null
    epochs.value = []
    await loadRuns()
    const newest = runs.value[0]
    if (newest) await open(newest.id)
    return true
  }

  async function resume(): Promise<void> {
    const run = current.value
    if (!run) return
    await notices.attempt(async () => {
      // a just-cancelled trainer may still be exiting: the service refuses to resume until it has
      await call('runs.wait', run.id)
      current.value = await call('runs.resume', run.id)
      await loadRuns()
    })
  }

  /**
   * Seconds left in the run: epochs still to go at the measured seconds per epoch (which include validation),
   * or before the first epoch ends, at the current step rate. Epoch 0 decodes images: no estimate yet.
   */
  function eta(p: ApiEvents['run.progress'], perStep: number | null): number | null {
    if (p.epoch === 0 || p.steps === 0) return null
    const epochsLeft = 1 - p.step / p.steps + Math.max(0, Number(current.value?.config.epochs ?? 0) - p.epoch)
    const measured = epochs.value.filter((m) => m.epoch > 0)
    if (measured.length > 0) {
      return Math.round((epochsLeft * measured.reduce((sum, m) => sum + m.seconds, 0)) / measured.length)
    }
    return perStep === null ? null : Math.round(perStep * epochsLeft * p.steps)
  }

  function onProgress(p: ApiEvents['run.progress']): void {
    if (p.runId !== current.value?.id) return
    const now = Date.now()
    if (!epochStart || epochStart.epoch !== p.epoch) epochStart = { epoch: p.epoch, step: p.step, at: now }
    const perStep =
      p.step > epochStart.step ? (now - epochStart.at) / 1000 / (p.step - epochStart.step) : null
    if (current.value.status === 'queued') current.value = { ...current.value, status: 'running' }
    progress.value = { ...p, etaSeconds: eta(p, perStep) }
  }

  function onEpoch(e: ApiEvents['run.epoch']): void {
    if (e.runId !== current.value?.id) return
    epochs.value = [...epochs.value.filter((m) => m.epoch < e.metrics.epoch), e.metrics]
    // an epoch means the trainer runs, even if its 'running' status came before runs.start answered
    const status = current.value.status === 'queued' ? 'running' : current.value.status
    current.value = { ...current.value, status, epochsDone: e.metrics.epoch, last: e.metrics }
  }

  async function onStatus(s: ApiEvents['run.status']): Promise<void> {
    if (s.runId === current.value?.id) {
      current.value = { ...current.value, status: s.status, message: s.message }
      if (!ACTIVE.has(s.status)) {
        progress.value = null
        // the summary gains what the trainer recorded last (final figures, finish time)
        current.value = await call('runs.get', s.runId).catch(() => current.value)
      }
    }
    await loadRuns()
  }

  /** Follows the service's run events until the returned function is called. */
  function listen(): () => void {
    const stops = [
      on('run.progress', onProgress),
      on('run.epoch', onEpoch),
      on('run.status', (s) => void onStatus(s)),
    ]
    return () => stops.forEach((stop) => stop())
  }

  return {
    form,
    catalogue,
    plan,
    predicted,
    imageSize,
    channels,
    startable,
    warmFrom,
    loadPlan,
    planProblem,
    teacherChoice,
    ensembleRuleChoice,
    teacher,
    ensembleRule,
    runs,
    current,
    epochs,
    progress,
    starting,
    cancelling,
    active,
    resumable,
    loadCatalogue,
    toggleNetwork,
    loadRuns,
    open,
    start,
    cancel,
    resume,
    remove,
    listen,
  }
})
