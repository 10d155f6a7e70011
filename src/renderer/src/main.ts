import { createApp } from 'vue'
import { createPinia } from 'pinia'
// the shared stylesheet first, so each component's own (scoped) rules come after it and refine it
import './style.css'
import App from './App.vue'
import { useBridge } from './api'
import { createWebBridge } from './web-bridge'
import { NO_TOKEN_MESSAGE, reloadOnNewToken, takeAccessToken } from './web-token'

// The desktop app's preload provides window.cohort; in a plain browser we are in web mode.
const token = window.cohort ? null : takeAccessToken()
if (!window.cohort) reloadOnNewToken()
if (window.cohort || token) {
  if (token) useBridge(createWebBridge(token))
  createApp(App).use(createPinia()).mount('#app')
} else {
  const message = document.createElement('p')
  message.dataset.test = 'no-token'
  message.textContent = NO_TOKEN_MESSAGE
  document.getElementById('app')!.replaceChildren(message)
}
