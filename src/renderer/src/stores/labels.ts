import { defineStore } from 'pinia'
import { computed } from 'vue'
import { call } from '../api'
import type { LabelSummary } from '../../../shared/types'
import { labelColor } from '../logic/colors'
import { useDatasetStore } from './dataset'
import { useNoticesStore } from './notices'

export interface LabelEntry extends LabelSummary {
  color: string
}

/** The open dataset's labels with their keys and colours, and managing them. */
export const useLabelsStore = defineStore('labels', () => {
  const dataset = useDatasetStore()
  const notices = useNoticesStore()

  const entries = computed<LabelEntry[]>(() =>
    // keys and colours belong to the label (kept in the library), so adding one changes no other
    dataset.labels.map((l) => ({ ...l, color: labelColor(l.id, l.colour) })),
  )

  function atKey(key: number): LabelEntry | undefined {
    return entries.value.find((l) => l.key === key)
  }

  function byId(id: number | null): LabelEntry | undefined {
    return id === null ? undefined : entries.value.find((l) => l.id === id)
  }

  /** Creates a label; returns it, or null when the service refused (the reason is shown). */
  async function create(name: string): Promise<LabelSummary | null> {
    const id = dataset.datasetId
    if (id === null) return null
    let created: LabelSummary | null = null
    await notices.attempt(async () => {
      created = await call('labels.create', id, name)
    })
    await dataset.reload()
    return created
  }

  /** Gives the label key 1–9 (or none); a label that had the key takes this one's old key. */
  async function setKey(labelId: number, key: number | null): Promise<boolean> {
    const ok = await notices.attempt(() => call('labels.setKey', labelId, key))
    await dataset.reload()
    return ok
  }

  /** Gives the label a colour of the palette (null: its default one). */
  async function setColour(labelId: number, colour: string | null): Promise<boolean> {
    const ok = await notices.attempt(() => call('labels.setColour', labelId, colour))
    await dataset.reload()
    return ok
  }

  async function rename(labelId: number, name: string): Promise<boolean> {
    const ok = await notices.attempt(() => call('labels.rename', labelId, name))
    await dataset.reload()
    return ok
  }

  /** Moves every image of `fromId` to `intoId` and removes `fromId` (clears the undo history). */
  async function merge(fromId: number, intoId: number): Promise<boolean> {
    const from = byId(fromId)?.name
    const into = byId(intoId)?.name
    const ok = await notices.attempt(() => call('labels.merge', fromId, intoId))
    if (ok) notices.say(`Merged '${from}' into '${into}'`)
    await afterLabelGone(fromId)
    return ok
  }

  /** Deletes the label; its images become unlabelled (clears the undo history). */
  async function remove(labelId: number): Promise<boolean> {
    const name = byId(labelId)?.name
    const ok = await notices.attempt(() => call('labels.remove', labelId))
    if (ok) notices.say(`Deleted label '${name}'; its images are unlabelled`)
    await afterLabelGone(labelId)
    return ok
  }

  async function afterLabelGone(labelId: number): Promise<void> {
    const f = dataset.filter
    if (f.kind === 'label' && f.labelId === labelId) await dataset.setFilter({ kind: 'all' })
    else await dataset.reload()
  }

  return { entries, atKey, byId, create, setKey, setColour, rename, merge, remove }
})
