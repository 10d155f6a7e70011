/**
 * What deleting a dataset or a run loses, in the same words in the app and the CLI, so a person confirms
 * knowing it.
 */

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
}

export function datasetLoss(name: string, pictures: number, runs: number): string {
  const runWords =
    runs === 1 ? '1 training run with its model' : `${count(runs, 'training run')} with their models`
  return `Deleting “${name}” loses the labels and splits of its ${count(pictures, 'picture')} and ${runWords}; the picture files stay on disk.`
}

export function runLoss(runId: number, epochs: number): string {
  return `Deleting run ${runId} loses its ${count(epochs, 'recorded epoch')} and its trained model; models you exported stay where you saved them.`
}
