/**
 * The network picker's catalogue: every zoo network with its size and cost at the chosen input, and every
 * teacher and ensemble rule with its description. Building a network to count its parameters takes a moment,
 * so each argument set is described once per process.
 */
import type { ZooCatalogue } from '../../shared/types'
import { describeNetwork, ZOO } from '../engine/zoo'
import { ENSEMBLE_RULE_DESCRIPTIONS, TEACHERS, TEACHER_NAMES } from '../training/teacher-names'
import { ENSEMBLE_RULES } from '../training/validation-weights'

const cache = new Map<string, ZooCatalogue>()

/** Networks too large for `imageSize` (their minimum input) are left out: they cannot be trained at it. */
export function zooCatalogue(imageSize: number, channels: 1 | 3, classes: number): ZooCatalogue {
  const key = `${imageSize}/${channels}/${classes}`
  const known = cache.get(key)
  if (known) return known
  const catalogue: ZooCatalogue = {
    networks: ZOO.filter((entry) => entry.minInputSize <= imageSize).map((entry) => {
      const { params, flops } = describeNetwork({ arch: entry.name, inputSize: imageSize, channels, classes })
      return { name: entry.name, description: entry.description, params, flops }
    }),
    teachers: TEACHER_NAMES.map((name) => ({ name, description: TEACHERS[name].description })),
    ensembleRules: ENSEMBLE_RULES.map((name) => ({ name, description: ENSEMBLE_RULE_DESCRIPTIONS[name] })),
  }
  cache.set(key, catalogue)
  return catalogue
}
