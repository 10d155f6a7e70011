import { statSync } from 'node:fs'
import { basename, resolve } from 'node:path'
import type { Command } from 'commander'
import { CliError, withService, type GlobalOptions } from '../context'
import { endProgress, printJson, progressLine, say } from '../output'
import type { ImportReport } from '../../shared/types'

export function registerImportCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('import')
    .description('import a folder (sub-folder names become labels) or a list of image files')
    .argument('<paths...>', 'one folder, or image files')
    .option('--dataset <name>', 'dataset to import into (default: the folder name)')
    .option('--label <name>', 'label for imported files (file lists only)')
    .option('--json', 'print one JSON report')
    .action(async (paths: string[], opts: { dataset?: string; label?: string; json?: boolean }) => {
      const targets = paths.map((p) => resolve(p))
      const kinds = targets.map((p) => kindOf(p))
      const folderImport = targets.length === 1 && kinds[0] === 'folder'
      if (!folderImport && kinds.includes('folder')) {
        throw new CliError('Import either one folder or a list of files, not both.')
      }
      const missing = targets.filter((_, i) => kinds[i] === 'missing')
      if (folderImport === false && missing.length === targets.length) {
        throw new CliError(`No such file or folder: ${missing[0]}`)
      }
      if (!folderImport && !opts.dataset)
        throw new CliError('--dataset is required when importing a list of files.')
      const dataset = opts.dataset ?? basename(targets[0]!)
      await withService(globals(), async (service) => {
        const stop = service.events.on('import.progress', (p) => {
          if (p.phase === 'scanning') progressLine(`scanning… ${p.total} files`)
          else
            progressLine(
              `importing ${p.done}/${p.total}${p.etaSeconds != null ? ` · ${Math.ceil(p.etaSeconds)} s left` : ''}`,
            )
        })
        // Ctrl-C cancels cleanly: what was committed stays and the report is still printed.
        const onSigint = (): void => void service['imports.cancel']()
        process.once('SIGINT', onSigint)
        try {
          const report = folderImport
            ? await service['imports.folder']({ folder: targets[0]!, dataset })
            : await service['imports.files']({ files: targets, dataset, label: opts.label ?? null })
          endProgress()
          if (opts.json) printJson(publicReport(report))
          else printReport(report)
        } finally {
          process.off('SIGINT', onSigint)
          stop()
        }
      })
    })
}

function kindOf(path: string): 'folder' | 'file' | 'missing' {
  try {
    return statSync(path).isDirectory() ? 'folder' : 'file'
  } catch {
    return 'missing'
  }
}

/** The documented `--json` shape (and a little more: cancelled, seconds). */
function publicReport(r: ImportReport): Record<string, unknown> {
  return {
    dataset: r.dataset,
    imported: r.imported,
    duplicates: r.duplicates,
    conflicts: r.conflicts,
    skipped: r.skipped,
    rejected: r.rejected.map((x) => ({
      path: x.path,
      reason: x.reason,
      ...(x.detail ? { detail: x.detail } : {}),
    })),
    classes: r.classes,
    cancelled: r.cancelled,
    seconds: r.seconds,
  }
}

function printReport(r: ImportReport): void {
  const out = process.stdout
  out.write(
    say`${r.cancelled ? 'Cancelled' : 'Imported'}: ${r.imported} new images into "${r.dataset}" in ${r.seconds.toFixed(1)} s` +
      ` (${r.duplicates} duplicates, ${r.skipped} system files skipped, ${r.rejected.length} rejected, ${r.conflicts.length} conflicts)\n`,
  )
  const classes = Object.entries(r.classes)
  if (classes.length) out.write(`Labels: ${classes.map(([k, v]) => say`${k} ${v}`).join(', ')}\n`)
  for (const x of r.rejected)
    out.write(say`  rejected ${x.path}: ${x.reason}` + (x.detail ? say` (${x.detail})` : '') + '\n')
  for (const c of r.conflicts) {
    out.write(
      say`  conflict ${c.path}: same picture as ${c.existingPath}, labelled "${c.existingLabel ?? 'unlabelled'}" there; kept that label\n`,
    )
  }
}
