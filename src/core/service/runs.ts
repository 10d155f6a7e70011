/**
 * The run supervisor: creates runs, starts each in its own trainer process, forwards the trainer's messages
 * as service events, cancels (with a grace period, then a kill) and notices a trainer that died without
 * saying so — marking its run instead of leaving anyone waiting.
 */
import { fork } from 'node:child_process'
import { rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ServiceEvents } from './events'
import type { LibraryPaths } from '../paths'
import type { Db } from '../store/db'
import { datasetSummary, requireDataset } from '../store/datasets'
import { countLabelledBySplit } from '../store/image-lists'
import { createRun, deleteRun, getRun, listEpochs, listRuns, requireRun, setRunStatus } from '../store/runs'
import { pictureFacts } from '../dataset/picture-facts'
import { runToStartFrom, settingsFromRun } from './from-run'
import { aloneRunOf, aloneSettings } from './alone-run'
import { parseTrainingConfig, type TrainingConfig } from '../training/config'
import {
  hasTrainerPid,
  removeRunFolder,
  runDirectory,
  trainerAlive,
  writeTrainerPid,
} from '../training/run-folder'
import { automaticSettings, batchesPerEpoch, predictSeconds } from '../../shared/automatic-settings'
import type { EpochMetrics, RunPlan, RunSummary } from '../../shared/types'
import { isTrainerMessage, type ParentMessage, type TrainerMessage } from '../../shared/trainer-protocol'

/** A running trainer process, whatever started it (a Node fork here; Electron's utilityProcess later). */
export interface TrainerChild {
  readonly pid: number | undefined
  send(message: ParentMessage): void
  onMessage(handler: (message: TrainerMessage) => void): void
  onExit(handler: (code: number | null, signal: string | null) => void): void
  kill(): void
  /** the end of what the process wrote to stderr, to explain a crash */
  stderrTail(): string
}

export type TrainerLauncher = () => TrainerChild

/** How long a cancelled trainer may take to stop on its own before it is killed. */
const CANCEL_GRACE_MS = 5000

export class RunError extends Error {
  override name = 'RunError'
}

/** The trainer entry: the TypeScript source under tsx, the built file in a bundle, or COHORT_TRAINER_ENTRY. */
export function trainerEntry(): string {
  if (process.env.COHORT_TRAINER_ENTRY) return process.env.COHORT_TRAINER_ENTRY
  const fromSource = import.meta.url.endsWith('.ts')
  return fileURLToPath(new URL(fromSource ? '../../trainer/main.ts' : './trainer.js', import.meta.url))
}

/** Starts the trainer with `child_process.fork`; from source through tsx. */
export function forkTrainer(entry = trainerEntry()): TrainerChild {
  const child = fork(entry, [], {
    // tsx by absolute URL: a bare `--import tsx` resolves from the working folder, which may be anywhere
    execArgv: entry.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [],
    // stdout is tfjs chatter; stderr is kept to explain a crash
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  })
  let tail = ''
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (text: string) => {
    tail = (tail + text).slice(-4000)
  })
  return {
    pid: child.pid,
    send: (message) => {
      if (child.connected) child.send(message)
    },
    onMessage: (handler) =>
      child.on('message', (message: unknown) => {
        if (isTrainerMessage(message)) handler(message)
      }),
    onExit: (handler) => {
      // a process that cannot start at all reports 'error' and may never report 'exit'
      let ended = false
      const once = (code: number | null, signal: string | null) => {
        if (ended) return
        ended = true
        handler(code, signal)
      }
      child.on('exit', once)
      child.on('error', (error) => {
        tail += `\n${error.message}`
        once(child.exitCode ?? 1, null)
      })
    },
    kill: () => void child.kill('SIGKILL'),
    stderrTail: () => tail,
  }
}

interface ActiveRun {
  child: TrainerChild
  finished: TrainerMessage | null
  cancelTimer: NodeJS.Timeout | null
  ended: Promise<RunSummary>
}

/** A run queued this recently may have a trainer starting in another process; older ones never started. */
const QUEUED_GRACE_MS = 60_000

/** The last meaningful line a crashed process wrote. */
export function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('at '))
  return lines.at(-1) ?? ''
}

export class RunSupervisor {
  private readonly active = new Map<number, ActiveRun>()

  constructor(
    private readonly db: Db,
    private readonly paths: LibraryPaths,
    private readonly events: ServiceEvents,
    private readonly launch: TrainerLauncher = forkTrainer,
  ) {}

  /**
   * What `start` would do with these settings: each one the person left out chosen from the dataset (picture
   * size and colour from the pictures, batch and epochs from a step budget, teacher and weight rule from its
   * size), with why, and the run's predicted duration. Validates what the person gave.
   */
  async plan(input: Record<string, unknown>): Promise<RunPlan> {
    return (await this.resolve(input)).plan
  }

  private async resolve(input: Record<string, unknown>): Promise<{ config: TrainingConfig; plan: RunPlan }> {
    // the person's own values first: a mistake is reported before anything is looked at
    const given = parseTrainingConfig(input)
    const datasetId = requireDataset(this.db, given.dataset).id
    const { labels } = datasetSummary(this.db, datasetId)
    const trainPictures = labels.reduce((sum, l) => sum + l.trainCount, 0)
    const validationPictures = labels.reduce((sum, l) => sum + l.validationCount, 0)
    const fromRun = given.fromRun
    const warm =
      fromRun === undefined
        ? undefined
        : { fromRun, ...settingsFromRun(runToStartFrom(this.db, this.paths, fromRun, datasetId), input) }
    const { values, chosen } = await automaticSettings(
      input,
      given.batchSize,
      labels,
      () => pictureFacts(this.db, datasetId),
      warm,
    )
    // checked again as a whole: a choice meets the person's other settings (e.g. validateEvery ≤ epochs)
    const config = parseTrainingConfig({ ...input, ...values })
    const [{ describeNetwork }, { groupNetworks }] = await Promise.all([
      import('../engine/zoo'),
      import('../training/config'),
    ])
    const classes = Math.max(2, labels.filter((l) => l.trainCount > 0).length)
    const flops = groupNetworks(config, classes).map((n) => describeNetwork(n.spec).flops)
    const plan: RunPlan = {
      settings: { ...config, dataset: datasetId },
      chosen,
      trainPictures,
      validationPictures,
      steps: config.epochs * batchesPerEpoch(trainPictures, config.batchSize),
      predictedSeconds: predictSeconds({
        flops,
        batchSize: config.batchSize,
        epochs: config.epochs,
        trainPictures,
        validationPictures,
      }),
    }
    return { config, plan }
  }

  /** Resolves the settings (see plan), freezes the class names, creates the run and starts its trainer. */
  async start(input: Record<string, unknown>): Promise<RunSummary> {
    const { config } = await this.resolve(input)
    const datasetId = requireDataset(this.db, config.dataset).id
    const classNames = this.classNames(datasetId)
    // params and flops are shown before training starts; the zoo is loaded only when a run is started
    const [{ describeNetwork }, { groupNetworks }] = await Promise.all([
      import('../engine/zoo'),
      import('../training/config'),
    ])
    const networks = groupNetworks(config, classNames.length).map((n, index) => {
      const d = describeNetwork(n.spec)
      return { index, arch: n.spec.arch, params: d.params, flops: d.flops }
    })
    const runId = createRun(this.db, {
      datasetId,
      config: { ...config, dataset: datasetId },
      classNames,
      networks,
      fromRun: config.fromRun ?? null,
    })
    // ids are never reused, but a library restored from a backup may meet folders of runs made after it
    rmSync(runDirectory(this.paths, runId), { recursive: true, force: true })
    this.spawn(runId)
    return requireRun(this.db, runId)
  }

  /**
   * Trains a completed run's networks alone (teacher none, same settings and seed) so Results can show what
   * training together added; the alone run already asked for is returned instead of a second one.
   */
  async trainAlone(runId: number): Promise<RunSummary> {
    const run = requireRun(this.db, runId)
    const existing = aloneRunOf(this.db, run)
    if (existing) return existing
    return this.start(aloneSettings(this.db, runId, this.classNames(run.datasetId)))
  }

  /** Continues a run that stopped (cancelled, interrupted, failed) from its last checkpoint. */
  async resume(runId: number): Promise<RunSummary> {
    // "Resume" right after "Cancel": wait for the stopping trainer to leave rather than refuse
    const stopping = this.active.get(runId)
    if (stopping?.cancelTimer) await stopping.ended
    const run = requireRun(this.db, runId)
    if (this.active.has(runId) || run.status === 'running') {
      throw new RunError(`Run ${runId} is already training.`)
    }
    if (run.status === 'completed') throw new RunError(`Run ${runId} has already completed.`)
    setRunStatus(this.db, runId, 'queued', null)
    this.spawn(runId)
    return requireRun(this.db, runId)
  }

  /** Asks the trainer to stop before its next step; kills it if it has not stopped after a grace period. */
  async cancel(runId: number): Promise<void> {
    const run = requireRun(this.db, runId)
    const active = this.active.get(runId)
    if (!active) {
      if (run.status === 'queued' || run.status === 'running') {
        setRunStatus(this.db, runId, 'cancelled', 'Cancelled; resume to continue.')
      }
      return
    }
    active.child.send({ type: 'cancel' })
    active.cancelTimer ??= setTimeout(() => active.child.kill(), CANCEL_GRACE_MS)
    active.cancelTimer.unref()
  }

  /** Resolves with the run once its trainer has ended (at once if it is not training). */
  async wait(runId: number): Promise<RunSummary> {
    const active = this.active.get(runId)
    return active ? active.ended : requireRun(this.db, runId)
  }

  /**
   * Deletes a run that is not training (here or in another process sharing the library): its row with its
   * networks, epochs and model records, then its folder under the library's runs folder.
   */
  async remove(runId: number): Promise<void> {
    const run = requireRun(this.db, runId)
    const dir = runDirectory(this.paths, runId)
    if (this.active.has(runId) || run.status === 'running' || trainerAlive(dir)) {
      throw new RunError(`Run ${runId} is training; cancel it before deleting it.`)
    }
    deleteRun(this.db, runId)
    await removeRunFolder(this.paths, runId)
  }

  list(datasetId?: number): RunSummary[] {
    return listRuns(this.db, datasetId)
  }

  get(runId: number): RunSummary {
    return requireRun(this.db, runId)
  }

  epochs(runId: number): EpochMetrics[] {
    requireRun(this.db, runId)
    return listEpochs(this.db, runId)
  }

  /** Runs this service is training right now (the desktop app asks before quitting while any are). */
  activeRunIds(): number[] {
    return [...this.active.keys()]
  }

  /** The trainer process of a run that is training (for diagnostics and tests). */
  trainerPid(runId: number): number | undefined {
    return this.active.get(runId)?.child.pid
  }

  /**
   * Runs left 'running' whose trainer process is gone (the app or the machine stopped) become 'interrupted',
   * and so do runs left 'queued' whose trainer never started. A run another process is training right now
   * (the desktop app and the CLI share a library) is left alone: its trainer's pid record names a live
   * process that started when the record says (a reused pid does not count).
   */
  markInterrupted(now = Date.now()): number {
    let marked = 0
    for (const run of listRuns(this.db)) {
      if ((run.status !== 'running' && run.status !== 'queued') || this.active.has(run.id)) continue
      const dir = runDirectory(this.paths, run.id)
      if (trainerAlive(dir)) continue
      if (run.status === 'queued') {
        // no record yet: a trainer may be starting for a run another process has just queued
        if (!hasTrainerPid(dir) && now - Date.parse(run.createdAt) < QUEUED_GRACE_MS) continue
        setRunStatus(this.db, run.id, 'interrupted', 'The trainer never started; resume to start it.')
      } else {
        setRunStatus(this.db, run.id, 'interrupted', 'The trainer stopped unexpectedly; resume to continue.')
      }
      marked++
    }
    return marked
  }

  /** The app is closing: every trainer stops at its next step (the run stays resumable). */
  close(): void {
    for (const [runId] of this.active) void this.cancel(runId)
  }

  /** The labels the run will predict: those with labelled images in a split, in code-point order. */
  private classNames(datasetId: number): string[] {
    const rows = countLabelledBySplit(this.db, datasetId)
    const count = (split: string) => rows.filter((r) => r.split === split).reduce((s, r) => s + r.n, 0)
    if (count('train') === 0) {
      throw new RunError(
        'The dataset has no labelled images in the train split: label pictures and split the dataset first.',
      )
    }
    if (count('validation') === 0) {
      throw new RunError(
        'The dataset has no labelled validation images: split it again with a validation share (20 % is usual).',
      )
    }
    const names = [...new Set(rows.map((r) => r.label))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    if (names.length < 2) throw new RunError('Training needs at least 2 labels with images.')
    return names
  }

  private spawn(runId: number): void {
    const child = this.launch()
    // recorded at once, so a run whose trainer is starting is never taken for one whose trainer never did
    if (child.pid !== undefined) writeTrainerPid(runDirectory(this.paths, runId), child.pid)
    let resolveEnded!: (run: RunSummary) => void
    const active: ActiveRun = {
      child,
      finished: null,
      cancelTimer: null,
      ended: new Promise((resolve) => (resolveEnded = resolve)),
    }
    this.active.set(runId, active)
    child.onMessage((message) => this.receive(runId, active, message))
    let lastKnown = requireRun(this.db, runId)
    child.onExit((code, signal) => {
      if (active.cancelTimer) clearTimeout(active.cancelTimer)
      this.active.delete(runId)
      // the service may have closed meanwhile (the app quit): the next start marks the run from its pid file
      if (!this.db.open) return resolveEnded(lastKnown)
      if (!active.finished) this.markDead(runId, active, code, signal)
      lastKnown = requireRun(this.db, runId)
      resolveEnded(lastKnown)
    })
    child.send({
      type: 'start',
      runId,
      library: { home: this.paths.home, dbFile: this.paths.db },
    })
  }

  private receive(runId: number, active: ActiveRun, message: TrainerMessage): void {
    switch (message.type) {
      case 'started':
        this.events.emit('run.status', { runId, status: 'running', message: null, backend: message.backend })
        return
      case 'progress':
        this.events.emit('run.progress', {
          runId,
          epoch: message.epoch,
          step: message.step,
          steps: message.steps,
        })
        return
      case 'epoch':
        this.events.emit('run.epoch', { runId, metrics: message.metrics })
        return
      case 'finished':
        active.finished = message
        this.events.emit('run.status', { runId, status: message.status, message: message.message ?? null })
        return
    }
  }

  /** The trainer ended without a 'finished' message: say what happened, in the run itself. */
  private markDead(runId: number, active: ActiveRun, code: number | null, signal: string | null): void {
    const run = getRun(this.db, runId)
    if (!run) return
    if (code === 0 && run.status !== 'running' && run.status !== 'queued') {
      // the trainer recorded how the run ended but its last message was lost on the way out
      this.events.emit('run.status', { runId, status: run.status, message: run.message })
      return
    }
    let status: 'cancelled' | 'interrupted' | 'failed'
    let text: string
    if (active.cancelTimer && signal) {
      status = 'cancelled'
      text = 'Cancelled (the trainer did not stop in time and was ended); resume to continue.'
    } else if (signal) {
      status = 'interrupted'
      text = `The trainer stopped unexpectedly (${signal}); resume to continue from the last completed epoch.`
    } else {
      status = 'failed'
      const detail = lastLine(active.child.stderrTail())
      text = `The trainer crashed (exit code ${code})${detail ? `: ${detail}` : ''}; resume to continue from the last completed epoch.`
    }
    setRunStatus(this.db, runId, status, text)
    this.events.emit('run.status', { runId, status, message: text })
  }
}
