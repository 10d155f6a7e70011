/**
 * Regenerates the bundled sample dataset: 50 Fashion-MNIST training images per class as PNGs in
 * resources/sample/fashion-mnist/<class>/, plus the dataset's licence. Deterministic: the same seed always
 * picks the same images, so re-running changes no file.
 *
 *   node --import tsx scripts/make-sample.ts [fashion-mnist folder]
 */
import { readdir, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeFashionMnistFolder } from '../src/core/dataset/fashion-mnist'
import { FASHION_MNIST_DIR } from '../src/core/dataset/idx'

const SAMPLE_PER_CLASS = 50
const SAMPLE_SEED = 1

/** Fashion-MNIST's own licence (MIT), as in /usr/share/doc/dataset-fashion-mnist/copyright. */
const LICENSE = `The images in this folder are a subset of Fashion-MNIST
(https://github.com/zalandoresearch/fashion-mnist).

The MIT License (MIT)

Copyright © 2017 Zalando SE, https://tech.zalando.com

Permission is hereby granted, free of charge, to any person obtaining a
copy of this software and associated documentation files (the "Software"),
to deal in the Software without restriction, including without limitation
the rights to use, copy, modify, merge, publish, distribute, sublicense,
and/or sell copies of the Software, and to permit persons to whom the
Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included
in all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS
OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF
MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT.
IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY
CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT,
TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE
SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
`

async function main(): Promise<void> {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'resources', 'sample', 'fashion-mnist')
  const source = process.argv[2] ?? FASHION_MNIST_DIR
  await rm(root, { recursive: true, force: true })
  const report = await writeFashionMnistFolder(root, {
    split: 'train',
    perClass: SAMPLE_PER_CLASS,
    seed: SAMPLE_SEED,
    source,
  })
  await writeFile(join(root, 'LICENSE'), LICENSE)
  let bytes = 0
  for (const folder of Object.values(report.folders)) {
    for (const name of await readdir(join(root, folder))) bytes += (await stat(join(root, folder, name))).size
  }
  console.log(
    `Wrote ${report.files} PNGs in ${Object.keys(report.folders).length} class folders under ${root} (${Math.round(bytes / 1024)} KiB).`,
  )
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  process.exitCode = 1
})
