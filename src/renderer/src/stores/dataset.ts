import { defineStore } from 'pinia'
import { computed, markRaw, ref, shallowReactive } from 'vue'
import { call } from '../api'
import type { DatasetSummary, ImageRecord } from '../../../shared/types'
import { ALL, filterQuery, type ImageFilter } from '../logic/filter'
import { pagesFor } from '../logic/grid'
import { useNoticesStore } from './notices'

/** Images per `images.list` call while scrolling: a few screens of thumbnails. */
export const PAGE_SIZE = 120
/** Images per call when every id of the filter is needed (select all). */
const BULK_PAGE = PAGE_SIZE * 40

/**
 * The open dataset: its summary (labels, counts), the grid's filter, the filter's size and its
 * images fetched page by page on demand and cached by page number until the data changes.
 */
export const useDatasetStore = defineStore('dataset', () => {
  const notices = useNoticesStore()
  const datasetId = ref<number | null>(null)
  const summary = ref<DatasetSummary | null>(null)
  const filter = ref<ImageFilter>(ALL)
  const total = ref(0)
  // Pages are raw arrays: 50k deeply reactive records would cost more than the grid itself.
  const pages = shallowReactive(new Map<number, readonly ImageRecord[]>())
  // The pages from before the last change, shown until their fresh copy arrives so the grid
  // does not flash empty after every label (only within one dataset and filter).
  const stale = shallowReactive(new Map<number, readonly ImageRecord[]>())
  const inflight = new Map<number, Promise<void>>()
  // Bumped whenever the cached pages are dropped, so late answers for the old view are dropped too.
  let generation = 0
  // The grid fetches again whenever this changes: dropping pages that were already empty (a filter change
  // whose count matches the last one) would otherwise leave nothing to notice, and the grid blank.
  const pagesDropped = ref(0)
  // Orders overlapping reloads: only the newest one's answer is used.
  let reloads = 0

  const name = computed(() => summary.value?.name ?? '')
  const labels = computed(() => summary.value?.labels ?? [])

  function query(): ReturnType<typeof filterQuery> {
    if (datasetId.value === null) throw new Error('No dataset is open.')
    return filterQuery(datasetId.value, filter.value)
  }

  function dropPages(keepStale: boolean): void {
    generation++
    pagesDropped.value++
    inflight.clear()
    stale.clear()
    if (keepStale) for (const [p, rows] of pages) stale.set(p, rows)
    pages.clear()
  }

  async function open(id: number): Promise<void> {
    datasetId.value = id
    filter.value = ALL
    summary.value = null
    total.value = 0
    dropPages(false)
    await reload()
  }

  function close(): void {
    datasetId.value = null
    summary.value = null
    total.value = 0
    dropPages(false)
  }

  /** Re-reads the summary and the filter's size and forgets cached pages (after any change). */
  async function reload(): Promise<void> {
    const id = datasetId.value
    if (id === null) return
    const mine = ++reloads
    try {
      const [all, count] = await Promise.all([call('datasets.list'), call('images.count', query())])
      if (mine !== reloads) return
      const found = all.find((d) => d.id === id)
      if (!found) throw new Error('This dataset no longer exists; it may have been removed elsewhere.')
      summary.value = found
      total.value = count
      dropPages(true)
    } catch (err) {
      notices.fail(err)
    }
  }

  async function setFilter(next: ImageFilter): Promise<void> {
    filter.value = next
    dropPages(false)
    await reload()
  }

  function imageAt(index: number): ImageRecord | undefined {
    return pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE]
  }

  /** What the grid shows at `index`: the fresh image, or while it loads, the one from before. */
  function shownAt(index: number): ImageRecord | undefined {
    const page = Math.floor(index / PAGE_SIZE)
    return (pages.get(page) ?? stale.get(page))?.[index % PAGE_SIZE]
  }

  function loadPage(page: number): Promise<void> {
    const loaded = inflight.get(page)
    if (loaded) return loaded
    const gen = generation
    const promise = call('images.list', { ...query(), offset: page * PAGE_SIZE, limit: PAGE_SIZE })
      .then((rows) => {
        if (gen !== generation) return
        pages.set(page, markRaw(rows))
        stale.delete(page)
      })
      .catch((err: unknown) => {
        if (inflight.get(page) === promise) inflight.delete(page) // let the next scroll retry
        notices.fail(err)
      })
    inflight.set(page, promise)
    return promise
  }

  /** Fetches whatever pages the indexes `from..to` need and are not cached yet. */
  async function ensureRange(from: number, to: number): Promise<void> {
    const last = Math.min(to, total.value - 1)
    await Promise.all(pagesFor(Math.max(0, from), last, PAGE_SIZE).map((p) => pages.has(p) || loadPage(p)))
  }

  /** The ids at indexes `from..to` (inclusive), fetching pages not seen yet. */
  async function idsBetween(from: number, to: number): Promise<number[]> {
    await ensureRange(from, to)
    const ids: number[] = []
    for (let i = Math.max(0, from); i <= Math.min(to, total.value - 1); i++) {
      const image = imageAt(i)
      if (image) ids.push(image.id)
    }
    return ids
  }

  /** Every id in the filter, in large pages (50k ids take a few calls), also filling the cache. */
  async function allIds(): Promise<number[]> {
    const gen = generation
    const ids: number[] = []
    for (let offset = 0; offset < total.value; offset += BULK_PAGE) {
      const rows = await call('images.list', { ...query(), offset, limit: BULK_PAGE })
      for (const r of rows) ids.push(r.id)
      if (gen === generation) {
        for (let p = 0; p * PAGE_SIZE < rows.length; p++) {
          pages.set(offset / PAGE_SIZE + p, markRaw(rows.slice(p * PAGE_SIZE, (p + 1) * PAGE_SIZE)))
        }
      }
    }
    return ids
  }

  return {
    datasetId,
    summary,
    name,
    labels,
    filter,
    total,
    pages,
    pagesDropped,
    open,
    close,
    reload,
    setFilter,
    imageAt,
    shownAt,
    ensureRange,
    idsBetween,
    allIds,
  }
})
