import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { useBridge } from './api'
import { createWebBridge } from './web-bridge'
import './style.css'

// The desktop app's preload provides window.cohort; in a plain browser we are in web mode.
if (!window.cohort) useBridge(createWebBridge())

createApp(App).use(createPinia()).mount('#app')
