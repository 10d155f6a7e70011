import { defineStore } from 'pinia'
import { ref } from 'vue'

/** The app's views; Train, Results and Recognise join this list. */
export type ViewName = 'library' | 'dataset' | 'train' | 'results' | 'recognise'

/** Which view the app shows: a plain switch, no router needed. */
export const useNavigationStore = defineStore('navigation', () => {
  const view = ref<ViewName>('library')
  function show(next: ViewName): void {
    view.value = next
  }
  return { view, show }
})
