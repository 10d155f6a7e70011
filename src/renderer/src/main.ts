import { createApp } from 'vue'
import { createPinia } from 'pinia'
// the shared stylesheet first, so each component's own (scoped) rules come after it and refine it
import './style.css'
import App from './App.vue'
import { useBridge } from './api'
import { createWebBridge } from './web-bridge'

// The desktop app's preload provides window.cohort; in a plain browser we are in web mode.
if (!window.cohort) useBridge(createWebBridge())

createApp(App).use(createPinia()).mount('#app')
