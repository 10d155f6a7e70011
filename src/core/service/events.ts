import { EventEmitter } from 'node:events'
import type { ApiEventName, ApiEvents } from '../../shared/api'

/** A typed event bus: the service emits, every shell forwards to its clients. */
export class ServiceEvents {
  private readonly emitter = new EventEmitter()

  constructor() {
    this.emitter.setMaxListeners(100)
  }

  on<E extends ApiEventName>(name: E, listener: (payload: ApiEvents[E]) => void): () => void {
    this.emitter.on(name, listener)
    return () => this.emitter.off(name, listener)
  }

  emit<E extends ApiEventName>(name: E, payload: ApiEvents[E]): void {
    this.emitter.emit(name, payload)
  }
}
