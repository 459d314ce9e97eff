import ElementPlus from 'element-plus';
import zhCn from 'element-plus/es/locale/lang/zh-cn';
import 'element-plus/dist/index.css';
import { createApp } from 'vue';
import App from './App.vue';
import { loadConfig } from './api';
import { loadLabels } from './labels';
import { router } from './router';
import { startWatchers } from './watchers';
import './styles.css';

async function start(): Promise<void> {
  const app = createApp(App);
  app.use(ElementPlus, { locale: zhCn });
  try {
    await Promise.all([loadConfig(), loadLabels()]);
  } catch {
    document.getElementById('app')!.textContent = '无法连接服务,请稍后刷新重试。';
    return;
  }
  app.use(router);
  startWatchers();
  app.mount('#app');
}

void start();
