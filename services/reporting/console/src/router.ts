// Every page has an address under /console/ (history mode; the reporting service
// answers any page path with the console), so notification links and shared
// links open where they point, after signing in if needed. Filters live in the query.
import { createRouter, createWebHistory } from 'vue-router';
import { auth } from './auth';
import { me, enter } from './session';

export const router = createRouter({
  history: createWebHistory('/console/'),
  routes: [
    { path: '/', name: 'duty', component: () => import('./views/DutyView.vue'), meta: { title: '值守台' } },
    { path: '/tasks', name: 'tasks', component: () => import('./views/TodoView.vue'), meta: { title: '我的待办' } },
    { path: '/incidents/:id', name: 'incident', component: () => import('./views/IncidentView.vue'), props: true, meta: { title: '舆情详情' } },
    { path: '/incidents/:id/digest', name: 'digest', component: () => import('./views/DigestView.vue'), props: true, meta: { title: '舆情摘报' } },
    { path: '/stats', name: 'stats', component: () => import('./views/StatsView.vue'), meta: { title: '统计' } },
    { path: '/deliveries', name: 'deliveries', component: () => import('./views/DeliveriesView.vue'), meta: { title: '通知发送失败' } },
    { path: '/duty-roster', name: 'roster', component: () => import('./views/DutyRosterView.vue'), meta: { title: '值班表' } },
    { path: '/reports', name: 'reports', component: () => import('./views/ReportsView.vue'), meta: { title: '报表' } },
    { path: '/login', name: 'login', component: () => import('./views/LoginView.vue'), meta: { title: '登录', public: true } },
    { path: '/activate', name: 'activate', component: () => import('./views/ActivateView.vue'), meta: { title: '设置密码', public: true } },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
  scrollBehavior: () => ({ top: 0 }),
});

router.beforeEach(async (to) => {
  if (to.meta.public) return true;
  if (!auth.signedIn()) return { name: 'login', query: { next: to.fullPath } };
  if (!me.value) {
    try {
      await enter();
    } catch {
      auth.forget();
      return { name: 'login', query: { next: to.fullPath, expired: '1' } };
    }
  }
  return true;
});

router.afterEach((to) => {
  document.title = `${String(to.meta.title ?? '')} · 舆情应急处置`;
});
