// @vitest-environment happy-dom
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { join } from 'node:path'
import TrainView from '../../../src/renderer/src/views/TrainView.vue'
import { useBridge } from '../../../src/renderer/src/api'
import { useDatasetStore } from '../../../src/renderer/src/stores/dataset'
import { useRunsStore } from '../../../src/renderer/src/stores/runs'
import { createCohortService, type CohortService } from '../../../src/core/service'
import { importManyValidationPictures, makeLabelledFolder } from '../../helpers/labelled-folder'
import { serviceBridge } from '../../helpers/service-bridge'
import { tempDir } from '../../helpers/temp'
import { closeAfterTrainers, settle, waitUntil } from '../../helpers/vue-wait'

// The Train view on a real library, training real runs in the real trainer process.
describe('TrainView on a real library', () => {
  const dir = tempDir('cohort-train-view-')
  let service: CohortService
  let wrapper: VueWrapper
  let datasetId: number

  beforeAll(async () => {
    service = await createCohortService({ home: join(dir.path, 'home') })
    useBridge(serviceBridge(service))
    const folder = join(dir.path, 'squares')
    await makeLabelledFolder(folder, { red: 12, green: 12, blue: 12 }, 16)
    await service['imports.folder']({ folder, dataset: 'squares' })
    datasetId = (await service['datasets.list']())[0]!.id
    setActivePinia(createPinia())
    await useDatasetStore().open(datasetId)
    wrapper = mount(TrainView, { attachTo: document.body })
    await settle()
  })
  afterAll(async () => {
    wrapper?.unmount()
    // every trainer process has exited before the library closes
    await closeAfterTrainers(service, () => dir.cleanup())
  })

  const until = (check: () => boolean, timeout = 60_000): Promise<void> => waitUntil(check, timeout)
  const chosenCards = () =>
    wrapper.findAll('[data-test=network-card]').filter((c) => c.attributes('aria-pressed') === 'true')
  const teacherOptions = () => wrapper.findAll('[data-test=teacher] option').map((o) => o.attributes('value'))

  /** The quickest real training the form can ask for: 16 px, batch 8. */
  async function fillSmallSettings(epochs: number): Promise<void> {
    await wrapper.find('select[name=imageSize]').setValue('16')
    await wrapper.find('input[name=epochs]').setValue(String(epochs))
    const batch = wrapper.find('input[name=batchSize]')
    await batch.setValue('8')
    await settle()
  }

  it('shows the zoo as cards with sizes at the chosen image size, two chosen, and the basic teachers', async () => {
    await until(() => wrapper.findAll('[data-test=network-card]').length === 5)
    expect(chosenCards().map((c) => c.attributes('data-arch'))).toEqual(['cnn', 'resnet-8'])
    // the card says size and speed in words; the figures wait under Details
    expect(wrapper.find('[data-test=network-card][data-arch=cnn] [data-test=size-speed]').text()).toBe(
      'small · fast',
    )
    const cnn = () => wrapper.find('[data-test=network-details] li[data-arch=cnn]').text()
    expect(cnn()).toMatch(/parameters, .* FLOPs per image/)
    // automatic: the squares' own 16 px, until the person picks a size
    await until(() => useRunsStore().plan !== null)
    const at16 = cnn()
    await wrapper.find('select[name=imageSize]').setValue('32')
    await until(() => cnn() !== at16)
    await wrapper.find('select[name=imageSize]').setValue('')
    expect(useRunsStore().form.imageSize).toBeNull()
    await until(() => cnn() === at16)
    expect(teacherOptions()).toEqual(['min-logit', 'validation', 'min-loss', 'none'])
    // 12 pictures a label: few, so min-loss is recommended and chosen until the person picks another
    const teacher = wrapper.find('[data-test=teacher]')
    expect((teacher.element as HTMLSelectElement).value).toBe('min-loss')
    expect(teacher.find('option[value=min-loss]').text()).toBe(
      'Learn from the network that got each picture most right (recommended)',
    )
    expect(wrapper.find('[data-test=teacher-description]').text()).toContain('got it most right')
    expect(wrapper.find('[data-test=teacher-reason]').text()).toMatch(/^Recommended .*min-loss/)
    await teacher.setValue('min-logit')
    expect(useRunsStore().form.teacher).toBe('min-logit')
    expect(wrapper.find('[data-test=teacher-description]').text()).toContain('surest "no"')
    expect(wrapper.find('[data-test=teacher-reason]').exists()).toBe(false)
    // choosing the recommended one again leaves the choice to the dataset's size
    await teacher.setValue('min-loss')
    expect(useRunsStore().form.teacher).toBeNull()
    // the rest stays out of sight until asked for
    expect(wrapper.find('[data-test=advanced]').attributes('open')).toBeUndefined()
  })

  it('says what Cohort chose from the pictures, why, and how long the run would take', async () => {
    // what the pictures decided is said in the form; batch and epoch counts wait under Details
    const reasons = () =>
      wrapper
        .findAll('[data-test=plan-reason], [data-test=plan-detail]')
        .map((r) => r.attributes('data-chosen'))
    await until(() => reasons().length === 4)
    expect(reasons()).toEqual(['imageSize', 'channels', 'batchSize', 'epochs'])
    const text = wrapper.find('[data-test=plan]').text()
    expect(text).toMatch(/Picture size: 16 px: the pictures' own size/)
    // no repeated words: not "Colour: colour: …"
    expect(text).toMatch(/Colour: The pictures sampled have colour/)
    expect(text).not.toMatch(/optimiser|Epochs:/)
    expect(wrapper.find('[data-test=plan-details]').text()).toMatch(/Epochs: \d+: about 1500 optimiser steps/)
    expect(wrapper.find('[data-test=predicted-duration]').text()).toMatch(/^Takes about \d+ (s|min)/)
    expect(wrapper.find('select[name=imageSize] option[value=""]').text()).toBe('Automatic (16 × 16)')
    const epochs = wrapper.find('input[name=epochs]')
    expect(epochs.attributes('placeholder')).toMatch(/^\d+$/)
    // a setting the person gives is theirs: no reason for it, and the prediction follows it
    const before = useRunsStore().plan!.predictedSeconds
    await epochs.setValue('3')
    await until(() => !reasons().includes('epochs'))
    expect(useRunsStore().plan!.predictedSeconds).toBeLessThan(before)
    await epochs.setValue('')
    expect(useRunsStore().form.epochs).toBeNull()
    await until(() => reasons().includes('epochs'))
  })

  it('offers mirror images and jitter under Advanced, each with its one-line explanation', async () => {
    const augment = wrapper.find('[data-test=augment]')
    expect((augment.element as HTMLSelectElement).value).toBe('safe')
    const titles = augment.findAll('option').map((o) => o.text())
    expect(titles[0]).toMatch(/^Safe: small shifts only/)
    expect(titles[1]).toMatch(/mirror images: only if a mirrored picture keeps its label/)
    await augment.setValue('light')
    expect(useRunsStore().form.augment).toBe('light')
    await augment.setValue('safe')
  })

  it('keeps the group between 2 and 4 networks', async () => {
    const card = (arch: string) => wrapper.find(`[data-test=network-card][data-arch="${arch}"]`)
    await card('cnn').trigger('click')
    expect(chosenCards()).toHaveLength(2)
    for (const arch of ['resnet-14', 'resnet-20', 'mobilenet']) await card(arch).trigger('click')
    expect(chosenCards().map((c) => c.attributes('data-arch'))).toEqual([
      'cnn',
      'resnet-8',
      'resnet-14',
      'resnet-20',
    ])
    for (const arch of ['resnet-14', 'resnet-20']) await card(arch).trigger('click')
    expect(chosenCards()).toHaveLength(2)
  })

  it('lists every teacher under Advanced', async () => {
    const advanced = wrapper.find('[data-test=advanced]')
    ;(advanced.element as HTMLDetailsElement).open = true
    await advanced.trigger('toggle')
    expect(teacherOptions()).toEqual(['min-logit', 'validation', 'min-loss', 'linear', 'mean', 'none'])
  })

  it('offers how the app’s answer weighs the networks under Advanced, the recommended rule chosen', async () => {
    const rule = wrapper.find('[data-test=ensemble-rule]')
    expect(rule.findAll('option').map((o) => o.attributes('value'))).toEqual([
      'equal',
      'softmax',
      'standard-error',
      'proportional',
      'covariance',
    ])
    // no validation pictures yet: the plain average
    expect((rule.element as HTMLSelectElement).value).toBe('equal')
    expect(rule.find('option[value=equal]').text()).toBe('Average of the networks (recommended)')
    expect(wrapper.find('[data-test=ensemble-rule-reason]').text()).toMatch(/without validation pictures yet/)
    expect(useRunsStore().form.ensembleRule).toBeNull()
    await rule.setValue('standard-error')
    expect(useRunsStore().form.ensembleRule).toBe('standard-error')
    expect(wrapper.find('[data-test=ensemble-rule-description]').text()).toContain('much smaller')
    expect(wrapper.find('[data-test=ensemble-rule-reason]').exists()).toBe(false)
  })

  it('explains a missing validation split and splits the dataset on request', async () => {
    expect(wrapper.find('[data-test=train-problem]').text()).toContain('no train and validation split')
    expect(wrapper.find('[data-test=train]').attributes('disabled')).toBeDefined()
    await wrapper.find('[data-test=split-now]').trigger('click')
    await until(() => !wrapper.find('[data-test=train-problem]').exists())
    const summary = (await service['datasets.list']())[0]!
    expect(summary.splits.validation).toBeGreaterThan(0)
    expect(summary.splits.train).toBeGreaterThan(0)
  })

  it('shows the service’s own words for bad settings', async () => {
    const lr = wrapper.find('input[name=lr]')
    await lr.setValue('-1')
    // said before Train is clicked, where the estimate would be
    await until(() => wrapper.find('[data-test=plan-problem]').exists())
    expect(wrapper.find('[data-test=plan-problem]').text()).toMatch(
      /^No estimate yet: The training settings have a problem:\s+- lr: the learning rate must be a number from/,
    )
    expect(wrapper.find('[data-test=plan]').exists()).toBe(false)
    await wrapper.find('[data-test=train-settings]').trigger('submit')
    await until(() => wrapper.find('[data-test=error]').exists())
    expect(wrapper.find('[data-test=error]').text()).toMatch(/lr: the learning rate must be a number from/)
    await lr.setValue('')
    await until(() => wrapper.find('[data-test=plan]').exists())
    expect(wrapper.find('[data-test=plan-problem]').exists()).toBe(false)
  })

  it('asks for the plan again after a passing failure (a busy library), and shows it', async () => {
    let failures = 2
    useBridge({
      ...serviceBridge(service),
      call: (channel, args) =>
        channel === 'runs.plan' && failures-- > 0
          ? Promise.resolve({ ok: false, error: { name: 'LibraryError', message: 'The library is busy.' } })
          : serviceBridge(service).call(channel, args),
    })
    try {
      await wrapper.find('input[name=epochs]').setValue('3')
      await settle()
      expect(wrapper.find('[data-test=plan]').exists()).toBe(false)
      expect(wrapper.find('[data-test=plan-problem]').exists()).toBe(false) // not yet: asked again first
      await until(() => wrapper.find('[data-test=plan]').exists(), 20_000)
      expect(failures).toBeLessThan(0)
      expect(useRunsStore().plan?.settings.epochs).toBe(3)
    } finally {
      useBridge(serviceBridge(service))
      await wrapper.find('input[name=epochs]').setValue('')
    }
  })

  it('trains on Train: progress, then each epoch in the charts and the table, live', async () => {
    await fillSmallSettings(2)
    const seenProgress: string[] = []
    const stopWatching = service.events.on('run.progress', () => {
      void settle().then(() => {
        const text = wrapper.find('[data-test=progress-text]')
        if (text.exists()) seenProgress.push(text.text())
      })
    })
    await wrapper.find('[data-test=train-settings]').trigger('submit')
    await until(() => wrapper.find('[data-test=run-panel]').exists())
    const runs = useRunsStore()
    const runId = runs.current!.id
    expect(wrapper.find('[data-test=error]').exists()).toBe(false)
    expect(wrapper.find('[data-test=cancel]').exists()).toBe(true)
    // after epoch 1 and before the end, the first epoch already shows
    await until(() => wrapper.findAll('[data-test=epoch-row]').length >= 1)
    // min-loss weighs its networks by how many pictures each one taught: the fusion weights are shown
    expect(wrapper.findAll('[data-test=chart]').map((c) => c.attributes('data-title'))).toEqual([
      'Validation accuracy (%)',
      'Training loss',
      'How much the teacher trusts each network',
    ])
    await until(() => wrapper.find('[data-test=run-panel]').attributes('data-status') === 'completed')
    stopWatching()
    const rows = wrapper.findAll('[data-test=epoch-row]')
    expect(rows.map((r) => r.find('td').text())).toEqual(['1', '2'])
    const recorded = await service['runs.epochs'](runId)
    // 2 networks + the ensemble, one point per epoch
    expect(wrapper.find('[data-test=chart][data-title^=Validation]').attributes('data-points')).toBe('6')
    expect(wrapper.find('[data-test=epoch-table] thead').text()).toContain('Trust')
    expect(rows[1]!.text()).toContain(`${(recorded[1]!.ensemble.valAcc * 100).toFixed(1)}%`)
    expect(seenProgress.some((t) => /^Epoch [12] of 2: step \d+ \/ \d+/.test(t))).toBe(true)
    expect(wrapper.find('[data-test=show-results]').exists()).toBe(true)
    await until(() => wrapper.find('[data-test=run-duration]').exists())
    expect(wrapper.find('[data-test=run-duration]').text()).toMatch(
      /^took \S+ \(predicted about \d+ (s|min)\)$/,
    )
    expect(wrapper.find(`[data-test=run-item][data-run="${runId}"]`).text()).toContain('completed')
    const run = await service['runs.get'](runId)
    // safe augmentation unless chosen: shifts, never a mirror image
    expect((run.config.networks as { augment: string }[]).map((n) => n.augment)).toEqual(['safe', 'safe'])
    // the recommendation was left in place: the service chose the same teacher from the same counts
    expect(run.config).toMatchObject({ imageSize: 16, batchSize: 8, epochs: 2, teacher: 'min-loss' })
    // chosen under Advanced above
    expect(run.config.ensembleRule).toBe('standard-error')
  })

  it('cancels a run within a second and resumes it to the end', async () => {
    await fillSmallSettings(6)
    // a weightless teacher beside a plain-average answer: nothing to chart as fusion weights
    await wrapper.find('[data-test=teacher]').setValue('min-logit')
    await wrapper.find('[data-test=ensemble-rule]').setValue('equal')
    const runs = useRunsStore()
    // what the progress line said while later epochs ran: by then the time left follows from measured epochs
    const later: { eta: number | null; text: string }[] = []
    const stopWatching = service.events.on('run.progress', () => {
      void settle().then(() => {
        if (runs.epochs.length === 0 || !runs.progress) return
        later.push({ eta: runs.progress.etaSeconds, text: wrapper.find('[data-test=progress-text]').text() })
      })
    })
    await wrapper.find('[data-test=train-settings]').trigger('submit')
    await until(() => runs.current?.status === 'running' && runs.epochs.length >= 1)
    const runId = runs.current!.id
    const asked = Date.now()
    await wrapper.find('[data-test=cancel]').trigger('click')
    await until(() => runs.current?.status === 'cancelled', 10_000)
    expect(Date.now() - asked).toBeLessThan(1500)
    expect(wrapper.find('[data-test=resume]').exists()).toBe(true)
    const done = runs.current!.epochsDone
    expect(done).toBeLessThan(6)
    await wrapper.find('[data-test=resume]').trigger('click')
    await until(() => runs.current?.status === 'completed')
    expect(runs.current!.id).toBe(runId)
    stopWatching()
    const slowest = Math.max(...runs.epochs.map((m) => m.seconds))
    const estimated = later.filter((l) => l.eta !== null)
    expect(estimated.length).toBeGreaterThan(0)
    for (const { eta, text } of estimated) {
      expect(eta!).toBeLessThanOrEqual(Math.ceil(6 * slowest) + 1)
      expect(text).toMatch(/^Epoch \d of 6: step \d+ \/ \d+ · about \d+s left$/)
    }
    expect(wrapper.findAll('[data-test=epoch-row]').map((r) => r.find('td').text())).toEqual([
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
    ])
    expect(wrapper.findAll('[data-test=chart]').map((c) => c.attributes('data-title'))).toEqual([
      'Validation accuracy (%)',
      'Training loss',
    ])
    // back to the person's earlier choice of rule, which the last test starts from
    await wrapper.find('[data-test=ensemble-rule]').setValue('standard-error')
  })

  it('reopens an earlier run from the list with its recorded epochs', async () => {
    const items = wrapper.findAll('[data-test=run-item]')
    expect(items).toHaveLength(2)
    const first = items[items.length - 1]!
    await first.trigger('click')
    await until(() => wrapper.findAll('[data-test=epoch-row]').length === 2)
    expect(wrapper.find('[data-test=run-panel] h3').text()).toContain(`Run ${first.attributes('data-run')}`)
  })

  it('recommends weighing by error covariance for a dataset with many validation pictures', async () => {
    await useDatasetStore().open(await importManyValidationPictures(service, join(dir.path, 'many'), 'many'))
    await settle()
    const rule = wrapper.find('[data-test=ensemble-rule]')
    expect(rule.find('option[value=covariance]').text()).toBe('Weighted: error covariance (recommended)')
    // the person's earlier choice stands until they choose the recommended rule, which hands it back
    expect((rule.element as HTMLSelectElement).value).toBe('standard-error')
    await rule.setValue('covariance')
    expect(useRunsStore().form.ensembleRule).toBeNull()
    expect((rule.element as HTMLSelectElement).value).toBe('covariance')
    expect(wrapper.find('[data-test=ensemble-rule-reason]').text()).toMatch(
      /^Recommended for 51\d validation pictures: from 500 on/,
    )
    // back on the small dataset the same empty choice means the plain average
    await useDatasetStore().open(datasetId)
    await settle()
    expect((rule.element as HTMLSelectElement).value).toBe('equal')
  })
})
