import type { Db } from './db'
import type { EpochMetrics, RunNetwork, RunStatus, RunSummary } from '../../shared/types'
import { randomUUID } from 'node:crypto'
import { StoreError } from './errors'
import { nextId } from './ids'

interface RunRow {
  id: number
  dataset_id: number
  status: RunStatus
  config_json: string
  labels_json: string
  backend: string | null
  message: string | null
  created_at: string
  started_at: string | null
  finished_at: string | null
  uid: string | null
  kept_metrics_json: string | null
  from_run: number | null
}

export interface NewRun {
  datasetId: number
  config: Record<string, unknown>
  classNames: string[]
  networks: RunNetwork[]
  /** the run whose kept weights it starts from */
  fromRun?: number | null
}

/**
 * Creates a queued run with its networks, in one transaction: a never-used id and a random identity
 * (`uid`) its checkpoints will carry.
 */
export function createRun(db: Db, run: NewRun): number {
  return db.transaction(() => {
    const id = nextId(db, 'runs')
    db.prepare(
      'INSERT INTO runs (id, dataset_id, config_json, labels_json, uid, from_run) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(
      id,
      run.datasetId,
      JSON.stringify(run.config),
      JSON.stringify(run.classNames),
      randomUUID(),
      run.fromRun ?? null,
    )
    const insert = db.prepare(
      'INSERT INTO networks (run_id, idx, arch, params, flops) VALUES (?, ?, ?, ?, ?)',
    )
    for (const n of run.networks) insert.run(id, n.index, n.arch, n.params, n.flops)
    return id
  })()
}

const NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

export function setRunStatus(db: Db, runId: number, status: RunStatus, message: string | null = null): void {
  const stamp =
    status === 'running'
      ? `, started_at = COALESCE(started_at, ${NOW}), finished_at = NULL`
      : status === 'queued'
        ? ''
        : `, finished_at = ${NOW}`
  db.prepare(`UPDATE runs SET status = ?, message = ?${stamp} WHERE id = ?`).run(status, message, runId)
}

/** The run's identity, written into its checkpoints; null for a run made before identities existed. */
export function runUid(db: Db, runId: number): string | null {
  return (
    db.prepare<[number], { uid: string | null }>('SELECT uid FROM runs WHERE id = ?').get(runId)?.uid ?? null
  )
}

export function setRunBackend(db: Db, runId: number, backend: string): void {
  db.prepare('UPDATE runs SET backend = ? WHERE id = ?').run(backend, runId)
}

/** Stores one epoch's metrics; re-recording an epoch (after a resume) replaces it. */
export function recordEpoch(db: Db, runId: number, metrics: EpochMetrics): void {
  db.prepare(
    `INSERT INTO epochs (run_id, epoch, metrics_json) VALUES (?, ?, ?)
     ON CONFLICT (run_id, epoch) DO UPDATE SET metrics_json = excluded.metrics_json`,
  ).run(runId, metrics.epoch, JSON.stringify(metrics))
}

export function listEpochs(db: Db, runId: number): EpochMetrics[] {
  return db
    .prepare<[number], { metrics_json: string }>(
      'SELECT metrics_json FROM epochs WHERE run_id = ? ORDER BY epoch',
    )
    .all(runId)
    .map((r) => JSON.parse(r.metrics_json) as EpochMetrics)
}

/** Drops epochs after `epoch` (a resumed run replays them from its checkpoint). */
export function truncateEpochs(db: Db, runId: number, epoch: number): void {
  db.prepare('DELETE FROM epochs WHERE run_id = ? AND epoch > ?').run(runId, epoch)
}

export function getRun(db: Db, runId: number): RunSummary | undefined {
  const row = db.prepare<[number], RunRow>('SELECT * FROM runs WHERE id = ?').get(runId)
  return row ? summarise(db, row) : undefined
}

export function requireRun(db: Db, runId: number): RunSummary {
  const run = getRun(db, runId)
  if (!run) throw new StoreError(`No run with id ${runId}. List runs with: cohort runs`, 'not-found')
  return run
}

export function listRuns(db: Db, datasetId?: number): RunSummary[] {
  const rows =
    datasetId === undefined
      ? db.prepare<[], RunRow>('SELECT * FROM runs ORDER BY id').all()
      : db.prepare<[number], RunRow>('SELECT * FROM runs WHERE dataset_id = ? ORDER BY id').all(datasetId)
  return rows.map((r) => summarise(db, r))
}

export function recordModel(
  db: Db,
  model: {
    /** null for a model imported from outside, which belongs to no run */
    runId: number | null
    networkIndex: number | null
    kind: 'checkpoint' | 'final' | 'imported'
    path: string
    epoch: number | null
  },
): void {
  db.prepare('INSERT INTO models (run_id, network_idx, kind, path, epoch) VALUES (?, ?, ?, ?, ?)').run(
    model.runId,
    model.networkIndex,
    model.kind,
    model.path,
    model.epoch,
  )
}

function summarise(db: Db, row: RunRow): RunSummary {
  const networks = db
    .prepare<[number], { idx: number; arch: string; params: number | null; flops: number | null }>(
      'SELECT idx, arch, params, flops FROM networks WHERE run_id = ? ORDER BY idx',
    )
    .all(row.id)
    .map((n) => ({ index: n.idx, arch: n.arch, params: n.params ?? 0, flops: n.flops ?? 0 }))
  const last = db
    .prepare<[{ id: number }], { metrics_json: string; n: number }>(
      'SELECT metrics_json, (SELECT COUNT(*) FROM epochs WHERE run_id = @id) AS n FROM epochs WHERE run_id = @id ORDER BY epoch DESC LIMIT 1',
    )
    .get({ id: row.id })
  return {
    id: row.id,
    datasetId: row.dataset_id,
    status: row.status,
    config: JSON.parse(row.config_json) as Record<string, unknown>,
    classNames: JSON.parse(row.labels_json) as string[],
    backend: row.backend,
    message: row.message,
    networks,
    epochsDone: last?.n ?? 0,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    last: last ? (JSON.parse(last.metrics_json) as EpochMetrics) : null,
    kept: row.kept_metrics_json ? (JSON.parse(row.kept_metrics_json) as EpochMetrics) : null,
    fromRun: row.from_run,
  }
}

/** What a completed run's model measures on validation (each network at its best epoch, measured together). */
export function recordKeptMetrics(db: Db, runId: number, metrics: EpochMetrics): void {
  db.prepare('UPDATE runs SET kept_metrics_json = ? WHERE id = ?').run(JSON.stringify(metrics), runId)
}

/** Deletes the run's row; its networks, epochs and model records go with it (ON DELETE CASCADE). */
export function deleteRun(db: Db, runId: number): void {
  db.prepare('DELETE FROM runs WHERE id = ?').run(runId)
}

/** The folders of the model bundles imported into the library, oldest first. */
export function listImportedModelPaths(db: Db): string[] {
  return db
    .prepare<[], { path: string }>("SELECT path FROM models WHERE kind = 'imported' ORDER BY id")
    .all()
    .map((r) => r.path)
}
