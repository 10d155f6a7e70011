import { defineStore } from 'pinia'
import { ref } from 'vue'

const TOAST_MS = 4000

/**
 * What the user should read now: a short-lived toast ("Undid: …") and the last error from the
 * API, shown inline until dismissed or replaced. Every action reports its failure here.
 */
export const useNoticesStore = defineStore('notices', () => {
  const toast = ref<string | null>(null)
  const error = ref<string | null>(null)
  let timer: ReturnType<typeof setTimeout> | undefined

  function say(message: string): void {
    toast.value = message
    clearTimeout(timer)
    timer = setTimeout(() => (toast.value = null), TOAST_MS)
  }

  function fail(err: unknown): void {
    error.value = err instanceof Error ? err.message : String(err)
  }

  function dismiss(): void {
    error.value = null
  }

  /**
   * Runs a user action, reporting its error; true when it succeeded. Success clears the last
   * error (the user moved on); background refreshes use `fail` alone so they never hide one.
   */
  async function attempt(action: () => Promise<unknown>): Promise<boolean> {
    try {
      await action()
      error.value = null
      return true
    } catch (err) {
      fail(err)
      return false
    }
  }

  return { toast, error, say, fail, dismiss, attempt }
})
