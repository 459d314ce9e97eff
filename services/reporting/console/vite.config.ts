import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

// Built into dist/ and served by the reporting service at /console/ (services/reporting/src/routes/console).
export default defineConfig({
  base: '/console/',
  plugins: [vue()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Element Plus and ECharts are large; split them so the page's own code stays small to revalidate.
    chunkSizeWarningLimit: 1500,
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [
            { name: 'echarts', test: /node_modules[\\/](echarts|zrender)/ },
            { name: 'exceljs', test: /node_modules[\\/]exceljs/ },
            { name: 'element-plus', test: /node_modules[\\/](element-plus|@element-plus|@floating-ui|@popperjs|lodash)/ },
          ],
        },
      },
    },
  },
});
