import { defineStore } from 'pinia'
import { computed, ref, shallowRef, watch } from 'vue'
import { moveIndex, rangeBetween, toggled, type ClickKind, type Direction } from '../logic/selection'
import { useDatasetStore } from './dataset'
import { useNoticesStore } from './notices'

/**
 * The selected images of the grid, by id (so they survive scrolling and paging), plus the
 * focused position (where arrow keys and auto-advance move) and the anchor of shift ranges.
 */
export const useSelectionStore = defineStore('selection', () => {
  const dataset = useDatasetStore()
  const notices = useNoticesStore()
  const ids = shallowRef<ReadonlySet<number>>(new Set())
  const focus = ref<number | null>(null)
  const anchor = ref<number | null>(null)
  // Bumped by every change of the selection, so a select-all still loading when the user clears,
  // clicks or leaves the view does not overwrite what they did since.
  let changes = 0

  // Positions mean something else under another filter or in another dataset.
  watch(
    () => [dataset.filter, dataset.datasetId],
    () => clear(),
  )

  const size = computed(() => ids.value.size)
  const focusedImage = computed(() => (focus.value === null ? undefined : dataset.imageAt(focus.value)))

  function clear(): void {
    changes++
    ids.value = new Set()
    focus.value = null
    anchor.value = null
  }

  /** Selects only the image at `index` (after fetching its page if needed). */
  async function selectIndex(index: number | null): Promise<void> {
    if (index === null) return clear()
    const mine = ++changes
    await dataset.ensureRange(index, index)
    if (mine !== changes) return
    const image = dataset.imageAt(index)
    ids.value = new Set(image ? [image.id] : [])
    focus.value = index
    anchor.value = index
  }

  async function click(index: number, kind: ClickKind): Promise<void> {
    if (kind === 'single') return selectIndex(index)
    const mine = ++changes
    if (kind === 'toggle') {
      // A toggle composes with whatever happened meanwhile, so it applies even if superseded.
      await dataset.ensureRange(index, index)
      const image = dataset.imageAt(index)
      if (image) ids.value = toggled(ids.value, image.id)
      focus.value = index
      anchor.value = index
      return
    }
    const [from, to] = rangeBetween(anchor.value, index)
    try {
      const range = await dataset.idsBetween(from, to)
      if (mine !== changes) return
      ids.value = new Set(range)
      focus.value = index
    } catch (err) {
      notices.fail(err)
    }
  }

  async function move(dir: Direction, columns: number): Promise<void> {
    await selectIndex(moveIndex(focus.value, dir, columns, dataset.total))
  }

  /** Every image of the filter, including those not fetched yet. */
  async function selectAll(): Promise<void> {
    const mine = ++changes
    const { datasetId, filter } = dataset
    await notices.attempt(async () => {
      const all = await dataset.allIds()
      // The clearing watch runs later than the change of view, so compare the view as well.
      if (mine !== changes || datasetId !== dataset.datasetId || filter !== dataset.filter) return
      ids.value = new Set(all)
    })
  }

  function has(id: number): boolean {
    return ids.value.has(id)
  }

  return { ids, focus, anchor, size, focusedImage, clear, selectIndex, click, move, selectAll, has }
})
