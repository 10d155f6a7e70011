/**
 * Retraining from an earlier run (issue 19): a network of the new run takes the earlier run's kept weights.
 * Every tensor is carried over as it is except the output layer's, whose columns belong to classes: a class
 * both runs know keeps its column (matched by label NAME, since class indices shift when labels come and go),
 * a class added since keeps the new network's freshly initialised column, and a class removed since is
 * dropped. Pure: the arrays in, the arrays out.
 */
import type { NetworkWeights } from '../engine/protocol'

/** The zoo names every network's last (dense) layer `logits` (src/core/engine/zoo.ts). */
const OUTPUT_LAYER = 'logits/'

export class WarmStartError extends Error {
  override name = 'WarmStartError'
}

function isOutput(name: string): boolean {
  return name.startsWith(OUTPUT_LAYER)
}

/**
 * `fresh` (the new network as initialised, predicting `classes`) with the earlier network's weights, which
 * predicted `earlierClasses`. Throws WarmStartError when the two are not the same network.
 */
export function carryWeights(
  fresh: NetworkWeights,
  earlier: NetworkWeights,
  earlierClasses: readonly string[],
  classes: readonly string[],
): NetworkWeights {
  if (fresh.values.length !== earlier.values.length) {
    throw new WarmStartError(
      `the earlier network has ${earlier.values.length} weight tensors and this one ${fresh.values.length}: they are different networks`,
    )
  }
  // the earlier class index of each class of this run, -1 for a class added since
  const from = classes.map((name) => earlierClasses.indexOf(name))
  const values = fresh.values.map((own, i) => {
    const name = fresh.names[i]!
    const shape = fresh.shapes[i]!
    const old = earlier.values[i]!
    const oldShape = earlier.shapes[i]!
    if (!isOutput(name)) {
      if (shape.join('×') !== oldShape.join('×')) {
        throw new WarmStartError(
          `weight ${name} is ${oldShape.join('×')} in the earlier network and ${shape.join('×')} here: they are different networks`,
        )
      }
      return old.slice()
    }
    // kernel [features, classes] or bias [classes]: the classes are the last axis
    const width = shape.at(-1)!
    const oldWidth = oldShape.at(-1)!
    const rows = own.length / width
    if (width !== classes.length || oldWidth !== earlierClasses.length || old.length / oldWidth !== rows) {
      throw new WarmStartError(
        `the output weight ${name} (${oldShape.join('×')} before, ${shape.join('×')} now) does not match ` +
          `${earlierClasses.length} and ${classes.length} classes`,
      )
    }
    const out = own.slice()
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < width; c++) {
        const k = from[c]!
        if (k >= 0) out[r * width + c] = old[r * oldWidth + k]!
      }
    }
    return out
  })
  return { names: fresh.names.slice(), shapes: fresh.shapes.map((s) => s.slice()), values }
}
