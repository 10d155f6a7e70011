import { resolve } from 'node:path'
import type { Command } from 'commander'
import type { CohortService } from '../../core/service'
import type { DatasetSummary, LabelSummary } from '../../shared/types'
import { CliError, withService, type GlobalOptions } from '../context'
import { printJson, printTable, say } from '../output'
import { resolveDataset } from './datasets'
import { LABEL_COLOR_NAMES, LABEL_COLORS } from '../../shared/label-colours'

function findLabel(dataset: DatasetSummary, name: string): LabelSummary {
  const label = dataset.labels.find((l) => l.name.toLowerCase() === name.toLowerCase())
  if (label) return label
  const known = dataset.labels.map((l) => l.name).join(', ') || 'none yet'
  throw new CliError(`Dataset "${dataset.name}" has no label "${name}" (labels: ${known}).`)
}

/** A palette colour from its name (or #rrggbb); null for "default". */
function colourFromWords(text: string): string | null {
  const wanted = text.trim().toLowerCase()
  if (wanted === 'default') return null
  const found = LABEL_COLORS.find((c) => c === wanted || LABEL_COLOR_NAMES[c] === wanted)
  if (found) return found
  throw new CliError(
    `No label colour "${text}". Choose one of: ${Object.values(LABEL_COLOR_NAMES).join(', ')}, or default.`,
  )
}

/** Image ids from arguments that are ids or source paths of images in the dataset. */
async function resolveImages(
  service: CohortService,
  dataset: DatasetSummary,
  refs: string[],
): Promise<number[]> {
  const ids: number[] = []
  const paths = new Set<string>()
  for (const ref of refs) {
    if (/^\d+$/.test(ref)) ids.push(Number(ref))
    else paths.add(resolve(ref))
  }
  if (paths.size) {
    const found = new Set<string>()
    for (let offset = 0; ; offset += 10_000) {
      const page = await service['images.list']({ datasetId: dataset.id, offset, limit: 10_000 })
      for (const image of page) {
        if (paths.has(image.sourcePath)) {
          ids.push(image.id)
          found.add(image.sourcePath)
        }
      }
      if (page.length < 10_000) break
    }
    const unknown = [...paths].filter((p) => !found.has(p))
    if (unknown.length)
      throw new CliError(`Not in dataset "${dataset.name}": ${unknown.slice(0, 5).join(', ')}`)
  }
  return ids
}

export function registerLabelCommands(program: Command, globals: () => GlobalOptions): void {
  const labels = program.command('labels').description('list, create, rename, merge or delete labels')
  labels
    .command('list')
    .requiredOption('--dataset <name>', 'dataset name or id')
    .option('--json', 'print one JSON array')
    .action(async (opts: { dataset: string; json?: boolean }) => {
      await withService(globals(), async (service) => {
        const dataset = await resolveDataset(service, opts.dataset)
        if (opts.json) return printJson(dataset.labels)
        printTable(dataset.labels.map((l) => ({ label: l.name, images: l.count })))
      })
    })
  labels
    .command('create')
    .requiredOption('--dataset <name>', 'dataset name or id')
    .argument('<label>')
    .action(async (name: string, opts: { dataset: string }) => {
      await withService(globals(), async (service) => {
        const dataset = await resolveDataset(service, opts.dataset)
        const label = await service['labels.create'](dataset.id, name)
        process.stdout.write(say`Created label "${label.name}"\n`)
      })
    })
  labels
    .command('rename')
    .requiredOption('--dataset <name>', 'dataset name or id')
    .argument('<label>')
    .argument('<new-name>')
    .action(async (name: string, newName: string, opts: { dataset: string }) => {
      await withService(globals(), async (service) => {
        const dataset = await resolveDataset(service, opts.dataset)
        await service['labels.rename'](findLabel(dataset, name).id, newName)
        process.stdout.write(say`Renamed "${name}" to "${newName}"\n`)
      })
    })
  labels
    .command('colour')
    .alias('color')
    .description(`give a label a colour: ${Object.values(LABEL_COLOR_NAMES).join(', ')}, or "default"`)
    .requiredOption('--dataset <name>', 'dataset name or id')
    .argument('<label>')
    .argument('<colour>')
    .action(async (name: string, colour: string, opts: { dataset: string }) => {
      await withService(globals(), async (service) => {
        const dataset = await resolveDataset(service, opts.dataset)
        await service['labels.setColour'](findLabel(dataset, name).id, colourFromWords(colour))
        process.stdout.write(say`Label "${name}" is now ${colour.toLowerCase()}\n`)
      })
    })
  labels
    .command('merge')
    .description('move every image of <from> to <into> and delete <from>')
    .requiredOption('--dataset <name>', 'dataset name or id')
    .argument('<from>')
    .argument('<into>')
    .action(async (from: string, into: string, opts: { dataset: string }) => {
      await withService(globals(), async (service) => {
        const dataset = await resolveDataset(service, opts.dataset)
        await service['labels.merge'](findLabel(dataset, from).id, findLabel(dataset, into).id)
        process.stdout.write(say`Merged "${from}" into "${into}"\n`)
      })
    })
  labels
    .command('delete')
    .description('delete a label; its images become unlabelled')
    .requiredOption('--dataset <name>', 'dataset name or id')
    .argument('<label>')
    .action(async (name: string, opts: { dataset: string }) => {
      await withService(globals(), async (service) => {
        const dataset = await resolveDataset(service, opts.dataset)
        await service['labels.remove'](findLabel(dataset, name).id)
        process.stdout.write(say`Deleted label "${name}"\n`)
      })
    })

  program
    .command('label')
    .description('label (or with --none, unlabel) images given by id or source path; one undoable action')
    .requiredOption('--dataset <name>', 'dataset name or id')
    .option('--as <label>', 'label to give (created if new)')
    .option('--none', 'remove the label instead')
    .argument('<images...>', 'image ids or source file paths')
    .action(async (refs: string[], opts: { dataset: string; as?: string; none?: boolean }) => {
      if (!opts.as === !opts.none) throw new CliError('Give exactly one of --as <label> or --none.')
      await withService(globals(), async (service) => {
        const dataset = await resolveDataset(service, opts.dataset)
        const ids = await resolveImages(service, dataset, refs)
        let labelId: number | null = null
        if (opts.as) {
          const existing = dataset.labels.find((l) => l.name.toLowerCase() === opts.as!.toLowerCase())
          labelId = existing ? existing.id : (await service['labels.create'](dataset.id, opts.as)).id
        }
        await service['images.label'](dataset.id, ids, labelId)
        process.stdout.write(
          `${opts.as ? say`Labelled ${ids.length} images "${opts.as}"` : `Unlabelled ${ids.length} images`}\n`,
        )
      })
    })

  for (const verb of ['undo', 'redo'] as const) {
    program
      .command(verb)
      .description(`${verb} the last labelling action in a dataset`)
      .requiredOption('--dataset <name>', 'dataset name or id')
      .action(async (opts: { dataset: string }) => {
        await withService(globals(), async (service) => {
          const dataset = await resolveDataset(service, opts.dataset)
          const result = await service[verb === 'undo' ? 'images.undo' : 'images.redo'](dataset.id)
          process.stdout.write(
            result.description
              ? say`${verb === 'undo' ? 'Undid' : 'Redid'}: ${result.description}\n`
              : `Nothing to ${verb}.\n`,
          )
        })
      })
  }
}
